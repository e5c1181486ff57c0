"""The demo catalog: deterministic, labelled from its composition, true to its labels."""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from pathlib import Path

import soundfile as sf

from linernotes.tools.audio import read_tags
from linernotes.tools.demo import MANIFEST_COLUMNS, STYLES, build_demo, plan_catalog, read_manifest

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


# ---- plan-level label and instrumentation rules (no rendering) --------------------------


def test_plan_parameters_are_in_range():
    from linernotes.tools.demo.plan import style_named
    from linernotes.tools.demo.theory import PITCH_NAMES

    for s in plan_catalog(120, 0):
        style = style_named(s.style)
        assert style.bpm[0] <= s.bpm <= style.bpm[1], s.title
        assert 20.0 <= s.duration_s <= 30.0, s.title
        assert s.key in PITCH_NAMES and s.energy in style.energy
        assert s.parts, s.title


def test_voice_is_mixed_within_styles_and_presets_only_on_sung_tracks():
    from linernotes.tools.demo.styles import VOICE_DOUBLES

    specs = plan_catalog(120, 0)
    voiced = Counter(s.style for s in specs if s.has_voice)
    for style in STYLES:
        if 0 < style.voice < 1:
            assert 0 < voiced[style.name] < 10, style.name  # never all one way
    for s in specs:
        assert not any(p.program in VOICE_DOUBLES and not p.is_drum for p in s.parts)
        assert ("voice" in s.instruments) == s.has_voice


def test_study_and_workout_never_overlap():
    specs = plan_catalog(120, 0)
    assert not any(s.study_ok and s.workout_ok for s in specs)


def test_harmony_is_diatonic_and_cadences_on_the_tonic():
    import numpy as np

    from linernotes.tools.demo.theory import (
        HARMONIC_MINOR_FAMILIES,
        PROGRESSIONS,
        chord_plan,
        scale_pcs,
    )

    rng = np.random.default_rng(0)
    for family in PROGRESSIONS:
        for mode in ("major", "minor"):
            chords = chord_plan(family, 9, mode, 8, 1, rng)
            allowed = set(scale_pcs(9, mode))
            if mode == "minor" and family in HARMONIC_MINOR_FAMILIES:
                allowed.add((9 + 11) % 12)  # the raised leading tone of the dominant
            assert all(set(c.pcs) <= allowed for c in chords), (family, mode)
            assert chords[0].degree == 0 and chords[-1].degree == 0


def test_plan_rejects_an_empty_catalog():
    import pytest

    with pytest.raises(ValueError, match="at least 1"):
        plan_catalog(0)


# ---- files, parameters, command ---------------------------------------------------------


def test_manifest_paths_are_relative_and_tags_name_the_band(demo_manifest):
    with demo_manifest.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[::11]:
        assert not Path(row["path"]).is_absolute()
        tags = read_tags(demo_manifest.parent / row["path"])
        assert tags.artist == row["artist"] and tags.artist.startswith("linernotes demo band")
        assert tags.album == row["album"]


def test_other_parameters_replace_the_old_files(tmp_path):
    folder = tmp_path / "demo"
    build_demo(folder, n_tracks=2, seed=5, progress=False)
    manifest = build_demo(folder, n_tracks=1, seed=6, progress=False)
    with manifest.open(newline="") as fh:
        kept = {row["path"] for row in csv.DictReader(fh)}
    assert {p.name for p in folder.glob("*.flac")} == kept
    assert not list(folder.glob(".*.tmp"))


def test_demo_command_builds_ingests_and_answers(demo_manifest, monkeypatch, capsys):
    from types import SimpleNamespace

    from linernotes.ui import cli
    from linernotes.ui.commands import demo

    calls: dict[str, object] = {}

    def fake_ingest(paths, settings, progress=True):
        calls["ingest"] = paths
        return SimpleNamespace(added=0, already_present=120, skipped=[], seconds=0.1)

    def fake_ask(text, settings, **kwargs):
        calls["ask"] = text
        pick = SimpleNamespace(
            rank=1,
            title="Some Track",
            score=0.81,
            confidence=0.7,
            path="/x.flac",
            explanation="Calm.",
        )
        return SimpleNamespace(
            reply="1. Some Track: Calm.", picks=[pick], playlist=[], backends={"judge": "rules"}
        )

    monkeypatch.setattr("linernotes.tools.ingest.pipeline.ingest", fake_ingest)
    monkeypatch.setattr("linernotes.agent.run.ask", fake_ask)
    catalog = demo_manifest.parent.parent
    started = time.perf_counter()
    code = cli.main(["demo", "--tracks", "120", "--no-ui", "--catalog", str(catalog)])
    assert time.perf_counter() - started < 10  # the rendered demo is reused, not redone
    out = capsys.readouterr().out
    assert code == 0
    assert calls["ingest"] == [catalog / demo.DEMO_FOLDER]
    rows = read_manifest(demo_manifest)
    lofi = [r for r in rows if r["style"] == "lo-fi hip-hop" and r["has_voice"] == "0"]
    assert calls["ask"] == f"more like {lofi[0]['title']} but for studying"
    assert "Some Track" in out and "0.81" in out and "Calm." in out


def test_anchor_title_prefers_an_instrumental_lofi_track():
    from linernotes.ui.commands.demo import anchor_title

    rows = [
        {"style": "metal", "has_voice": "0", "title": "A"},
        {"style": "lo-fi hip-hop", "has_voice": "1", "title": "B"},
        {"style": "lo-fi hip-hop", "has_voice": "0", "title": "C"},
    ]
    assert anchor_title(rows) == "C"
    assert anchor_title(rows[:2]) == "B"
    assert anchor_title(rows[:1]) == "A"
