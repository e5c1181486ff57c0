"""``--json`` promises scripts one JSON object on stdout, whatever happens (issue case 8).

Argument errors, a catalog that is not there, a turn that could not be answered, junk
bytes as the request and a very long thread id: stdout parses as one object, failures
carry ``{"error": {...}}`` and the exit code says whether anything was answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from linernotes.ui.cli import main
from tests.cli_runner import ROOT
from tests.test_ingest import write_track


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three ingested tracks (offline backends), made once for this file."""
    root = tmp_path_factory.mktemp("cli-json")
    for seed, name in enumerate(("Blue Hour", "Night Drive", "Paper Boats"), start=21):
        write_track(root / "music" / f"{name}.wav", seed=seed, title=name)
    folder = root / "catalog"
    ingest([root / "music"], load_settings(catalog=folder, workers=1), progress=False)
    return str(folder)


def _json_run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)  # exactly one JSON document, or this raises


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--json"],  # TEXT missing
        ["ask", "hello", "--json", "--count", "0"],  # out of range
        ["ask", "hello", "--json", "--bogus"],  # unknown option
        ["catalog", "--json"],  # no action (and --json is not even its option)
    ],
)
def test_argument_errors_are_json(argv, capsys):
    code, out = _json_run(argv, capsys)
    assert code == 2
    assert out["error"]["type"] == "UsageError" and out["error"]["message"]
    assert out["error"]["command"] == argv[0]


def test_a_missing_catalog_is_a_json_error(tmp_path, capsys):
    code, out = _json_run(["ask", "more like x", "--json", "--catalog", str(tmp_path)], capsys)
    assert code == 2
    assert out["error"]["type"] == "CatalogError" and str(tmp_path) in out["error"]["message"]


def test_could_not_answer_exits_non_zero_with_the_reason(catalog, capsys):
    argv = ["ask", "more like Zebra Quantum Nonesuch", "--json", "--catalog", catalog]
    code, out = _json_run(argv, capsys)
    assert code == 1
    assert "Zebra Quantum Nonesuch" in out["problem"] and out["picks"] == []
    code, out = _json_run(["ask", "more like Night Drive", "--json", "--catalog", catalog], capsys)
    assert code == 0 and out["problem"] is None and out["picks"]


def test_a_bug_is_still_one_json_object(catalog, capsys, monkeypatch):
    import linernotes.agent.run as run

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(run, "ask", broken)
    code, out = _json_run(["ask", "anything", "--json", "--catalog", catalog], capsys)
    assert code == 1
    assert out["error"] == {
        "type": "InternalError",
        "message": "RuntimeError: boom",
        "command": "ask",
    }


def test_binary_junk_and_a_300_character_thread(catalog):
    junk = b"more like \xff\xfe\x00\x01\x02 Night \x1b[31m Drive \xc3\x28"
    junk = junk.replace(b"\x00", b"")  # argv cannot hold NUL bytes
    thread = "t" * 300
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    argv = [sys.executable, "-m", "linernotes.ui.cli", "ask", junk, "--json"]
    argv += ["--catalog", catalog.encode(), "--thread", thread]
    done = subprocess.run(argv, capture_output=True, cwd=ROOT, env=env, timeout=300, check=False)
    out = json.loads(done.stdout)
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")[-2000:]
    assert "error" not in out and out["thread"] == thread and out["reply"]
    traces = list((Path(catalog) / "traces").glob("tttt*.jsonl"))
    assert len(traces) == 1 and len(traces[0].name) < 120
