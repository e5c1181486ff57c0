"""End to end in headless Chromium: ask, listen, judge a pick, export, upload an anchor.

What a curator does in the UI, against the real agent on the ingested demo catalog.
Screenshots, the exported playlist and the timing of question -> first visible pick are
written to ``test-output/ui-browser/`` (timings are printed and saved, never asserted:
benchmarks print figures, tests check behaviour).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.playlist import read_m3u

pytestmark = pytest.mark.browser

QUESTION = "more like {title} but for studying"


def ask_in(page: Any, text: str, files: list[Path] | None = None) -> float:
    """Type (and attach) a message, send it; return seconds until the first pick shows."""
    box = page.locator("#ln-input")
    if files:
        box.locator("input[type=file]").set_input_files([str(f) for f in files])
        box.locator(".thumbnail-item").wait_for()  # shown once the upload has landed
    box.locator("textarea").fill(text)
    before = page.locator(".ln-card").count()
    start = time.perf_counter()
    box.locator("textarea").press("Enter")
    if before:  # a second answer: wait for the cards to be replaced
        page.wait_for_function(
            "n => document.querySelectorAll('.ln-card').length !== n || "
            "!document.querySelector('#ln-input textarea').disabled",
            arg=before,
        )
    page.locator(".ln-card audio").first.wait_for(state="visible", timeout=120_000)
    return time.perf_counter() - start


IDLE = """() => {
  const box = document.querySelector('#ln-input');
  const text = box.querySelector('textarea');
  return !text.disabled && text.value === '' && !box.querySelector('.thumbnail-item');
}"""


THUMBS_SHOWN = """() => [...document.querySelectorAll('#ln-stats .ln-stat')].some(
  tile => tile.innerText.includes('thumbs') && tile.querySelector('b').innerText === '1')"""


def wait_idle(page: Any) -> None:
    """Until the turn has finished: the input box is cleared and enabled again."""
    page.wait_for_function(IDLE)


def playlist_titles(page: Any) -> list[str]:
    """Titles in the playlist panel, in order ("3. Title 0:22" -> "Title")."""
    rows = page.locator(".ln-pl-item").all_inner_texts()
    return [row.split(". ", 1)[1].rsplit(" ", 1)[0].strip() for row in rows]


def assert_no_error_toast(page: Any) -> None:
    """A handler that raised shows gradio's red toast; none may have."""
    errors = page.locator(".toast-body.error")
    assert errors.count() == 0, errors.all_inner_texts()


def feedback_rows(settings: Any) -> list[dict[str, Any]]:
    return open_catalog(settings, create=False).records.feedback()


