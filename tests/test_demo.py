"""The demo catalog: deterministic, labelled from its composition, true to its labels."""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from pathlib import Path

import soundfile as sf

from tools.audio import read_tags
from tools.demo import MANIFEST_COLUMNS, STYLES, build_demo, plan_catalog, read_manifest

SWUNG = {"lo-fi hip-hop", "jazz piano trio"}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.flac")}


def test_plan_has_ten_styles_and_varied_parameters():
    specs = plan_catalog(120, 0)
    assert len(specs) == 120
    styles = Counter(s.style for s in specs)
    assert len(styles) >= 10 and min(styles.values()) >= 8
    assert {s.style for s in specs} <= {st.name for st in STYLES}
    for style in styles:
        mine = [s for s in specs if s.style == style]
        assert len({s.bpm for s in mine}) > 1, f"{style}: one tempo for every track"
        assert len({(s.tonic, s.mode) for s in mine}) > 1, f"{style}: one key for every track"
        programs = {tuple(p.program for p in s.parts) for s in mine}
        assert len(programs) > 1, f"{style}: one instrumentation for every track"
    assert {s.energy for s in specs} == {"low", "medium", "high"}
    assert {s.mode for s in specs} == {"major", "minor"}
    voiced = [s for s in specs if s.has_voice]
    assert len(voiced) >= 0.25 * len(specs)
    assert len({s.style for s in voiced}) >= 4


def test_plan_is_a_pure_function_of_count_and_seed():
    a, b, c = plan_catalog(36, 3), plan_catalog(36, 3), plan_catalog(36, 4)
    assert a == b
    assert a != c


def test_build_is_deterministic_and_idempotent(tmp_path):
    first = build_demo(tmp_path / "a", n_tracks=12, seed=1, progress=False)
    second = build_demo(tmp_path / "b", n_tracks=12, seed=1, progress=False)
    assert first.read_text() == second.read_text()
    assert _digest(first.parent) == _digest(second.parent)
    mtimes = {p: p.stat().st_mtime_ns for p in first.parent.glob("*.flac")}
    started = time.perf_counter()
    again = build_demo(tmp_path / "a", n_tracks=12, seed=1, progress=False)
    assert again == first and time.perf_counter() - started < 5
    assert {p: p.stat().st_mtime_ns for p in first.parent.glob("*.flac")} == mtimes


def test_an_interrupted_build_renders_only_what_is_missing(tmp_path):
    manifest = build_demo(tmp_path, n_tracks=12, seed=2, progress=False)
    victim = sorted(tmp_path.glob("*.flac"))[3]
    expected = victim.read_bytes()
    victim.unlink()
    keep = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.flac")}
    assert build_demo(tmp_path, n_tracks=12, seed=2, progress=False) == manifest
    assert victim.read_bytes() == expected
    assert all(p.stat().st_mtime_ns == t for p, t in keep.items())


def test_manifest_columns_values_and_label_definitions(demo_manifest):
    with demo_manifest.open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ())[: len(MANIFEST_COLUMNS)] == MANIFEST_COLUMNS
    rows = read_manifest(demo_manifest)
    assert len(rows) == 120
    for row in rows:
        assert Path(row["path"]).is_file()
        assert row["energy"] in {"low", "medium", "high"}
        assert row["mode"] in {"major", "minor"}
        assert {row["has_voice"], row["study_ok"], row["workout_ok"]} <= {"0", "1"}
        bpm, energy, voice = int(row["bpm"]), row["energy"], row["has_voice"] == "1"
        study = not voice and (energy == "low" or (energy == "medium" and bpm <= 110))
        workout = energy == "high" or (
            energy == "medium" and bpm >= 120 and row["style"] not in SWUNG
        )
        assert row["study_ok"] == str(int(study)), row["title"]
        assert row["workout_ok"] == str(int(workout)), row["title"]
    assert sum(r["study_ok"] == "1" for r in rows) >= 20
    assert sum(r["workout_ok"] == "1" for r in rows) >= 20


def test_audio_is_20_to_30_seconds_with_tags(demo_manifest):
    for row in read_manifest(demo_manifest)[::7]:
        info = sf.info(row["path"])
        assert 20.0 <= info.duration <= 30.5, row["title"]
        assert info.channels == 2
        tags = read_tags(row["path"])
        assert tags.title == row["title"]
        assert tags.genre == row["style"]


def test_energy_label_is_audible_in_loudness(demo_manifest):
    import numpy as np

    loud: dict[str, list[float]] = {"low": [], "medium": [], "high": []}
    for row in read_manifest(demo_manifest):
        y, _ = sf.read(row["path"], dtype="float32")
        loud[row["energy"]].append(20 * np.log10(np.sqrt(np.mean(y**2)) + 1e-9))
    assert max(loud["low"]) < min(loud["high"])
    assert np.median(loud["low"]) < np.median(loud["medium"]) < np.median(loud["high"])
