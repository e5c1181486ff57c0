"""CLAP: the real loading and embedding code on a tiny, randomly initialised ClapModel.

The model is built from a tiny ``ClapConfig`` (the real HTSAT + RoBERTa architecture),
its feature extractor is ``ClapFeatureExtractor``'s defaults (48 kHz, 64 mel bands, fusion)
and its tokenizer is a small byte-level BPE made in code: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.embed import compat
from linernotes.tools.errors import BackendUnavailable
from linernotes.tools.settings import Settings

compat.ensure_torchaudio()  # transformers imports torchaudio when it is installed
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from linernotes.tools.embed.clap import ClapEmbedder, space_name  # noqa: E402

WORDS = ["calm", "piano", "for", "studying", "drums", "workout", "the", "sound", "of", "a"]


def _tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])}
    for ch in sorted(alphabet):
        vocab.setdefault(ch, len(vocab))
    merges = []
    for word in WORDS:  # merge each word (with its leading space marker) into one token
        piece = "Ġ" + word
        for i in range(2, len(piece) + 1):
            left, right = piece[: i - 1], piece[i - 1]
            if piece[:i] not in vocab:
                merges.append((left, right))
                vocab[piece[:i]] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return transformers.RobertaTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
        model_max_length=60,
    ), len(vocab)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory) -> Path:
    """A CLAP weights folder as `hf download` writes it: config, weights, processor."""
    folder = tmp_path_factory.mktemp("clap") / "clap-tiny"
    tokenizer, vocab_size = _tiny_tokenizer()
    config = transformers.ClapConfig(
        text_config={
            "vocab_size": vocab_size, "hidden_size": 32, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 64,
            "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "projection_dim": 512,
        },
        audio_config={
            "depths": [1, 1], "num_attention_heads": [1, 2], "patch_embeds_hidden_size": 16,
            "hidden_size": 32, "window_size": 8, "enable_fusion": True, "projection_dim": 512,
        },
        projection_dim=512,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.ClapModel(config).save_pretrained(folder)
    transformers.ClapProcessor(
        feature_extractor=transformers.ClapFeatureExtractor(), tokenizer=tokenizer
    ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def embedder(tiny_clap) -> ClapEmbedder:
    return ClapEmbedder(Settings(embedder_weights=tiny_clap, batch_size=4), max_clips=2)


def test_space_names() -> None:
    assert space_name("laion/clap-htsat-fused") == "clap-htsat-fused"
    assert space_name("/models/larger_clap_music") == "clap-larger_clap_music"


def test_missing_weights_are_backend_unavailable(tmp_path) -> None:
    with pytest.raises(BackendUnavailable, match="hf download laion/clap-htsat-fused"):
        ClapEmbedder(Settings(embedder_weights=tmp_path / "nothing-here"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendUnavailable, match="not available from"):
        ClapEmbedder(Settings(embedder_weights=tmp_path / "empty"))


def test_audio_embedding_is_deterministic_and_normalised(embedder, tmp_path) -> None:
    assert (embedder.space, embedder.dim, embedder.joint_text) == ("clap-tiny", 512, True)
    t = np.arange(44100 * 24) / 44100  # 24 s at 44.1 kHz: two 10 s clips at 48 kHz
    y = 0.3 * np.sin(2 * np.pi * 330 * t) * np.sin(2 * np.pi * 0.25 * t)
    path = tmp_path / "clip.wav"
    sf.write(path, y.astype(np.float32), 44100)
    first = embedder.embed_audio(path)
    assert first.shape == (512,) and first.dtype == np.float32
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(first, embedder.embed_audio(path), atol=1e-6)  # no random fusion

    clip = np.random.default_rng(0).standard_normal(48_000 * 4).astype(np.float32) * 0.1
    alone = embedder.embed_clips([clip])
    batched = embedder.embed_clips([clip, clip, clip])  # batch composition changes nothing
    assert np.allclose(alone, batched, atol=1e-5)


def test_text_shares_the_audio_space(embedder) -> None:
    texts = ["calm piano for studying", "the sound of drums for a workout"]
    vecs = embedder.embed_text(texts)
    assert vecs.shape == (2, 512) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    enc = embedder.processor.tokenizer(texts[:1], return_tensors="pt")
    with torch.inference_mode():
        out = embedder.model.get_text_features(**enc)
    ref = getattr(out, "pooler_output", out)[0].numpy()
    assert np.allclose(vecs[0], ref / np.linalg.norm(ref), atol=1e-5)
    assert embedder.embed_text([]).shape == (0, 512)
