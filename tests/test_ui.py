"""Fast tests of the UI's handlers and views: no browser, no models, a fake agent.

The browser tests (tests/browser/) drive the real thing; these pin the behaviour each
handler promises: thoughts before picks, one thread per session, thumbs stored, and a
clear chat message (not a crash) for an upload that is not audio.
"""

from __future__ import annotations

import io
import time
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pytest
import soundfile as sf

import linernotes.ui.app_chat as chat
from linernotes.tools.catalog.records import Records
from linernotes.tools.errors import InvalidAudioError, TrackNotFoundError, UsageError
from linernotes.tools.schemas import Answer, Pick, PlaylistItem, Request, Step
from linernotes.tools.settings import load_settings
from linernotes.ui import app_playlist as pl
from linernotes.ui import app_views as views
from linernotes.ui.app import _edit, _on_thumb, build_app
from linernotes.ui.app_services import Services
from linernotes.ui.cli import build_parser

DIMS = {
    "genre_family": 1.0,
    "production_style": 0.8,
    "timbre": 0.9,
    "vocal_role": 1.0,
    "vocal_delivery": 1.0,
    "tempo": 0.5,
    "energy": 0.8,
    "mood": 0.9,
    "usage_context": 0.95,
}


def make_pick(rank: int, title: str | None = None) -> Pick:
    return Pick(
        rank=rank,
        track_id=f"id{rank:04d}",
        path=f"/music/track {rank}.flac",
        title=title or f"Track {rank}",
        score=0.9 - rank / 100,
        confidence=0.8,
        dimensions=DIMS,
        explanation=f"Pick {rank} fits because it is calm.",
        shared=["low energy"],
        differences=["is faster (92 vs 79 BPM)"],
    )


class FakeAgent:
    """Stands in for ``agent.run.ask``: records calls, answers with five picks."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.delay = delay

    def __call__(
        self,
        text: str,
        settings: Any,
        *,
        anchor: str | None = None,
        thread: str | None = None,
        count: int | None = None,
        upload: Path | None = None,
    ) -> Answer:
        self.calls.append({"text": text, "thread": thread, "anchor": anchor, "upload": upload})
        time.sleep(self.delay)
        request = Request(text=text, intent="recommend", context="studying")
        steps = [
            Step(name="understand", summary="recommend, context studying", duration_ms=12),
            Step(name="retrieve", kind="tool", arguments={"k": 60}, summary="60 candidates"),
            Step(name="judge", summary="5 picks", backend="rules", duration_ms=80),
        ]
        return Answer(
            reply="5 picks like “Salt Canyon”, for studying:\n1. Track 1 — long note",
            request=request,
            picks=[make_pick(r) for r in range(1, 6)],
            anchor_id="anchor01",
            thread=thread,
            steps=steps,
        )


class FakeCatalog:
    """Only what the UI touches: records, get, stats, tracks, folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records = Records(folder / "records.sqlite")

    def get(self, track_id: str) -> Any:
        raise TrackNotFoundError(track_id)

    def stats(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "tracks": 0, "listeners": {}}

    def tracks(self) -> list[Any]:
        return []


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return load_settings(catalog=tmp_path / "catalog")


@pytest.fixture
def catalog(tmp_path: Path) -> FakeCatalog:
    return FakeCatalog(tmp_path)


@pytest.fixture(autouse=True)
def _fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "POLL_S", 0.05)


