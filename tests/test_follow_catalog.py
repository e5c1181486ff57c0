"""A catalog built with the old offline space keeps answering after the default moved.

The offline default is acoustic-v3 (fitted on real music); catalogs built before use
acoustic-v1 or acoustic-v2 (the first real-music fit). With no embedder named, the CLI
follows the catalog's space; a named embedder is never overridden, and a mismatch is
refused with both spaces named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.embed.factory import follow_catalog
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from tests.cli_runner import run_cli
from tests.test_ingest import write_track


@pytest.fixture
def v1_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    music = tmp_path / "music"
    for i in range(6):
        write_track(music / f"t{i}.wav", seed=40 + i, title=f"Old Song {i}")
    folder = tmp_path / "old-catalog"
    ingest([music], load_settings(catalog=folder, embedder="acoustic", workers=1), progress=False)
    monkeypatch.setenv("LINERNOTES_CATALOG", str(folder))
    return folder


def test_unnamed_embedder_follows_the_catalogs_offline_space(v1_catalog: Path) -> None:
    settings = load_settings()
    assert settings.embedder == "acoustic-v3"
    followed = follow_catalog(settings)
    assert followed.embedder == "acoustic"
    assert open_catalog(followed, create=False).audio_space == "acoustic-v1"
    done = run_cli(["search", "--like", "Old Song 1", "--k", "3", "--json"])
    assert done.returncode == 0, done.stderr[-2000:]
    hits = json.loads(done.stdout)["hits"]
    assert len(hits) == 3 and all(h["title"].startswith("Old Song") for h in hits)
    more = write_track(v1_catalog.parent / "more" / "new.wav", seed=99, title="New Song")
    done = run_cli(["ingest", str(more.parent), "--json"])
    assert done.returncode == 0 and json.loads(done.stdout)["added"] == 1, done.stderr[-2000:]


def test_a_named_embedder_is_never_overridden(
    v1_catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINERNOTES_EMBEDDER", "acoustic-v2")
    assert follow_catalog(load_settings()).embedder == "acoustic-v2"
    done = run_cli(["search", "--like", "Old Song 1", "--json"])
    assert done.returncode != 0
    assert "acoustic-v1" in done.stdout + done.stderr
    assert "acoustic-v2" in done.stdout + done.stderr


def test_a_catalog_of_the_first_real_music_fit_is_followed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    music = tmp_path / "music"
    for i in range(4):
        write_track(music / f"t{i}.wav", seed=60 + i, title=f"V2 Song {i}")
    folder = tmp_path / "v2-catalog"
    ingest(
        [music], load_settings(catalog=folder, embedder="acoustic-v2", workers=1), progress=False
    )
    monkeypatch.setenv("LINERNOTES_CATALOG", str(folder))
    assert follow_catalog(load_settings()).embedder == "acoustic-v2"
    # a clip from outside the catalog is embedded in the catalog's space (not the
    # default's, whose vectors would mean nothing there), so it finds its own track
    y, sr = sf.read(music / "t2.wav")
    clip = tmp_path / "upload" / "clip.wav"
    clip.parent.mkdir()
    sf.write(clip, y[: len(y) * 9 // 10], sr)
    done = run_cli(["search", "--like", str(clip), "--k", "2", "--json"])
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["query"]["in_catalog"] is False and out["query"]["space"] == "acoustic-v2"
    assert out["hits"][0]["title"] == "V2 Song 2"


def test_no_catalog_or_a_damaged_one_keeps_the_default(tmp_path: Path) -> None:
    assert follow_catalog(load_settings(catalog=tmp_path / "none")).embedder == "acoustic-v3"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "records.sqlite").write_bytes(b"not a database at all" * 10)
    assert follow_catalog(load_settings(catalog=bad)).embedder == "acoustic-v3"
