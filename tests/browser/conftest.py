"""Fixtures for the browser tests: the UI served on loopback, and headless Chromium.

The app runs in a thread of the test process against a *copy* of the demo catalog (the
tests store thumbs and threads; the shared demo stays as built). Chromium is Debian's
(``/usr/bin/chromium``), driven by the ``playwright`` package without any browser
download, with background networking off: the test machine has no network.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linernotes.tools.settings import Settings, load_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "ui-browser"
"""Screenshots, downloads and timings land here (git-ignored), kept after the run."""


@dataclass(frozen=True)
class Served:
    """The running UI: its URL and the settings (catalog copy) behind it."""

    url: str
    settings: Settings
    startup_s: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Folder for screenshots, downloads and timings of this run."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="module")
def served(demo_catalog: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``ui.app.launch`` on a free loopback port, against a copy of the demo catalog."""
    folder = tmp_path_factory.mktemp("ui") / "catalog"
    shutil.copytree(demo_catalog.settings.catalog, folder)
    yield from serve(folder)


def serve(folder: Path) -> Iterator[Served]:
    """The UI on the catalog in ``folder``, on a free loopback port, until the test ends."""
    from linernotes.ui.app import launch

    settings = load_settings(catalog=folder, workers=1)
    port = _free_port()
    start = time.perf_counter()
    app = launch(settings, server_port=port, prevent_thread_lock=True, quiet=True)
    url = app.local_url
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:  # loopback only
            assert reply.status == 200
        yield Served(url.rstrip("/"), settings, time.perf_counter() - start)
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    """A headless Chromium with a fresh profile that accepts downloads."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    profile = tempfile.mkdtemp(prefix="linernotes-chromium-")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1440, "height": 1000},
        )
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser_context: Any, output_dir: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab (a new gradio session); on failure its screenshot and HTML are kept."""
    tab = browser_context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        stem = output_dir / f"FAILED-{request.node.name}"
        tab.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(tab.content())
    tab.close()
