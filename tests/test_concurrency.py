"""Two processes on one catalog (issue case 7): counts that add up, asks that answer.

Two ``linernotes ingest`` runs of the same folder at once must report, together, exactly
the tracks that were added. And ``ask`` in one process while another ingests must answer
every time ("no track with id ..." was the failure). Real processes, real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from tests.cli_runner import ROOT
from tests.test_ingest import write_track

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _ingest_cmd(folder: Path, catalog: Path, batch: int = 2) -> list[str]:
    return [
        sys.executable, "-m", "linernotes.ui.cli", "ingest", str(folder), "--catalog",
        str(catalog), "--json", "-q", "--workers", "1", "--batch-size", str(batch),
    ]  # fmt: skip


def test_concurrent_ingests_report_what_they_added(tmp_path):
    music = tmp_path / "music"
    for i in range(10):
        write_track(music / f"song_{i:02d}.wav", seed=100 + i, seconds=2.0)
    catalog = tmp_path / "catalog"
    procs = [
        subprocess.Popen(
            _ingest_cmd(music, catalog),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=ENV,
        )
        for _ in range(2)
    ]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()[-2000:]
        reports.append(json.loads(out))
    held = len(open_catalog(load_settings(catalog=catalog), create=False).tracks())
    assert held == 10
    assert sum(r["added"] for r in reports) == held  # not 20
    assert all(r["added"] + r["already_present"] == 10 for r in reports)


ASKER = textwrap.dedent(
    """
    import json, sys, time
    from linernotes.agent.run import ask
    from linernotes.tools.settings import load_settings
    settings = load_settings(catalog=sys.argv[1])
    stop, failures, answered = sys.argv[2], [], 0
    import os
    while True:
        done = os.path.exists(stop)
        for text in ("more like Seed Track", "something calm for studying"):
            try:
                answer = ask(text, settings)
                answered += bool(answer.reply)
            except Exception as e:  # every failure is recorded, none stops the loop
                failures.append(f"{type(e).__name__}: {e}")
        if done:
            break
    print(json.dumps({"answered": answered, "failures": failures}))
    """
)


def test_ask_answers_every_time_while_another_process_ingests(tmp_path):
    catalog = tmp_path / "catalog"
    seed = write_track(tmp_path / "seed" / "seed.wav", seed=7, title="Seed Track")
    ingest([seed.parent], load_settings(catalog=catalog, workers=1), progress=False)
    music = tmp_path / "music"
    for i in range(12):
        write_track(music / f"new_{i:02d}.wav", seed=200 + i, seconds=2.0)
    stop = tmp_path / "ingest-done"
    asker = subprocess.Popen(
        [sys.executable, "-c", ASKER, str(catalog), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV,
    )  # fmt: skip
    try:
        done = subprocess.run(
            _ingest_cmd(music, catalog, batch=1), capture_output=True, cwd=ROOT, env=ENV,
            timeout=600, check=False,
        )  # fmt: skip
    finally:
        stop.touch()
    out, _err = asker.communicate(timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert json.loads(done.stdout)["added"] == 12
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["failures"] == [], result["failures"][:3]
    assert result["answered"] >= 2


OPENER = (
    "import sys; from linernotes.tools.catalog.catalog import open_catalog; "
    "from linernotes.tools.settings import load_settings; "
    "open_catalog(load_settings(catalog=sys.argv[1]))"
)


def test_processes_opening_a_new_catalog_at_once_all_succeed(tmp_path):
    """Chroma creates its database on first open; two creators at once used to collide.

    Seen as "database is locked" / "table collections already exists" in about 1 of 30
    simultaneous opens; the catalog folder's open lock makes them take turns.
    """
    for trial in range(6):
        folder = tmp_path / f"new-{trial}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(folder)], stderr=subprocess.PIPE, env=ENV
            )
            for _ in range(4)
        ]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()[-1500:]