def tone(path: Path, seconds: float = 2.0, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    return path


def run_turn(message: Any, agent: FakeAgent, settings: Any, session=None, **kw: Any) -> list:
    session = session or chat.new_session()
    turn = chat.chat_turn(message, [], session, [], [], settings=settings, ask_fn=agent, **kw)
    return list(turn)


def test_build_app_builds_with_every_panel(settings: Any, catalog: FakeCatalog) -> None:
    services = Services(ask=FakeAgent(), catalog=lambda: catalog, backends=lambda: None)
    app = build_app(settings, services)
    assert isinstance(app, gr.Blocks)
    ids = {c.get("props", {}).get("elem_id") for c in app.config["components"]}
    assert {"ln-chat", "ln-input", "ln-profile", "ln-export", "ln-stats", "ln-backends"} <= ids
    box = next(c for c in app.config["components"] if c["props"].get("elem_id") == "ln-input")
    assert box["props"]["sources"] == ["upload", "microphone"]
    states = [b for b in app.blocks.values() if isinstance(b, gr.State)]
    assert any(callable(s.value) for s in states), "the session must be made per page load"


def test_chat_turn_shows_a_pending_thought_then_steps_then_picks(settings: Any) -> None:
    views_ = run_turn("more like Salt Canyon but for studying", FakeAgent(0.2), settings)
    first, last = views_[0], views_[-1]
    assert first.history[-1].metadata["status"] == "pending" and not first.picks
    assert any(v.history[-1].metadata.get("log", "").endswith(" s") for v in views_[1:-2])
    titles = [m.metadata.get("title") for m in last.history if m.metadata]
    assert titles == ["🔎 3 steps", "⚙️ understand", "🛠️ retrieve", "⚙️ judge"]
    parent = last.history[1].metadata["id"]
    assert all(m.metadata["parent_id"] == parent for m in last.history[2:5])
    assert "- **k**: 60" in last.history[3].content
    assert all(m.metadata["status"] == "done" for m in last.history if m.metadata)
    picks_first = next(i for i, v in enumerate(views_) if v.picks)
    assert views_[picks_first].history[-1].metadata, "picks arrive with the thoughts"
    assert "1. **Track 1** · fit 0.89" in last.history[-1].content
    assert "long note" not in last.history[-1].content, "liner notes live on the cards"
    assert len(last.picks) == 5
    assert last.session.anchor_id == "anchor01" and last.session.context == "studying"


def test_two_sessions_keep_separate_threads_and_playlists(settings: Any) -> None:
    agent = FakeAgent()
    a, b = chat.new_session(), chat.new_session()
    assert a.thread != b.thread
    va = run_turn("more like Salt Canyon", agent, settings, session=a)[-1]
    vb = run_turn("something to read to", agent, settings, session=b)[-1]
    assert [c["thread"] for c in agent.calls] == [a.thread, b.thread]
    assert va.session.thread == a.thread and vb.session.thread == b.thread
    list_a = pl.add([], va.picks)
    list_b = pl.add([], vb.picks[:1])
    assert len(list_a) == 5 and len(list_b) == 1, "one session's playlist never leaks"


def test_thumbs_are_stored_as_user_judgments(catalog: FakeCatalog) -> None:
    session = chat.CuratorSession(thread="t1", anchor_id="anchor01", context="studying")
    services = Services(ask=FakeAgent(), catalog=lambda: catalog, backends=lambda: None)
    up, down = _on_thumb(services, make_pick(2), -1, session)
    rows = catalog.records.feedback()
    assert len(rows) == 1
    row = rows[0]
    assert (row["track_id"], row["thumb"], row["thread"]) == ("id0002", -1, "t1")
    assert (row["anchor_id"], row["context"]) == ("anchor01", "studying")
    assert down.variant == "stop" and up.variant == "secondary"


def test_an_upload_that_is_not_audio_gets_a_clear_message(tmp_path: Path, settings: Any) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_text("these are my notes, not a song")
    agent = FakeAgent()
    session = chat.new_session()
    views_ = run_turn({"text": "", "files": [str(fake)]}, agent, settings, session=session)
    message = views_[-1].history[-1].content
    assert "can't use **notes.wav**" in message and "WAV, FLAC" in message
    assert str(tmp_path) not in message, "the server's temp path is not the user's business"
    assert ".." not in message
    assert views_[-1].history[0].content == "📎 notes.wav", "no player for a refused file"
    assert agent.calls == []
    follow = run_turn("more like Salt Canyon", agent, settings, session=session)[-1]
    assert agent.calls[0]["thread"] == session.thread and follow.picks, "the thread goes on"


def test_upload_limits_on_size_and_duration(tmp_path: Path, settings: Any) -> None:
    wav = tone(tmp_path / "hum.wav", seconds=2.0)
    big = run_turn({"text": "x", "files": [str(wav)]}, FakeAgent(), settings, max_mb=0.01)
    assert "uploads are limited to 0.01 MB" in big[-1].history[-1].content
    long = run_turn({"text": "x", "files": [str(wav)]}, FakeAgent(), settings, max_s=1.0)
    assert "longer than the limit 1 s" in long[-1].history[-1].content


def test_an_audio_upload_is_the_anchor(tmp_path: Path, settings: Any) -> None:
    wav = tone(tmp_path / "hum.wav")
    agent = FakeAgent()
    last = run_turn({"text": "", "files": [{"path": str(wav)}]}, agent, settings)[-1]
    assert agent.calls[0]["upload"] == wav and agent.calls[0]["text"] == "more like this"
    assert last.history[0].content.path == str(wav) and last.picks
    assert last.history[0].content.mime_type.startswith("audio/")


def test_an_agent_error_is_said_in_the_chat(settings: Any) -> None:
    def failing(text: str, settings: Any, **kw: Any) -> Answer:
        raise InvalidAudioError("cannot decode x: broken")

    session = chat.new_session()
    turn = chat.chat_turn("hi", [], session, [], [], settings=settings, ask_fn=failing)
    assert list(turn)[-1].history[-1].content == "⚠️ cannot decode x: broken"


def test_playlist_edits_return_new_lists() -> None:
    items = pl.add([], [make_pick(1), make_pick(2), make_pick(3)])
    assert [i.title for i in pl.add(items, [make_pick(2)])] == ["Track 1", "Track 2", "Track 3"]
    moved = pl.move(items, 2, -1)
    assert [i.title for i in moved] == ["Track 1", "Track 3", "Track 2"]
    assert [i.title for i in items] == ["Track 1", "Track 2", "Track 3"], "no in-place edit"
    assert pl.move(items, 0, -1) == items
    assert [i.title for i in pl.remove(items, 0)] == ["Track 2", "Track 3"]


def test_cards_escape_text_and_play_audio_by_track_id() -> None:
    pick = make_pick(1, title="<b>Loud</b> & ${x}")
    card = views.pick_card(pick, None)
    assert "<b>Loud</b>" not in card and "&lt;b&gt;Loud&lt;/b&gt; &amp; &#36;{x}" in card
    assert f'src="audio/{pick.track_id}"' in card and "/music" not in card.split("src=")[1]
    assert card.count('<span class="ln-chip') == 2


def test_dimension_figure_splits_core_from_secondary() -> None:
    fig = views.dimension_figure(make_pick(1))
    assert fig is not None
    bars = fig.axes[0].patches
    assert len(bars) == 9
    colours = {tuple(round(c, 3) for c in b.get_facecolor()) for b in bars}
    assert len(colours) == 2
    assert views.dimension_figure(None) is None


def test_a_title_with_dollar_signs_draws_its_figure_as_written() -> None:
    """Matplotlib reads "$...$" as math: a tag like "$$x$$" or "$5 Shake" broke the panel."""
    for title in ("Tip $$x$$ jar", "$5 Shake", "Cash $\\frac{1}{", "a_b^c"):
        fig = views.dimension_figure(make_pick(1, title=title))
        assert fig is not None
        fig.savefig(io.BytesIO(), format="png")  # as gradio sends it; raised ValueError before
        assert fig.axes[0].get_title().startswith(f"#1 {title}:")


def test_playlist_summary() -> None:
    assert "Empty" in views.playlist_summary([], {})
    item = PlaylistItem(track_id="a", path="/x/a.flac", title="A")
    assert "1 track ·" in views.playlist_summary([item], {})  # was "1 tracks"
    assert "2 tracks ·" in views.playlist_summary([item, item], {})


def test_ui_command_has_host_and_port_but_no_share() -> None:
    args = build_parser().parse_args(["ui", "--port", "7001"])
    assert (args.host, args.port) == ("127.0.0.1", 7001)
    with pytest.raises(UsageError, match="--share"):
        build_parser().parse_args(["ui", "--share"])


def test_export_writes_the_format_chosen(tmp_path: Path) -> None:
    songs = [tone(tmp_path / f"s{i}.wav") for i in range(2)]
    items = [
        PlaylistItem(track_id=f"t{i}", path=str(p), title=f"S{i}") for i, p in enumerate(songs)
    ]
    m3u = pl.export_file(items, "M3U", folder=tmp_path / "out")
    lines = [ln for ln in m3u.path.read_text().splitlines() if not ln.startswith("#")]
    assert lines == [str(p.resolve()) for p in songs]
    assert pl.export_file(items, "XSPF", folder=tmp_path / "x").path.suffix == ".xspf"


def test_panel_edits_are_saved_to_the_sessions_thread(catalog: FakeCatalog) -> None:
    saved: list[tuple[str, list[str]]] = []
    services = Services(
        ask=FakeAgent(),
        catalog=lambda: catalog,
        backends=lambda: None,
        save_playlist=lambda thread, items: saved.append((thread, [i.title for i in items])),
    )
    session = chat.CuratorSession(thread="t9")
    data = [pl.item_of(make_pick(r)).model_dump() for r in (1, 2, 3)]
    out = _edit(services, partial(pl.remove, index=0), session, data)
    assert [d["title"] for d in out] == ["Track 2", "Track 3"]
    assert saved == [("t9", ["Track 2", "Track 3"])]


def test_steps_show_live_while_the_agent_works(settings: Any) -> None:
    """Each step the agent finishes appears in the pending thought before the answer."""
    inner = FakeAgent()

    def live(text: str, settings: Any, *, on_step: Any, **kw: Any) -> Answer:
        answer = inner(text, settings, **kw)
        for step in answer.steps:
            on_step(step)
            time.sleep(0.2)  # several polls per step
        return answer

    views = list(chat.chat_turn("more like x", [], chat.new_session(), [], [],
                                settings=settings, ask_fn=live))  # fmt: skip
    pending = [v.history[-1] for v in views
               if (v.history[-1].metadata or {}).get("status") == "pending"]  # fmt: skip
    shown = [m.content for m in pending]
    assert "understand" in shown
    assert "understand → retrieve" in shown
    assert "understand → retrieve → judge" in shown
    assert shown.index("understand") < shown.index("understand → retrieve")
    assert views[-1].picks and len(views[-1].picks) == 5


HOSTILE = [
    "![cover](http://tracker.example/p.png)",
    "<img src=http://tracker.example/q.png onerror=alert(1)>",
    "[free download](http://phish.example) **LOUD** _x_ `y`",
    "# 1. see www.tracker.example & http://tracker.example/r",
    "- C# minor | $$x^2$$ ~~gone~~",
]


def rendered(markdown: str) -> str:
    """The chat message as HTML (CommonMark, as the chat's renderer reads Markdown)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def shown_text(markdown: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", rendered(markdown))).replace("\n", " ")


class HostileAgent(FakeAgent):
    """Titles, reply and step arguments carrying Markdown and HTML, as tags can."""

    def __call__(self, text: str, settings: Any, **kw: Any) -> Answer:
        answer = super().__call__(text, settings, **kw)
        picks = [make_pick(r, title=t) for r, t in enumerate(HOSTILE, start=1)]
        steps = [Step(name="retrieve", kind="tool", arguments={"query": HOSTILE[0]},
                      summary=HOSTILE[1], backend=HOSTILE[2])]  # fmt: skip
        reply = f"5 picks like “{HOSTILE[2]}”:\n" + "\n".join(HOSTILE)
        return answer.model_copy(update={"picks": picks, "steps": steps, "reply": reply})


@pytest.mark.parametrize("with_picks", [True, False])
def test_tags_and_words_in_the_chat_show_as_written_never_as_markup(
    settings: Any, with_picks: bool
) -> None:
    agent = HostileAgent()
    if not with_picks:
        plain_agent = agent

        def agent(text: str, settings: Any, **kw: Any) -> Answer:  # type: ignore[no-redef]
            return plain_agent(text, settings, **kw).model_copy(update={"picks": []})

    last = run_turn(HOSTILE[3], agent, settings)[-1]
    messages = [m.content for m in last.history]
    html_out = "".join(rendered(m) for m in messages)
    for tag in ("<img", "<a ", "<h1", "<del", "<code", "<table"):
        assert tag not in html_out, f"{tag} rendered from data"
    # only our own markup: the step's argument name, "*backend*", the picks' titles (a
    # numbered list) and the "picks panel" line under them
    assert html_out.count("<strong>") == (1 + 5 if with_picks else 1)
    assert html_out.count("<em>") == (2 if with_picks else 1)
    assert html_out.count("<li>") == (2 + 5 if with_picks else 2)
    shown = " ".join(shown_text(m) for m in messages)
    assert HOSTILE[3] in shown, "the user's words are shown as typed"
    titles = HOSTILE if with_picks else HOSTILE[:1]
    for text in [*titles, HOSTILE[1], HOSTILE[2]]:
        assert text in shown, f"{text!r} is not shown as written"


def test_a_refused_upload_named_in_markdown_is_shown_as_named(
    tmp_path: Path, settings: Any
) -> None:
    fake = tmp_path / "![x](http:tracker.example) *a*.wav"
    fake.write_text("not a song")
    last = run_turn({"text": "", "files": [str(fake)]}, FakeAgent(), settings)[-1]
    html_out = "".join(rendered(m.content) for m in last.history)
    assert "<img" not in html_out and "<em>" not in html_out
    assert fake.name in shown_text(last.history[-1].content)
