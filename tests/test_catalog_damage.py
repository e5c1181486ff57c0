"""Read-only and damaged catalogs (issue case 6).

A read-only catalog folder (a backup, a library shared by another user) still answers
``catalog stats`` and ``ask``; ingest into it is refused. A damaged ``records.sqlite`` or
``chroma/chroma.sqlite3`` gives one clear line naming the file and what to do, and
nothing is recreated over it. The catalogs are real (ingested here), the damage is done
to their files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from tests.cli_runner import run_cli
from tests.test_ingest import write_track


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog of three tracks, built once; each test works on its own copy."""
    root = tmp_path_factory.mktemp("damage")
    for seed, name in enumerate(("Blue Hour", "Night Drive", "Paper Boats"), start=41):
        write_track(root / "music" / f"{name}.wav", seed=seed, title=name)
    folder = root / "catalog"
    ingest([root / "music"], load_settings(catalog=folder, workers=1), progress=False)
    return folder


def _copy(built: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(built, folder)
    return folder


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make a folder unwritable, even for root (immutable flag), and undo it afterwards."""
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "-R", "+i", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make a folder read-only as root: {done.stderr.decode()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-R", "-i", str(folder)], check=True)
        return
    modes = {p: p.stat().st_mode for p in paths}
    for p in reversed(paths):
        p.chmod(modes[p] & 0o555)
    try:
        yield
    finally:
        for p in paths:
            p.chmod(modes[p])


@pytest.mark.parametrize("closed", [False, True], ids=["with -wal files", "cleanly closed"])
def test_a_read_only_catalog_answers_and_refuses_ingest(built, tmp_path, closed):
    folder = _copy(built, tmp_path)
    if closed:  # the last connection to close checkpoints and removes -wal/-shm
        db = sqlite3.connect(folder / "records.sqlite")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)"), db.close()
        assert not (folder / "records.sqlite-wal").exists()
    new = write_track(tmp_path / "new" / "new.wav", seed=48).parent
    before = _digest(folder)
    with read_only(folder):
        stats = run_cli(["catalog", "--catalog", str(folder), "stats", "--json"])
        assert stats.returncode == 0, stats.stderr[-2000:]
        assert json.loads(stats.stdout)["tracks"] == 3
        answer = run_cli(["ask", "more like Blue Hour", "--json", "--catalog", str(folder)])
        assert answer.returncode == 0, answer.stderr[-2000:]
        assert json.loads(answer.stdout)["picks"]
        assert "read-only" in answer.stderr and "Traceback" not in answer.stderr
        refused = run_cli(["ingest", str(new), "--catalog", str(folder), "-q"])
        assert refused.returncode == 2 and "read-only" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert _digest(folder) == before


@pytest.mark.parametrize(
    "damage",
    ["records-garbage", "records-truncated", "records-empty", "chroma-garbage"],
)
def test_a_damaged_catalog_file_is_named_and_left_alone(built, tmp_path, damage):
    folder = _copy(built, tmp_path)
    target = folder / ("chroma/chroma.sqlite3" if damage.startswith("chroma") else "records.sqlite")
    for side in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        side.unlink(missing_ok=True)  # the damage is to the database, not hidden by a WAL
    if damage.endswith("garbage"):
        target.write_bytes(os.urandom(20_000))
    elif damage.endswith("truncated"):
        target.write_bytes(target.read_bytes()[:8192])
    else:
        target.write_bytes(b"")
    damaged_bytes = target.read_bytes()
    for argv in (
        ["catalog", "--catalog", str(folder), "stats"],
        ["ask", "more like Blue Hour", "--catalog", str(folder)],
        ["ingest", str(tmp_path / "nothing"), "--catalog", str(folder), "-q"],
    ):
        if argv[0] == "ingest":
            (tmp_path / "nothing").mkdir(exist_ok=True)
            write_track(tmp_path / "nothing" / "new.wav", seed=49)
        done = run_cli(argv)
        assert done.returncode == 2, (argv, done.stderr[-2000:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert str(target) in lines[0] and "damaged" in lines[0] and "backup" in lines[0]
        assert target.read_bytes() == damaged_bytes  # nothing recreated over it
