"""``ingest --engine ray``: same catalog and skip report as the local engine; kill -9 resumes.

Needs the ``ray`` extra (``make ray``); marked ``ray`` and deselected by default, run by
``.ci/run``. Each run starts a small local Ray runtime (2-3 logical CPUs, 128 MB object
store), so the file takes a few minutes on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_ingest import (
    BAD_REASONS,
    REPO,
    _alive,
    _open,
    _run_cli,
    make_bad_input_folder,
    write_track,
)

from linernotes.tools.ingest.worker import CRASH_REASON
from linernotes.tools.settings import load_settings

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray", reason="the ray extra is not installed (make ray)")

DEMO_TRACKS = 10
CONTENTS = DEMO_TRACKS + 3
"""Distinct audio: the demo, plus the bad-input folder's valid files (two share audio)."""
TWINS = 2
"""Files whose audio another file has: the copy of a demo track and the tagged twin."""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo tracks (seed 1, not the fitting seed) beside the bad-input folder's files."""
    from linernotes.tools.demo import build_demo

    root = tmp_path_factory.mktemp("ray-library")
    build_demo(root / "audio" / "demo", n_tracks=DEMO_TRACKS, seed=1, progress=False)
    (root / "audio" / "demo" / "manifest.csv").unlink()
    make_bad_input_folder(root / "audio" / "bad")
    shutil.copy(root / "audio" / "demo" / "003-sudden-tide.flac", root / "audio" / "copy.flac")
    return root / "audio"


def _catalog_rows(catalog: Path) -> dict[str, tuple]:
    """Everything ingest decides per track, by id (paths made relative)."""
    cat = _open(catalog)
    tracks = cat.tracks()
    ids = [t.id for t in tracks]
    audio = cat.audio_vectors(ids)
    rows = {}
    for t, vec in zip(tracks, audio, strict=True):
        rows[t.id] = (
            Path(t.path).name,
            t.title,
            t.measurements.model_dump_json(),
            t.summary.model_dump_json(),
            t.caption,
            t.provenance.model_dump_json(exclude={"analysed_at"}),  # when, not what
            np.asarray(vec, dtype=np.float64),
        )
    return rows


def _assert_same_rows(got: dict[str, tuple], want: dict[str, tuple]) -> None:
    """Every track decided alike; vectors the same up to float32 noise.

    Measured: at most 3e-8 apart (a worker's BLAS may sum in another order). Not rounded:
    one ulp can flip a rounded last digit.
    """
    assert sorted(got) == sorted(want)
    for track_id, row in want.items():
        assert got[track_id][:-1] == row[:-1], track_id
        np.testing.assert_allclose(got[track_id][-1], row[-1], rtol=0, atol=1e-6)


def _skips(report: dict, root: Path) -> list[tuple[str, str]]:
    return [(str(Path(s["path"]).relative_to(root)), s["reason"]) for s in report["skipped"]]


def test_ray_engine_matches_the_local_engine(library, tmp_path, capsys):
    base = ["ingest", str(library), "--json", "-q", "--workers", "2", "--batch-size", "4"]
    code, local = _run_cli([*base, "--catalog", str(tmp_path / "local")], capsys)
    assert code == 0
    code, on_ray = _run_cli([*base, "--catalog", str(tmp_path / "ray"), "--engine", "ray"], capsys)
    assert code == 0

    files = DEMO_TRACKS + 10 + 1
    for report in (local, on_ray):
        assert report["files"] == files
        assert report["added"] == CONTENTS
        assert report["already_present"] == TWINS
        assert report["listener_fallback"] is None
    assert _skips(on_ray, library) == _skips(local, library)
    reasons = dict(_skips(on_ray, library))
    assert len(reasons) == len(BAD_REASONS)
    for path, reason in reasons.items():
        assert path.startswith("bad/"), path
        assert any(words in reason for words in BAD_REASONS.values()), reason

    local_rows, ray_rows = _catalog_rows(tmp_path / "local"), _catalog_rows(tmp_path / "ray")
    _assert_same_rows(ray_rows, local_rows)
    assert len(ray_rows) == CONTENTS
    assert [s["path"] for s in _open(tmp_path / "ray").skipped()] == [
        s["path"] for s in _open(tmp_path / "local").skipped()
    ]

    # A rerun on Ray adds nothing and finds everything present.
    code, again = _run_cli([*base, "--catalog", str(tmp_path / "ray"), "--engine", "ray"], capsys)
    assert (again["added"], again["already_present"]) == (0, CONTENTS + TWINS)


def test_a_crashing_file_is_named_and_the_rest_kept(tmp_path, monkeypatch):
    from linernotes.tools.ingest.ray_engine import ingest_ray

    # The Ray workers' own analysis processes import ``crash_on_purpose`` from this folder.
    here = str(Path(__file__).parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    )
    for i in range(5):
        write_track(tmp_path / "audio" / f"{i}.wav", seed=200 + i, seconds=1.5)
    write_track(tmp_path / "audio" / "crash.wav", seed=300, seconds=1.5)
    settings = load_settings(catalog=tmp_path / "catalog", workers=1, batch_size=2)
    report = ingest_ray(
        [tmp_path / "audio"], settings, progress=False, analyse_fn=_crash_or_analyse
    )
    assert report.added == 5
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [("crash.wav", CRASH_REASON)]


def _crash_or_analyse(path: str, max_duration_s: float | None = None):
    """The real analysis, except that a file named crash.wav kills the process."""
    from linernotes.tools.ingest.worker import analyse_path

    if Path(path).name == "crash.wav":
        os._exit(11)  # as a decoder segfault would
    return analyse_path(path, max_duration_s)


