"""MuQ-MuLan: the real loading and embedding code, proven on a tiny random model.

The fast tests need no 'muq' extra (install hint, weight resolution, the transformers 5
conformer adaptation). The ``slow`` test builds a MuQ-MuLan of the real architecture with
random weights from a tiny config (a tiny MuQ audio tower, a tiny XLM-RoBERTa text tower and
a tokenizer made in code: no download), saves it as a weights folder laid out as the
README says, and embeds audio and text through ``MuQMuLanEmbedder``; it is skipped when the
extra is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.embed import compat
from linernotes.tools.embed.muq_mulan import (
    HOW_TO_GET,
    MuQMuLanEmbedder,
    fit_clip,
    localise_config,
    resolve_weights,
)
from linernotes.tools.errors import BackendUnavailable
from linernotes.tools.settings import Settings

TINY_CONFIG = {
    "mulan": {"sr": 24000, "clip_secs": 10, "dim_latent": 512,
              "decoupled_contrastive_learning": True, "hierarchical_contrastive_loss": False,
              "hierarchical_contrastive_loss_layers": None, "sigmoid_contrastive_loss": False,
              "rank_contrast": True},
    "audio_model": {"name": "OpenMuQ/MuQ-tiny", "model_dim": 32, "use_layer_idx": -1},
    "text_model": {"name": "xlm-roberta-tiny", "model_dim": 32},
    "audio_transformer": {"dim": 48, "tf_depth": 1, "heads": 2, "dim_head": 16,
                          "attn_dropout": 0.0, "ff_dropout": 0.0, "ff_mult": 2},
    "text_transformer": {"dim": 48, "tf_depth": 1, "max_seq_len": 64, "dim_head": 16,
                         "heads": 2, "attn_dropout": 0.0, "ff_dropout": 0.0, "ff_mult": 2},
}  # fmt: skip
# transformers imports torchaudio when it is installed: make a CUDA-only torchaudio wheel
# beside the CPU torch importable first (a no-op where torchaudio is not installed).
compat.ensure_torchaudio()
WORDS = ["calm", "piano", "for", "studying", "energetic", "drums", "workout", "song", "guitar"]


def test_missing_extra_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "muq", None)  # as if the extra were not installed
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'linernotes\[muq\]'"):
        MuQMuLanEmbedder(Settings())


def test_missing_weights_say_how_to_get_them(monkeypatch, tmp_path) -> None:
    with pytest.raises(BackendUnavailable, match=r"holds no MuQ-MuLan config\.json"):
        resolve_weights(tmp_path)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(BackendUnavailable, match="not in the Hugging Face cache") as err:
        resolve_weights(None)
    assert "LINERNOTES_EMBEDDER_WEIGHTS" in str(err.value)
    assert "hf download OpenMuQ/MuQ-MuLan-large" in HOW_TO_GET


def test_towers_resolve_to_local_subfolders(tmp_path) -> None:
    (tmp_path / "MuQ-tiny").mkdir()
    config = localise_config(TINY_CONFIG, tmp_path)
    assert config["audio_model"]["name"] == str(tmp_path / "MuQ-tiny")
    assert config["text_model"]["name"] == "xlm-roberta-tiny"  # left to the HF cache
    assert TINY_CONFIG["audio_model"]["name"] == "OpenMuQ/MuQ-tiny"  # input untouched


def test_fit_clip_cuts_and_wraps() -> None:
    assert np.array_equal(fit_clip(np.arange(10), 4), np.arange(4))
    assert fit_clip(np.arange(3), 7).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert fit_clip(np.zeros(3), 7).dtype == np.float32


def test_deepspeed_shim_registers_the_moved_function(monkeypatch) -> None:
    pytest.importorskip("transformers")
    monkeypatch.delitem(sys.modules, "transformers.deepspeed", raising=False)
    compat.ensure_transformers_deepspeed()
    from transformers.deepspeed import is_deepspeed_zero3_enabled  # type: ignore

    assert is_deepspeed_zero3_enabled() is False


def test_conformer_gets_transformers4_hidden_states() -> None:
    torch = pytest.importorskip("torch")
    from transformers import Wav2Vec2ConformerConfig
    from transformers.models.wav2vec2_conformer import modeling_wav2vec2_conformer as m

    raw = Wav2Vec2ConformerConfig(
        hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32,
        conv_depthwise_kernel_size=3, position_embeddings_type="rotary",
    ).to_dict()  # fmt: skip
    config = types.SimpleNamespace(**raw)  # what muq passes: attributes, no PretrainedConfig
    encoder = m.Wav2Vec2ConformerEncoder(config).eval()
    holder = torch.nn.Sequential(encoder)
    assert compat.adapt_muq_model(holder) == 1
    assert compat.adapt_muq_model(holder) == 0  # idempotent
    x = torch.randn(2, 7, 16)
    with torch.inference_mode():
        out = encoder(x, output_hidden_states=True)
    hidden = out["hidden_states"]
    assert len(hidden) == 3 + 1  # the layers' inputs, then the final (normed) output
    assert torch.equal(hidden[0], x)  # dropout is off in eval
    assert torch.equal(hidden[-1], out["last_hidden_state"])
    with torch.inference_mode():
        manual = encoder.layers[0](x, relative_position_embeddings=encoder.embed_positions(x))
    assert torch.allclose(hidden[1], manual, atol=1e-6)


# --- the tiny model, end to end (needs the 'muq' extra) --------------------------------


def _tiny_tokenizer(folder: Path) -> int:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizer

    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [("▁" + w, -1.0) for w in WORDS] + [(c, -3.0) for c in "abcdefghijklmnopqrstuvwxyz▁"]
    vocab += [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )  # fmt: skip
    XLMRobertaTokenizer(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
    ).save_pretrained(folder)  # fmt: skip
    return len(vocab)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    """A MuQ-MuLan weights folder of the real layout, random weights, ~1 MB."""
    if importlib.util.find_spec("muq") is None:
        pytest.skip("needs the 'muq' extra")
    muq = compat.import_muq()  # not importorskip: muq imports only through the shims
    from safetensors.torch import save_file
    from transformers import Wav2Vec2ConformerConfig, XLMRobertaConfig, XLMRobertaModel

    folder = tmp_path_factory.mktemp("muq-weights")
    w2v = Wav2Vec2ConformerConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_depthwise_kernel_size=3, position_embeddings_type="rotary",
    ).to_dict()  # fmt: skip
    muq.MuQ(
        muq.MuQConfig(
            encoder_dim=32, encoder_depth=2, conv_dim=8, codebook_size=64, codebook_dim=8,
            stat={"melspec_2048_mean": 6.77, "melspec_2048_std": 19.0},
            w2v2_config=json.loads(json.dumps(w2v)),  # JSON keys, as from a config.json
        )
    ).save_pretrained(folder / "MuQ-tiny")  # fmt: skip
    text = folder / "xlm-roberta-tiny"
    vocab_size = _tiny_tokenizer(text)
    XLMRobertaModel(
        XLMRobertaConfig(
            vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=64, max_position_embeddings=64, pad_token_id=1, bos_token_id=0,
            eos_token_id=2,
        )
    ).save_pretrained(text)  # fmt: skip
    model = muq.MuQMuLan(localise_config(TINY_CONFIG, folder))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(folder / "model.safetensors"))  # fmt: skip
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    return folder


@pytest.mark.slow
def test_tiny_muq_mulan_embeds_audio_and_text(tiny_weights, tmp_path) -> None:
    import torch

    embedder = MuQMuLanEmbedder(Settings(embedder_weights=tiny_weights), max_clips=3)
    assert (embedder.space, embedder.dim, embedder.joint_text) == ("muq-mulan-large", 512, True)
    info = embedder.describe()
    assert "conformer-hidden-states" in info["compat_shims"]

    t = np.arange(44100 * 25) / 44100  # a 25 s stereo file at 44.1 kHz -> 3 clips
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    path = tmp_path / "tone.wav"
    sf.write(path, np.stack([tone, tone * 0.8], axis=1).astype(np.float32), 44100)
    vec = embedder.embed_audio(path)
    assert vec.shape == (512,) and vec.dtype == np.float32
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)

    # the project's batched clip path equals muq's own API on the same 10 s clip
    clip = np.random.default_rng(0).standard_normal(240_000).astype(np.float32) * 0.1
    with torch.inference_mode():
        ref = embedder.model(wavs=torch.from_numpy(clip[None])).numpy()[0]
    assert np.allclose(embedder.embed_clips([clip]), ref / np.linalg.norm(ref), atol=1e-5)

    texts = ["calm piano for studying", "energetic drums for a workout"]
    tvecs = embedder.embed_text(texts)
    assert tvecs.shape == (2, 512) and tvecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(tvecs, axis=1), 1.0, atol=1e-5)
    with torch.inference_mode():
        tref = embedder.model(texts=texts[:1]).numpy()[0]
    assert np.allclose(tvecs[0], tref / np.linalg.norm(tref), atol=1e-5)
    assert np.allclose(embedder.embed_text(texts[1:])[0], tvecs[1], atol=1e-6)  # no batch effect
    assert embedder.embed_text([]).shape == (0, 512)
    assert -1.0 <= float(tvecs[0] @ vec) <= 1.0  # one space: text scores against audio


@pytest.mark.slow
def test_unfit_weights_are_refused(tiny_weights, tmp_path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_weights, broken)
    from safetensors.torch import load_file, save_file

    state = load_file(str(broken / "model.safetensors"))
    state.pop(next(k for k in state if k.startswith("mulan.audio_to_latents")))
    save_file(state, str(broken / "model.safetensors"))
    with pytest.raises(BackendUnavailable, match="tensors missing"):
        MuQMuLanEmbedder(Settings(embedder_weights=broken))
    shutil.rmtree(broken / "xlm-roberta-tiny")  # the text tower is not available offline
    with pytest.raises(BackendUnavailable, match="not available offline"):
        MuQMuLanEmbedder(Settings(embedder_weights=broken))