def test_ask_listen_judge_and_export(
    served: Any, browser_context: Any, page: Any, demo_catalog: Any, output_dir: Path
) -> None:
    anchor = demo_catalog.rows[0]["title"]
    page.goto(served.url)
    page.locator("#ln-input textarea").wait_for()
    page.locator("#ln-picks .ln-empty").wait_for()  # says how to start, before any pick
    page.screenshot(path=output_dir / "0-start.png", full_page=True)

    first_pick_s = ask_in(page, QUESTION.format(title=anchor))
    wait_idle(page)
    cards = page.locator(".ln-card")
    assert cards.count() >= 5
    assert page.locator(".ln-card audio").count() == cards.count(), "every pick has a player"
    src = page.locator(".ln-card audio").first.get_attribute("src")
    assert src and src.startswith("audio/"), "players stream by track id, never by path"
    audio = page.request.get(f"{served.url}/{src}")
    assert audio.ok and len(audio.body()) > 1000, "the player's file is served"
    page.screenshot(path=output_dir / "1-picks.png", full_page=True)

    thought = page.locator("#ln-chat .thought-group").first
    thought.locator(".title").click()
    page.wait_for_timeout(300)
    assert thought.inner_text().count("\n") >= 1, "an opened thought shows what was done"
    page.screenshot(path=output_dir / "2-thought-open.png", full_page=True)

    second = page.locator(".ln-card-group").nth(1)
    disliked = second.locator(".ln-card").get_attribute("data-track")
    before = len(feedback_rows(served.settings))
    second.locator(".ln-thumb-down").click()
    deadline = time.monotonic() + 20
    while len(rows := feedback_rows(served.settings)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    row = rows[-1]
    assert (row["track_id"], row["thumb"], row["context"]) == (disliked, -1, "studying")
    assert row["thread"] and row["anchor_id"]

    page.locator("#ln-add-all").click()
    page.locator(".ln-pl-item").nth(cards.count() - 1).wait_for()
    before_edit = playlist_titles(page)
    page.locator(".ln-pl-row").nth(1).locator("button", has_text="↑").click()
    page.locator(".ln-pl-item").first.filter(has_text=before_edit[1]).wait_for()
    page.locator(".ln-pl-row").last.locator("button", has_text="✕").click()
    page.locator(".ln-pl-item").nth(cards.count() - 1).wait_for(state="detached")
    shown = playlist_titles(page)
    assert shown == [before_edit[1], before_edit[0], *before_edit[2:-1]]
    page.locator("#ln-export").click()
    link = page.locator("#ln-download a").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    m3u = output_dir / "playlist.m3u"
    info.value.save_as(m3u)
    paths = read_m3u(m3u)
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in paths)
    extinf = [
        ln.split(",", 1)[1] for ln in m3u.read_text().splitlines() if ln.startswith("#EXTINF")
    ]
    assert [e.rsplit(" - ", 1)[-1] for e in extinf] == shown, "as shown, in that order"
    assert len(paths) == len(shown)
    page.screenshot(path=output_dir / "3-playlist-exported.png", full_page=True)

    other = browser_context.new_page()  # a second session, open at the same time
    other.goto(served.url)
    other.locator("#ln-input textarea").wait_for()
    other.locator("#ln-picks .ln-empty").wait_for()
    assert other.locator(".ln-pl-item").count() == 0, "playlists are per session"
    assert other.locator(".ln-card").count() == 0
    assert_no_error_toast(other)
    other.close()

    page.get_by_role("tab", name="Catalog").click()
    page.locator("#ln-stats .ln-stat").first.wait_for()
    assert "acoustic" in page.locator("#ln-backends").inner_text()
    page.wait_for_function(THUMBS_SHOWN)  # the stats refresh when the tab opens
    page.locator("#ln-search textarea").fill("calm piano, no drums")
    page.locator("#ln-search textarea").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#ln-hits td').length >= 4")
    page.screenshot(path=output_dir / "6-catalog.png", full_page=True)

    timing = {
        "question": QUESTION.format(title=anchor),
        "first_visible_pick_s": round(first_pick_s, 3),
        "server_startup_s": round(served.startup_s, 3),
        "picks": cards.count(),
    }
    (output_dir / "timing.json").write_text(json.dumps(timing, indent=2) + "\n")
    print(f"\nquestion -> first visible pick: {first_pick_s:.2f} s ({timing})")
    assert_no_error_toast(page)


def test_upload_a_wav_as_the_anchor(
    served: Any, page: Any, demo_catalog: Any, output_dir: Path, tmp_path: Path
) -> None:
    source = demo_catalog.rows[5]["path"]
    y, sr = sf.read(source, dtype="float32")
    wav = tmp_path / "my-sketch.wav"
    sf.write(wav, y, sr)
    not_audio = tmp_path / "liner-notes.wav"
    not_audio.write_text("this is text, not a recording")

    page.goto(served.url)
    page.locator("#ln-input textarea").wait_for()

    box = page.locator("#ln-input")
    box.locator("input[type=file]").set_input_files(str(not_audio))
    box.locator(".thumbnail-item").wait_for()
    box.locator("textarea").fill("more like this")
    box.locator("textarea").press("Enter")
    warning = page.locator("#ln-chat", has_text="can't use")
    warning.wait_for()
    assert "liner-notes.wav" in warning.inner_text()
    wait_idle(page)
    page.screenshot(path=output_dir / "4-upload-refused.png", full_page=True)

    seconds = ask_in(page, "more like this but for studying", files=[wav])
    wait_idle(page)
    assert page.locator(".ln-card").count() >= 5
    assert page.locator("#ln-chat audio").count() >= 1, "the upload shows in the chat"
    page.screenshot(path=output_dir / "5-upload-anchor.png", full_page=True)
    print(f"\nupload -> first visible pick: {seconds:.2f} s")
    assert np.isfinite(seconds)
    assert_no_error_toast(page)