def _ray_processes(pid: int) -> list[int]:
    """Every descendant of ``pid`` (the local Ray runtime: raylet, GCS, workers)."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent:
                child = int(stat.parent.name)
                found.append(child)
                frontier.append(child)
    return found


def test_kill_9_midway_then_rerun_completes_without_duplicates(tmp_path):
    audio = tmp_path / "audio"
    n = 24
    for i in range(n):
        write_track(audio / f"t{i:02d}.wav", seed=400 + i, seconds=1.5)
    catalog = tmp_path / "catalog"
    env = {**os.environ, "LINERNOTES_CATALOG": str(catalog)}
    cmd = [sys.executable, "-m", "linernotes.ui.cli", "ingest", str(audio), "--engine", "ray"]
    cmd += ["--workers", "1", "--batch-size", "4"]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert proc.stderr is not None
    seen, landed, deadline = b"", 0, time.monotonic() + 240
    while landed < 4 and time.monotonic() < deadline:  # until a first batch is upserted
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        chunk = os.read(proc.stderr.fileno(), 4096) if ready else b""
        if ready and not chunk:
            break
        seen += chunk
        landed = max([0, *(int(k) for k in re.findall(rb"\b(\d+)/%d\b" % n, seen))])
    runtime = _ray_processes(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 4 <= landed < n, seen.decode(errors="replace")[-2000:]
    killed = time.monotonic()

    rerun = subprocess.run(
        [*cmd, "--json", "-q"], cwd=REPO, env=env, capture_output=True, text=True, timeout=400
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = json.loads(rerun.stdout)
    assert report["already_present"] >= landed
    assert report["added"] + report["already_present"] == n
    assert report["skipped"] == []
    # Raylet, GCS and workers go with the driver; Ray's agents notice within ~90 s.
    while (alive := [p for p in runtime if _alive(p)]) and time.monotonic() < killed + 150:
        time.sleep(0.5)
    assert alive == [], "the local Ray runtime outlived kill -9 of its driver"

    from linernotes.tools.catalog.catalog import collection_name

    cat = _open(catalog)
    tracks = cat.tracks()
    assert sorted(Path(t.path).name for t in tracks) == [f"t{i:02d}.wav" for i in range(n)]
    captions = cat.client.get_collection(collection_name("captions", cat.text_space))
    assert captions.count() == n


@pytest.fixture(scope="module")
def small_catalog(library, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library ingested by the local engine (recaption and mine start from it)."""
    from linernotes.tools.ingest.pipeline import ingest

    folder = tmp_path_factory.mktemp("ray-catalog") / "catalog"
    ingest([library], load_settings(catalog=folder, workers=2), progress=False)
    return folder


def _verdicts(catalog: Path) -> list[tuple]:
    rows = [
        (v.anchor_id, v.track_id, round(v.score, 6), v.backend, v.context or "")
        for v in _open(catalog).verdicts()
    ]
    return sorted(rows)


def _triplets(catalog: Path) -> list[tuple]:
    rows = [
        (t.anchor_id, t.positive_id, t.negative_id, t.gap, t.round, t.source)
        for t in _open(catalog).records.triplets()
    ]
    return sorted(rows)


def test_mine_on_ray_stores_what_the_local_round_stores(small_catalog, tmp_path, capsys):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    shutil.copytree(small_catalog, local)
    shutil.copytree(small_catalog, on_ray)
    argv = ["mine", "--anchors", "6", "--k", "5", "--explore", "3", "--seed", "2", "--json"]
    code, got_local = _run_cli([*argv, "--catalog", str(local)], capsys)
    assert code == 0
    code, got_ray = _run_cli([*argv, "--catalog", str(on_ray), "--engine", "ray"], capsys)
    assert code == 0
    for key in ("round", "anchors", "judged", "positives", "hard_negatives", "triplets", "new"):
        assert got_ray[key] == got_local[key], key
    assert got_ray["judged"] == 6 * (5 + 3)
    assert _verdicts(on_ray) == _verdicts(local)
    assert _triplets(on_ray) == _triplets(local)


def test_recaption_on_ray_writes_what_the_local_command_writes(small_catalog, tmp_path, capsys):
    from linernotes.tools.embed.factory import make_text_embedder

    local, on_ray = tmp_path / "local", tmp_path / "ray"
    shutil.copytree(small_catalog, local)
    shutil.copytree(small_catalog, on_ray)
    for folder in (local, on_ray):  # make every caption stale: written by an old prompt
        cat = _open(folder)
        tracks = cat.tracks()
        old = [
            t.model_copy(
                update={
                    "caption": "old caption",
                    "provenance": t.provenance.model_copy(update={"prompt_version": "mir-v0"}),
                }
            )
            for t in tracks
        ]
        text = make_text_embedder(load_settings()).embed([t.caption for t in old])
        cat.upsert(old, cat.audio_vectors([t.id for t in tracks]), text)
    code, got_local = _run_cli(["recaption", "--stale", "--catalog", str(local)], capsys)
    assert code == 0
    argv = ["recaption", "--stale", "--catalog", str(on_ray), "--engine", "ray"]
    code, got_ray = _run_cli(argv, capsys)
    assert code == 0
    assert got_ray == got_local
    assert got_ray["recaptioned"] == CONTENTS
    local_rows, ray_rows = _catalog_rows(local), _catalog_rows(on_ray)
    _assert_same_rows(ray_rows, local_rows)
    assert all(row[4] != "old caption" for row in ray_rows.values())
