"""The offline embedders: acoustic vectors from analysis, packaged MiniLM text, factories."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from linernotes.tools.analysis.measure import ANALYSIS_SR, Analysis, analyse
from linernotes.tools.embed.acoustic import (
    FEATURE_MEANS,
    FEATURE_NAMES,
    FEATURE_STDS,
    AcousticEmbedder,
    calibrate,
    feature_group,
    raw_features,
)
from linernotes.tools.embed.base import AudioEmbedder, TextEmbedder
from linernotes.tools.embed.factory import make_audio_embedder, make_text_embedder
from linernotes.tools.errors import ConfigError
from linernotes.tools.settings import load_settings

SR = ANALYSIS_SR


def clicks(bpm: float, seconds: float = 8.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * SR), np.float32)
    n = int(0.03 * SR)
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / 80.0)
    for i in range(int(seconds * bpm / 60)):
        a = int(i * 60 / bpm * SR)
        y[a : a + n] += 0.5 * burst[: y.size - a]
    return y


def chord(seconds: float = 8.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((261.6, 329.6, 392.0), 1))
    return (0.3 * y * np.minimum(1.0, t / 0.5)).astype(np.float32)


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    return {
        "clicks120": analyse(clicks(120), SR),
        "clicks124": analyse(clicks(124, seed=1), SR),
        "chord": analyse(chord(), SR),
    }


# --- acoustic ------------------------------------------------------------------------


def test_acoustic_fills_the_protocol() -> None:
    emb = AcousticEmbedder()
    assert isinstance(emb, AudioEmbedder)
    assert emb.space == "acoustic-v1"
    assert emb.joint_text is False
    assert emb.dim == len(FEATURE_NAMES) == len(FEATURE_MEANS) == len(FEATURE_STDS)


def test_every_feature_has_a_group() -> None:
    groups = {feature_group(name) for name in FEATURE_NAMES}
    assert groups == {"timbre", "rhythm", "energy", "voice", "harmony"}


def test_acoustic_vectors_are_unit_float32_and_deterministic(analyses) -> None:
    emb = AcousticEmbedder()
    a = emb.embed_audio(Path("unused.flac"), analyses["clicks120"])
    b = emb.embed_audio(Path("other.flac"), analyses["clicks120"])
    assert a.dtype == np.float32 and a.shape == (emb.dim,)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(a, b)


def test_similar_sounds_are_closer(analyses) -> None:
    emb = AcousticEmbedder()
    v = {k: emb.embed_audio(Path(k), a) for k, a in analyses.items()}
    assert v["clicks120"] @ v["clicks124"] > v["clicks120"] @ v["chord"] + 0.2


def test_acoustic_has_no_text_tower() -> None:
    with pytest.raises(ConfigError, match="no text tower"):
        AcousticEmbedder().embed_text(["calm piano"])


def test_descriptor_of_another_version_is_refused(analyses) -> None:
    a = analyses["chord"]
    stale = Analysis(a.measurements, a.descriptor[:-3])
    with pytest.raises(ConfigError, match="different versions"):
        raw_features(stale)


def test_calibrate_matches_the_feature_layout(analyses) -> None:
    means, stds = calibrate(list(analyses.values()))
    assert means.shape == stds.shape == (len(FEATURE_NAMES),)
    assert np.all(stds > 0)
    np.testing.assert_allclose(means, np.mean([raw_features(a) for a in analyses.values()], 0))


# --- factories -----------------------------------------------------------------------


def test_factory_builds_the_offline_defaults() -> None:
    settings = load_settings()
    assert make_audio_embedder(settings).space == "acoustic-v3"  # fitted on real music
    v1 = make_audio_embedder(settings.model_copy(update={"embedder": "acoustic-v1"}))
    assert isinstance(v1, AcousticEmbedder) and v1.space == "acoustic-v1"
    text = make_text_embedder(settings)
    assert isinstance(text, TextEmbedder)
    assert (text.space, text.dim) == ("minilm-l6-v2", 384)


def test_factory_refuses_an_unknown_name() -> None:
    settings = load_settings().model_copy(update={"embedder": "wav2vec"})
    with pytest.raises(
        ValueError,
        match=r"^Unknown embedder 'wav2vec'\. Expected one of: "
        r"acoustic-v3, acoustic-v2, acoustic, acoustic-v1, muq-mulan, clap, musicfm$",
    ):
        make_audio_embedder(settings)
    settings = load_settings().model_copy(update={"text_embedder": "bert"})
    with pytest.raises(ValueError, match="Unknown text embedder 'bert'"):
        make_text_embedder(settings)


@pytest.mark.parametrize(("name", "module"), [("muq-mulan", "muq_mulan"), ("clap", "clap")])
def test_factory_routes_production_backends(name: str, module: str, monkeypatch) -> None:
    """The branch imports the backend's module and calls its class with the settings."""
    if importlib.util.find_spec(f"linernotes.tools.embed.{module}") is None:
        pytest.skip(f"tools/embed/{module}.py is not written yet")
    mod = importlib.import_module(f"linernotes.tools.embed.{module}")
    cls_name = {"muq_mulan": "MuQMuLanEmbedder", "clap": "ClapEmbedder"}[module]
    built = SimpleNamespace(space=f"{name}-fake", dim=4, joint_text=True)
    seen = []
    monkeypatch.setattr(mod, cls_name, lambda settings: seen.append(settings) or built)
    settings = load_settings(embedder=name)  # fresh catalog: no adapter to wrap it in
    assert make_audio_embedder(settings) is built
    assert seen == [settings]


