"""Sample values no player would make must never reach the catalog as NaN or inf.

A float WAV may hold any finite value. One of noise at 1e30 decoded fine, overflowed the
spectrum and was ingested with a loudness of ``inf``, stored as null; from then on every
``search``, ``ask``, ``catalog show`` and even ``catalog remove`` of that catalog ended
in a pydantic traceback. All audio is made here in code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.analysis import measure
from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.errors import CatalogError, InvalidAudioError
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.ingest.stages import embed_stage
from linernotes.tools.ingest.worker import Analysed, Failed, analyse_path
from linernotes.tools.settings import load_settings
from linernotes.ui.cli import main
from tests.test_ingest import write_track


def _huge(path: Path) -> Path:
    rng = np.random.default_rng(0)
    sf.write(path, (1e30 * rng.standard_normal(3 * 22050)).astype(np.float32), 22050, "FLOAT")
    return path


def test_a_float_file_far_beyond_full_scale_is_measured_as_played(tmp_path):
    item = analyse_path(str(_huge(tmp_path / "huge.wav")))
    assert isinstance(item, Analysed), item
    values = item.analysis.measurements.model_dump()
    assert all(math.isfinite(v) for v in values.values() if isinstance(v, float)), values
    assert np.all(np.isfinite(item.analysis.descriptor))


def test_an_undefined_measurement_refuses_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(measure, "loudness_db", lambda s: float("nan"))
    path = write_track(tmp_path / "song.wav", seed=1)
    with pytest.raises(InvalidAudioError, match=r"loudness_db.* came out undefined"):
        measure.analyse_file(path)
    item = analyse_path(str(path))
    assert isinstance(item, Failed) and str(path) in item.reason


def test_an_embedder_vector_holding_nan_skips_the_file(tmp_path):
    class NanEmbedder:
        def embed_audio(self, path, analysis):
            return np.full(4, np.nan, np.float32)

    item = analyse_path(str(write_track(tmp_path / "song.wav", seed=1)))
    [out] = embed_stage(NanEmbedder(), [("id", item)])
    assert isinstance(out, Failed) and "undefined vector" in out.reason
    assert str(tmp_path / "song.wav") in out.reason


def test_a_damaged_record_is_named_and_can_be_removed(tmp_path, capsys):
    """A record stored before the fix (loudness null) is named with its remedy."""
    music = tmp_path / "music"
    write_track(music / "a.wav", seed=1)
    write_track(music / "b.wav", seed=2)
    settings = load_settings(catalog=tmp_path / "catalog", workers=1)
    assert ingest([music], settings, progress=False, in_process=True).added == 2
    catalog = open_catalog(settings, create=False)
    bad = next(t for t in catalog.tracks() if t.path.endswith("a.wav"))
    doc = json.loads(bad.model_dump_json())
    doc["measurements"]["loudness_db"] = None  # what pydantic wrote for inf
    catalog._audio.update([bad.id], [{"title": bad.title}], [json.dumps(doc)])

    fresh = open_catalog(settings, create=False)
    with pytest.raises(CatalogError, match=rf"track {bad.id} .* damaged record .*loudness_db"):
        fresh.tracks()
    catalog_arg = ["--catalog", str(tmp_path / "catalog")]
    assert main(["search", *catalog_arg, "--like", str(music / "b.wav")]) != 0
    assert f"catalog remove {bad.id}" in capsys.readouterr().err
    assert main(["catalog", *catalog_arg, "remove", bad.id[:8]]) == 0
    assert "(damaged record)" in capsys.readouterr().out
    left = open_catalog(settings, create=False).tracks()
    assert [Path(t.path).name for t in left] == ["b.wav"]
