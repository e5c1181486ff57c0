"""MusicFM: the real loading and embedding code, proven on a tiny random-initialised model.

A MusicFM of the real architecture (mel front end, residual conv subsampling, a
wav2vec2-conformer with rotary positions) is built from a tiny ``config.json``, saved as a
weights folder laid out like the published one (``pretrained_msd.pt`` holding a
``state_dict`` with ``model.``-prefixed keys and training-only parts, ``msd_stats.json``),
and embeds audio through ``MusicFMEmbedder`` and through ``linernotes ingest``'s pipeline.
The mel front end is checked against librosa, an independent implementation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.embed import compat
from linernotes.tools.errors import BackendUnavailable, ConfigError, SpaceMismatchError
from linernotes.tools.settings import Settings

compat.ensure_torchaudio()  # transformers imports torchaudio when it is installed
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from linernotes.tools.embed.musicfm import (  # noqa: E402
    HOW_TO_GET,
    MusicFMConfig,
    MusicFMEmbedder,
    build_model,
    mel_filterbank,
)

TINY = MusicFMConfig(
    n_mels=16, conv_dim=4, encoder_dim=32, encoder_depth=3, attention_heads=2,
    intermediate_size=64, conv_kernel=3, pos_conv_kernel=4, pos_conv_groups=2, layer=2,
    clip_s=10.0,
)  # fmt: skip
STATS = {"melspec_2048_mean": 6.77, "melspec_2048_std": 18.4}


def _save(folder: Path, config: MusicFMConfig = TINY, *, legacy_norm: bool = True) -> dict:
    """Write a weights folder as the published checkpoint is laid out; return its tensors."""
    torch.manual_seed(0)
    model = build_model(config)
    for module in model.modules():  # random batch-norm statistics, so loading them matters
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    state = {}
    for key, value in model.state_dict().items():
        if key == "mel.window":
            key = "preprocessor_melspec_2048.mel_stft.spectrogram.window"
        elif key == "mel.fb":
            key = "preprocessor_melspec_2048.mel_stft.mel_scale.fb"
        elif legacy_norm:  # checkpoints from older torch name weight-norm tensors this way
            key = key.replace("parametrizations.weight.original0", "weight_g")
            key = key.replace("parametrizations.weight.original1", "weight_v")
        state["model." + key] = value.clone()
    state["model.quantizer_melspec_2048_0.random_projection"] = torch.randn(64, 16)
    state["model.linear.weight"] = torch.randn(4096, config.encoder_dim)
    state["model.cls_token"] = torch.randn(config.encoder_dim)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state}, folder / "pretrained_msd.pt")
    (folder / "msd_stats.json").write_text(json.dumps(STATS))
    (folder / "config.json").write_text(config.model_dump_json())
    return state


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("musicfm") / "weights"
    _save(folder)
    return folder


@pytest.fixture(scope="module")
def embedder(tiny_weights) -> MusicFMEmbedder:
    return MusicFMEmbedder(Settings(embedder_weights=tiny_weights, batch_size=2), device="cpu")


def _tone(path: Path, seconds: float, freq: float, sr: int = 44100) -> Path:
    t = np.arange(int(sr * seconds)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(path, np.stack([y, 0.8 * y], axis=1).astype(np.float32), sr)
    return path


# --- no weights: one clear line --------------------------------------------------------


def test_missing_weights_say_where_to_put_them(tmp_path) -> None:
    with pytest.raises(BackendUnavailable, match="needs a local weights folder") as err:
        MusicFMEmbedder(Settings())
    assert "LINERNOTES_EMBEDDER_WEIGHTS" in str(err.value)
    assert "hf download minzwon/MusicFM" in HOW_TO_GET
    with pytest.raises(BackendUnavailable, match="does not exist"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "nowhere"))
    (tmp_path / "w").mkdir()
    with pytest.raises(BackendUnavailable, match=r"pretrained_msd\.pt and msd_stats\.json"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "w"))
    (tmp_path / "w" / "pretrained_fma.pt").write_bytes(b"")
    with pytest.raises(BackendUnavailable, match=r"fma_stats\.json beside pretrained_fma\.pt"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "w"))
    (tmp_path / "w" / "fma_stats.json").write_text("{}")
    with pytest.raises(BackendUnavailable, match="lacks melspec_2048_mean"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "w"))
    (tmp_path / "w" / "fma_stats.json").write_text(json.dumps(STATS))
    with pytest.raises(BackendUnavailable, match="cannot read MusicFM checkpoint"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "w"))  # empty .pt file


def test_bad_config_is_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"layer must be 0\.\.3"):
        build_model(TINY.model_copy(update={"layer": 4}))
    _save(tmp_path / "w")
    (tmp_path / "w" / "config.json").write_text('{"encoder_dim": 32, "heads": 2}')
    with pytest.raises(ConfigError, match=r"config.json is not a MusicFM config"):
        MusicFMEmbedder(Settings(embedder_weights=tmp_path / "w"))


# --- the front end against librosa -----------------------------------------------------


def test_mel_front_end_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    ref_fb = librosa.filters.mel(sr=24000, n_fft=2048, n_mels=128, htk=True, norm=None)
    assert np.allclose(mel_filterbank(24000, 2048, 128), ref_fb.T, atol=1e-6)
    model = build_model(TINY.model_copy(update={"n_mels": 128}))  # the real front end
    y = np.random.default_rng(1).standard_normal(24000 * 2).astype(np.float32) * 0.1
    with torch.inference_mode():
        ours = model.mel(torch.from_numpy(y[None]))[0].numpy()
    power = librosa.feature.melspectrogram(
        y=y, sr=24000, n_fft=2048, hop_length=240, n_mels=128, htk=True, norm=None,
        center=True, pad_mode="reflect", power=2.0,
    )  # fmt: skip
    ref = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)[:, :-1]
    assert ours.shape == ref.shape == (128, 200)  # 100 frames/s, the last one dropped
    assert np.abs(ours - ref).max() < 1e-2  # dB; float32 against float64


# --- the tiny model, end to end ---------------------------------------------------------


def test_checkpoint_loads_every_tensor(embedder, tiny_weights) -> None:
    saved = torch.load(tiny_weights / "pretrained_msd.pt", weights_only=True)["state_dict"]
    own = embedder.model.state_dict()
    assert torch.equal(own["conv.linear.weight"], saved["model.conv.linear.weight"])
    assert torch.equal(own["conv.conv.0.bn1.running_var"],
                       saved["model.conv.conv.0.bn1.running_var"])  # fmt: skip
    g = "conformer.pos_conv_embed.conv.parametrizations.weight.original0"
    assert torch.equal(own[g], saved["model.conformer.pos_conv_embed.conv.weight_g"])
    assert not any(k.startswith(("quantizer", "linear.", "cls_token")) for k in own)
    assert (embedder.space, embedder.dim, embedder.joint_text) == ("musicfm-msd-l2", 32, False)
    with pytest.raises(ConfigError, match="no text tower"):
        embedder.embed_text(["calm piano"])


def test_pooled_layer_is_the_conformer_hidden_state(embedder) -> None:
    """The early-exit read equals running the layers by hand, then the time mean."""
    model = embedder.model
    wav = torch.from_numpy(np.random.default_rng(2).standard_normal((2, 24000 * 3))).float()
    with torch.inference_mode():
        x = model.conv((model.mel(wav) - 6.77) / 18.4)
        assert x.shape == (2, 75, 32)  # 25 frames per second
        rope = model.conformer.embed_positions(x)
        h = x
        for layer in model.conformer.layers[:2]:
            h = layer(h, relative_position_embeddings=rope)
        assert torch.allclose(model.hidden(wav, 2), h, atol=1e-5)
        assert torch.allclose(model(wav, 2), h.mean(dim=1), atol=1e-5)
        last = model.conformer.layer_norm(
            model.conformer.layers[2](h, relative_position_embeddings=rope)
        )
        assert torch.allclose(model.hidden(wav, 3), last, atol=1e-5)
        assert torch.equal(model.hidden(wav, 0), x)


def test_embeds_audio_files(embedder, tmp_path) -> None:
    path = _tone(tmp_path / "tone.wav", 25.0, 220.0)  # 25 s at 44.1 kHz stereo -> 10 s clips
    vec = embedder.embed_audio(path)
    assert vec.shape == (32,) and vec.dtype == np.float32
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(vec, embedder.embed_audio(path), atol=1e-6)  # eval mode: no dropout
    other = embedder.embed_audio(_tone(tmp_path / "high.wav", 25.0, 1760.0))
    assert not np.allclose(vec, other, atol=1e-3)  # different audio, different vector

    clip = np.random.default_rng(3).standard_normal(240_000).astype(np.float32) * 0.1
    alone = embedder.embed_clips([clip])
    assert np.allclose(embedder.embed_clips([clip, clip, clip]), alone, atol=1e-5)  # batching
    with torch.inference_mode():
        ref = embedder.model(torch.from_numpy(clip[None]), 2)[0].numpy()
    assert np.allclose(alone, ref / np.linalg.norm(ref), atol=1e-5)
    three_s = np.asarray(clip[: 3 * 24000])
    with torch.inference_mode():  # a short clip runs at its own length, without silence
        ref = embedder.model(torch.from_numpy(three_s[None]), 2)[0].numpy()
    assert np.allclose(embedder.embed_clips([three_s]), ref / np.linalg.norm(ref), atol=1e-5)


def test_a_pickled_checkpoint_is_refused_with_a_working_fix(tiny_weights, tmp_path) -> None:
    """A checkpoint with pickled objects beside its tensors is not unpickled; the command
    the message gives turns it into one that loads."""
    import argparse
    import subprocess
    import sys

    folder = tmp_path / "w"
    shutil.copytree(tiny_weights, folder)
    path = folder / "pretrained_msd.pt"
    state = torch.load(path, weights_only=True)["state_dict"]
    torch.save({"state_dict": state, "hyper_parameters": argparse.Namespace(lr=1e-4)}, path)
    with pytest.raises(BackendUnavailable, match="keep only its tensors once") as err:
        MusicFMEmbedder(Settings(embedder_weights=folder))
    command = str(err.value).split('python -c "', 1)[1].rsplit('"', 1)[0]
    subprocess.run([sys.executable, "-c", command], check=True, timeout=120)
    assert MusicFMEmbedder(Settings(embedder_weights=folder)).space == "musicfm-msd-l2"


def test_unfit_weights_are_refused(tiny_weights, tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_weights, broken)
    path = broken / "pretrained_msd.pt"
    state = torch.load(path, weights_only=True)["state_dict"]
    del state["model.conformer.layers.0.ffn1.intermediate_dense.weight"]
    torch.save({"state_dict": state}, path)
    with pytest.raises(BackendUnavailable, match="1 tensors missing"):
        MusicFMEmbedder(Settings(embedder_weights=broken))
    (broken / "config.json").write_text(
        TINY.model_copy(update={"encoder_dim": 48}).model_dump_json()
    )
    with pytest.raises(BackendUnavailable, match="does not fit the MusicFM config"):
        MusicFMEmbedder(Settings(embedder_weights=broken))


def test_ingest_builds_a_musicfm_catalog_that_refuses_other_spaces(tiny_weights, tmp_path) -> None:
    """The user's path: ingest with the musicfm embedder, then another space is refused."""
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.ingest.pipeline import ingest

    audio = tmp_path / "audio"
    audio.mkdir()
    _tone(audio / "low.wav", 12.0, 220.0)
    _tone(audio / "high.wav", 12.0, 880.0)
    settings = Settings(catalog=tmp_path / "cat", embedder="musicfm",
                        embedder_weights=tiny_weights, workers=1)  # fmt: skip
    report = ingest([audio], settings, progress=False, in_process=True)
    assert report.added == 2, report
    catalog = Catalog.open(settings, "musicfm-msd-l2", "minilm-l6-v2", create=False)
    track = catalog.tracks()[0]
    assert track.provenance.embedder_space == "musicfm-msd-l2"
    vec = MusicFMEmbedder(settings).embed_audio(Path(track.path))
    hits = catalog.query_audio(vec, 1, space="musicfm-msd-l2")
    assert hits[0].track_id == track.id  # its own stored vector is its nearest neighbour
    with pytest.raises(SpaceMismatchError, match="musicfm-msd-l2"):
        catalog.query_audio(np.ones(32, np.float32), 1, space="acoustic-v1")
    other = settings.model_copy(update={"embedder": "acoustic"})
    with pytest.raises(SpaceMismatchError, match=r"'musicfm-msd-l2'.*'acoustic"):
        ingest([audio], other, progress=False, in_process=True)
