"""One catalog, seen alike by every process: asks during an ingest, a fresh server client.

These run the real CLI in subprocesses against a real embedded store or a real Chroma
server (``chroma run`` on loopback): the writer is another process, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linernotes.tools.catalog.store import free_port, heartbeat, local_chroma_server
from linernotes.tools.settings import load_settings
from tests.test_ingest import write_track

ROOT = Path(__file__).resolve().parents[1]


def _songs(folder: Path, name: str, n: int, seed: int) -> list[Path]:
    return [
        write_track(folder / f"{name.lower()}{i}.wav", seed + i, seconds=2.0, title=f"{name} {i}")
        for i in range(n)
    ]


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, **env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "linernotes.ui.cli", *args],
        cwd=ROOT,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _done(proc: subprocess.Popen[str], timeout: float = 400) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-2000:]
    return out


@pytest.mark.parametrize("store", ["embedded", "http"])
def test_asks_answer_while_another_process_ingests(store, tmp_path, monkeypatch) -> None:
    """Every ask answers during an ingest, and the new tracks appear without a restart."""
    from linernotes.agent.run import ask, reset_sessions
    from linernotes.tools.catalog.catalog import open_catalog

    _songs(tmp_path / "first", "Alpha", 6, 100)
    _songs(tmp_path / "second", "Beta", 8, 200)
    writer = {"LINERNOTES_CATALOG": str(tmp_path / "writer"), "LINERNOTES_STORE": store}
    server, running = None, local_chroma_server(tmp_path / "server")
    if store == "http":
        server = running.__enter__()  # kept: the context manager stops it when collected
        writer["LINERNOTES_STORE_URL"] = server.url
    try:
        _done(_cli(["ingest", str(tmp_path / "first")], writer))
        # The asking process: the same folder embedded; an EMPTY folder against the server.
        reader = tmp_path / ("writer" if store == "embedded" else "reader")
        settings = load_settings(
            catalog=reader, store=store, store_url=server.url if server else None
        )
        reset_sessions()
        catalog = open_catalog(settings, create=False)
        assert len(catalog) == 6
        proc = _cli(["ingest", str(tmp_path / "second")], writer)
        asked = 0
        while proc.poll() is None or asked < 2:
            answer = ask("more like Alpha 2", settings, count=3)
            assert answer.picks, answer.reply  # every ask answers, even mid-ingest
            assert all(p.explanation for p in answer.picks)
            asked += 1
        _done(proc)
        assert len(catalog) == 14  # the same Catalog object: no reopen, no restart
        assert catalog.resolve("Beta 5").title == "Beta 5"
        answer = ask("more like Beta 5", settings, count=3)
        assert answer.request.anchor and catalog.get(answer.request.anchor).title == "Beta 5"
        assert answer.picks and "Beta 5" not in {p.title for p in answer.picks}
    finally:
        reset_sessions()
        if server is not None:
            running.__exit__(None, None, None)


def test_serve_store_serves_an_empty_client_folder(tmp_path) -> None:
    """serve-store; ingest from one client folder; ask from another that holds nothing."""
    _songs(tmp_path / "music", "Gamma", 6, 300)
    port = free_port()
    server = _cli(
        ["serve-store", "--port", str(port), "--path", str(tmp_path / "server-data")],
        {"LINERNOTES_CATALOG": str(tmp_path / "unused")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not heartbeat(url) and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.3)
        env = {"LINERNOTES_STORE": "http", "LINERNOTES_STORE_URL": url}
        _done(
            _cli(
                ["ingest", str(tmp_path / "music")],
                {**env, "LINERNOTES_CATALOG": str(tmp_path / "a")},
            )
        )
        empty = tmp_path / "b"
        out = _done(
            _cli(["ask", "--json", "more like Gamma 1"], {**env, "LINERNOTES_CATALOG": str(empty)})
        )
        from linernotes.tools.schemas import Answer

        answer = Answer.model_validate_json(out[out.index("{") :])
        assert answer.picks and all(p.explanation for p in answer.picks)
        assert {p.title for p in answer.picks} <= {f"Gamma {i}" for i in range(6)} - {"Gamma 1"}
        stats = _done(
            _cli(["catalog", "stats", "--json"], {**env, "LINERNOTES_CATALOG": str(empty)})
        )
        assert '"tracks": 6' in stats
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_postgres_threads_url_without_the_extra_says_how_to_install(monkeypatch) -> None:
    import importlib.util

    from linernotes.agent.run import postgres_checkpointer
    from linernotes.tools.errors import ConfigError

    with pytest.raises(ConfigError, match="postgresql:// URL"):
        postgres_checkpointer("sqlite:///x", None)
    if importlib.util.find_spec("langgraph.checkpoint.postgres") is not None:
        pytest.skip("the postgres extra is installed here")
    with pytest.raises(ConfigError, match=r"linernotes\[postgres\]") as err:
        postgres_checkpointer("postgresql://u:secret@db:5432/x", None)
    assert "secret" not in str(err.value)  # the password is never echoed
