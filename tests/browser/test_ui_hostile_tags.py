"""Titles from file tags that carry Markdown or HTML are shown as text, in a real browser.

A shared library holds files from anywhere; their tags are data. Here every title in a
copy of the demo catalog ends in an image, a link, raw HTML and emphasis pointing at a
server on loopback that counts what is fetched from it. After a request the chat and the
cards show each title exactly as tagged, no ``<img>`` or link was made from it, and the
browser fetched nothing from that server (an image in a title would tell a stranger who
listens to what).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.settings import load_settings
from tests.browser.conftest import Served, serve
from tests.browser.test_ui_browser import ask_in, assert_no_error_toast, wait_idle

pytestmark = pytest.mark.browser


class Tracker:
    """A loopback HTTP server that records every path a browser asks it for."""

    def __init__(self) -> None:
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.seen = seen
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def suffix(url: str) -> str:
    return f" ![c]({url}/img.png) [free]({url}/link) <img src={url}/raw.png> **LOUD** $$x$$"


@pytest.fixture(scope="module")
def tracker() -> Iterator[Tracker]:
    t = Tracker()
    yield t
    t.server.shutdown()


@pytest.fixture(scope="module")
def hostile(
    demo_catalog: Any, tracker: Tracker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("hostile") / "catalog"
    shutil.copytree(demo_catalog.settings.catalog, folder)
    catalog = open_catalog(load_settings(catalog=folder, workers=1), create=False)
    tracks = catalog.tracks()
    tail = suffix(tracker.url)
    catalog.update_records([t.model_copy(update={"title": t.title + tail}) for t in tracks])
    yield from serve(folder)


def test_tagged_markup_is_shown_as_text_and_fetches_nothing(
    hostile: Served, tracker: Tracker, page: Any, output_dir: Path
) -> None:
    page.goto(hostile.url)
    page.locator("#ln-input textarea").wait_for()
    ask_in(page, "calm piano for studying")
    wait_idle(page)
    page.wait_for_timeout(500)
    page.screenshot(path=output_dir / "7-hostile-tags.png", full_page=True)
    chat = page.locator("#ln-chat")
    tail = suffix(tracker.url).strip()
    assert chat.inner_text().count(tail) >= 5, "each listed pick's title, as tagged"
    assert page.locator(".ln-card").first.inner_text().count(tail) >= 1
    for where in ("#ln-chat", "#ln-picks"):
        made = page.eval_on_selector_all(
            f"{where} img, {where} a[href]",
            "els => els.map(e => e.src || e.href).filter(u => u.includes('127.0.0.1:'))",
        )
        assert [u for u in made if tracker.url in u] == [], f"markup from a tag in {where}"
    bold = page.eval_on_selector_all("#ln-chat strong", "els => els.map(e => e.textContent)")
    assert "LOUD" not in bold, "emphasis from a tag"
    assert tracker.seen == [], "the browser fetched a URL written in a tag"
    assert_no_error_toast(page)
