"""acoustic-v3 (default) and acoustic-v2: the offline audio spaces fitted on real music."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linernotes.tools.analysis.measure import ANALYSIS_SR, Analysis, analyse
from linernotes.tools.embed.acoustic import AcousticEmbedder
from linernotes.tools.embed.acoustic_v2 import (
    SPACE,
    SPACES,
    V2_FEATURE_NAMES,
    AcousticV2Embedder,
    AcousticV3Embedder,
    FittedAcousticEmbedder,
    data_path,
    load_params,
    v2_features,
)
from linernotes.tools.embed.base import AudioEmbedder
from linernotes.tools.embed.factory import make_audio_embedder
from linernotes.tools.errors import ConfigError
from linernotes.tools.realcorpus.packages import HELD_OUT
from linernotes.tools.settings import load_settings

SR = ANALYSIS_SR


def tone_song(root_hz: float, bpm: float, seconds: float = 10.0, seed: int = 0) -> np.ndarray:
    """A triad on ``root_hz`` over noise-burst drums at ``bpm``: one 'passage'."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * root_hz * r * t) / k for k, r in enumerate((1, 1.26, 1.5), 1))
    beat = (t * bpm / 60) % 1.0
    drums = rng.standard_normal(t.size) * np.exp(-beat * 30)
    return (0.25 * y + 0.2 * drums).astype(np.float32)


@pytest.fixture(scope="module")
def passages() -> dict[str, Analysis]:
    return {
        "a1": analyse(tone_song(220.0, 100, seed=1), SR),
        "a2": analyse(tone_song(220.0, 100, seed=2), SR),
        "b": analyse(tone_song(311.1, 160, seed=3), SR),
    }


def test_v3_is_the_default_and_older_spaces_stay_selectable(passages) -> None:
    settings = load_settings()
    emb = make_audio_embedder(settings)
    assert isinstance(emb, AcousticV3Embedder) and isinstance(emb, AudioEmbedder)
    assert emb.space == SPACE == "acoustic-v3" and emb.joint_text is False
    v2 = make_audio_embedder(settings.model_copy(update={"embedder": "acoustic-v2"}))
    assert isinstance(v2, AcousticV2Embedder) and v2.space == "acoustic-v2"
    # a refit is another space: the same passage lands elsewhere, so the names differ
    a3, a2 = emb.vector(passages["a1"]), v2.vector(passages["a1"])
    assert a3.shape != a2.shape or a3 @ a2 < 0.99
    for name in ("acoustic", "acoustic-v1"):
        v1 = make_audio_embedder(settings.model_copy(update={"embedder": name}))
        assert isinstance(v1, AcousticEmbedder) and v1.space == "acoustic-v1"


@pytest.mark.parametrize("space", SPACES)
def test_the_shipped_fits_read_only_development_packages(space: str) -> None:
    params = load_params(space=space)
    fitted_on = {str(p) for p in params["fitted_on"]}
    assert fitted_on and not fitted_on & set(HELD_OUT)
    assert params["projection"].shape[0] == len(V2_FEATURE_NAMES)
    assert str(params["space"]) == space == FittedAcousticEmbedder(space=space).space


def test_vectors_are_unit_float32_and_deterministic(passages) -> None:
    emb = AcousticV3Embedder()
    a = emb.embed_audio(Path("x.flac"), passages["a1"])
    assert a.dtype == np.float32 and a.shape == (emb.dim,)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(a, emb.vector(passages["a1"]))


@pytest.mark.parametrize("space", SPACES)
def test_two_passages_of_one_song_are_closer_than_another_song(passages, space: str) -> None:
    emb = FittedAcousticEmbedder(space=space)
    v = {k: emb.vector(a) for k, a in passages.items()}
    assert v["a1"] @ v["a2"] > v["a1"] @ v["b"] + 0.1


def test_absolute_chroma_follows_the_key(passages) -> None:
    def triad(a: Analysis) -> set[int]:
        return {int(i) for i in np.argsort(v2_features(a)[-12:])[-3:]}

    assert triad(passages["a1"]) == {9, 1, 4}  # A major: A, C#, E
    # the same passage a fourth higher: the absolute profile moves with it (D, F#, A)
    assert triad(analyse(tone_song(293.7, 100, seed=1), SR)) == {2, 6, 9}


def test_text_is_refused_with_the_way_out() -> None:
    with pytest.raises(ConfigError, match="no text tower"):
        AcousticV3Embedder().embed_text(["calm piano"])


def test_a_file_fitted_for_other_features_is_refused(tmp_path: Path) -> None:
    params = dict(load_params())
    params["feature_names"] = params["feature_names"][:-1]
    bad = tmp_path / "acoustic-v3.npz"
    np.savez(bad, **params)
    with pytest.raises(ConfigError, match="refit"):
        load_params.__wrapped__(bad)
    # the other space's file under this space's name: refused, both spaces named
    with pytest.raises(ConfigError, match=r"fitted for space acoustic-v2 .* builds acoustic-v3"):
        load_params.__wrapped__(data_path("acoustic-v2"), space="acoustic-v3")
    with pytest.raises(ConfigError, match="acoustic-v1"):
        load_params.__wrapped__(tmp_path / "missing.npz")