# --- MiniLM text ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    from linernotes.tools.embed.text import MiniLMTextEmbedder

    return MiniLMTextEmbedder()


def test_minilm_vectors(minilm) -> None:
    vecs = minilm.embed(["calm piano for studying", "quiet piano music to focus", "fast metal"])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


def test_minilm_empty_and_batched(minilm) -> None:
    assert minilm.embed([]).shape == (0, 384)
    texts = [f"caption number {i} about a song" for i in range(20)]
    batched = minilm.embed(texts)  # one padded batch
    single = np.vstack([minilm.embed([t]) for t in texts[:3]])  # no padding
    np.testing.assert_allclose(batched[:3], single, atol=1e-5)
    small = type(minilm)(batch_size=7).embed(texts)  # three batches
    np.testing.assert_allclose(small, batched, atol=1e-5)


def test_minilm_loads_once_per_process(minilm) -> None:
    from linernotes.tools.embed import minilm_onnx

    minilm.embed(["warm"])
    first = minilm_onnx._model
    type(minilm)().embed(["again"])
    assert minilm_onnx._model is first


def test_onnx_export_matches_the_torch_model(minilm) -> None:
    """The cached ONNX file encodes exactly what the packaged PyTorch weights do."""
    import torch
    from transformers import AutoModel

    from linernotes.tools.embed.minilm_onnx import model_dir

    texts = ["a calm piano piece for sleep " * 60, "dark techno", "x"]
    got = minilm.embed(texts)
    model = AutoModel.from_pretrained(str(model_dir()), local_files_only=True).eval()
    tok = minilm_onnx_tokenizer()
    enc = tok.encode_batch(texts)
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    want = torch.nn.functional.normalize(pooled, dim=1).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert len(enc[0].ids) == 256  # truncated like sentence-transformers (max_seq_length)


def minilm_onnx_tokenizer():
    from linernotes.tools.embed import minilm_onnx

    return minilm_onnx.load().tokenizer


def test_export_is_cached_and_named_by_the_weights(tmp_path, monkeypatch) -> None:
    from linernotes.tools.embed import minilm_onnx

    monkeypatch.setenv("LINERNOTES_MODEL_CACHE", str(tmp_path))
    folder = minilm_onnx.model_dir()
    path = minilm_onnx.onnx_path(folder)
    assert path.parent == tmp_path and path.name.startswith("minilm-l6-v2-")
    fake = tmp_path / "weights"
    fake.mkdir()
    (fake / "config.json").write_text('{"hidden_size": 8}')
    (fake / "model.safetensors").write_bytes(b"0" * 10)
    assert minilm_onnx.onnx_path(fake) != path  # other weights, another file
