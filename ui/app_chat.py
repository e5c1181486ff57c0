"""The chat turn behind the UI: uploads checked, thoughts streamed, picks handed over.

One browser session is one ``CuratorSession`` (a ``gr.State``): its own thread id, so two
people chatting at once never share a conversation, a playlist or "why #2?". Nothing
here is a module global. The turn is a generator so the chat shows a pending thought at
once, then what the agent did (``Answer.steps`` as collapsible thoughts), then picks and
reply, instead of a frozen box for the seconds a cold catalog takes to open.
"""

from __future__ import annotations

import contextlib
import inspect
import mimetypes
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.components.chatbot import MetadataDict
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder

from linernotes.tools.audio import load_audio
from linernotes.tools.clip import clip
from linernotes.tools.errors import InvalidAudioError, LinernotesError
from linernotes.tools.schemas import Answer, Pick, PlaylistItem, Step
from linernotes.ui.markup import plain

UPLOAD_MAX_MB = 100.0
"""Largest upload accepted as an anchor: ten minutes of CD-quality WAV fits."""
UPLOAD_CHECK_S = 30.0
"""Seconds decoded to prove an upload is audio (the anchor's analysis reads its own excerpt)."""
POLL_S = 0.25
"""How often the pending thought's clock ticks while the agent works."""
DEFAULT_UPLOAD_TEXT = "more like this"

AskFn = Callable[..., Answer]


@dataclass(frozen=True)
class CuratorSession:
    """One browser session's conversation: its thread and what its last answer was about."""

    thread: str
    anchor_id: str | None = None
    context: str | None = None
    uploads: tuple[str, ...] = ()  # files this session sent: deleted when it ends


def new_session() -> CuratorSession:
    """A fresh conversation (called by ``gr.State`` once per page load)."""
    return CuratorSession(thread=uuid.uuid4().hex)


def discard_upload(path: str | Path, folder: str | Path | None = None) -> bool:
    """Delete an uploaded file (and its now empty folder) if it lies in gradio's uploads.

    Only files under ``folder`` (default: gradio's upload folder) are ever deleted, so a
    path that is not an upload can never remove a user's file. Returns whether it did.
    """
    root = Path(folder or get_upload_folder()).resolve()
    p = Path(path).resolve()
    if root not in p.parents or not p.is_file():
        return False
    p.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        if p.parent != root:
            p.parent.rmdir()  # gradio keeps each upload in its own hashed folder
    return True


def forget_session(session: CuratorSession | None) -> None:
    """Delete a finished session's uploads (``gr.State`` calls this when the tab closes)."""
    for path in getattr(session, "uploads", ()) or ():
        discard_upload(path)


@dataclass(frozen=True)
class TurnView:
    """Everything one step of a chat turn shows: chat, session, picks and playlist."""

    history: list[Any]
    session: CuratorSession
    picks: list[Pick]
    playlist: list[PlaylistItem]


def check_upload(path: Path, *, max_mb: float, max_s: float) -> str | None:
    """Why ``path`` cannot be an anchor, in words for the chat; None when it can.

    Size is checked first (cheap), then the content is *decoded*: a file's extension or
    MIME type says nothing about whether it holds audio.
    """
    name = path.name
    size_mb = path.stat().st_size / 1e6 if path.is_file() else 0.0
    if size_mb > max_mb:
        return f"**{plain(name)}** is {size_mb:.0f} MB; uploads are limited to {max_mb:g} MB."
    try:
        load_audio(path, sample_rate=None, duration_s=UPLOAD_CHECK_S, max_duration_s=max_s)
    except InvalidAudioError as e:
        reason = str(e).replace(str(path), name).rstrip(". ")
        return (
            f"I can't use **{plain(name)}** as an anchor: {plain(reason)}. "
            "Send a WAV, FLAC, OGG or MP3 file, or record with the microphone."
        )
    return None


def thought(step: Step, parent: str | None = None) -> gr.ChatMessage:
    """One agent step as a collapsed thought: summary, arguments and backend, timed."""
    lines = [plain(step.summary or "done")]
    lines += [f"- **{plain(k)}**: {plain(clip(v))}"
              for k, v in step.arguments.items() if v not in (None, "")]  # fmt: skip
    if step.backend:
        lines.append(f"- *backend*: {plain(step.backend)}")
    icon = "🛠️" if step.kind == "tool" else "⚙️"
    title = f"{icon} {step.name}" + (" failed" if step.status == "error" else "")
    metadata: MetadataDict = {
        "title": title,
        "status": "done",
        "duration": round(step.duration_ms / 1000, 2),
    }
    if parent is not None:
        metadata["parent_id"] = parent
    return gr.ChatMessage(role="assistant", content="\n".join(lines), metadata=metadata)


def thoughts(steps: list[Step], seconds: float) -> list[gr.ChatMessage]:
    """The steps of a turn nested under one collapsed "how I got there" thought.

    One line in the chat per turn, however many tools ran; opening it lists each step,
    and each step opens to its arguments.
    """
    if not steps:
        return []
    parent = uuid.uuid4().hex
    failed = sum(s.status == "error" for s in steps)
    title = f"🔎 {len(steps)} steps" + (f", {failed} failed" if failed else "")
    head = gr.ChatMessage(
        role="assistant",
        content=plain(" → ".join(s.name for s in steps)),
        metadata={"title": title, "id": parent, "status": "done", "duration": seconds},
    )
    return [head, *(thought(s, parent) for s in steps)]


def request_thought(
    answer: Answer, seconds: float, title_of: Callable[[str], str | None] | None = None
) -> gr.ChatMessage:
    """How the turn was understood, for an agent that reports no steps of its own."""
    r = answer.request
    anchor = (title_of(r.anchor) if title_of and r.anchor else None) or r.anchor
    active = [k.replace("_", " ") for k, v in r.constraints.model_dump().items() if v is True]
    facts = {
        "intent": r.intent,
        "anchor": anchor,
        "context": r.context_name or r.context,
        "constraints": active,
        "count": r.count,
        "judge": answer.backends.get("judge"),
    }
    lines = [f"- **{k}**: {plain(clip(v))}" for k, v in facts.items() if v not in (None, "", [])]
    return gr.ChatMessage(
        role="assistant",
        content="\n".join(lines) or "nothing special",
        metadata={"title": "⚙️ understood the request", "status": "done", "duration": seconds},
    )


def reply_text(answer: Answer) -> str:
    """The reply; with picks, its headline and a short list (the cards hold the notes).

    The agent's reply is plain text (the CLI prints the same words), so all of it is shown
    as written: it quotes titles, tags and the user's words.
    """
    if not answer.picks:
        return plain(answer.reply)
    headline = plain(answer.reply.strip().splitlines()[0])
    items = [f"{p.rank}. **{plain(p.title)}** · fit {p.score:.2f}" for p in answer.picks]
    note = "_Players and liner notes are in the picks panel._"
    return "\n".join([headline, "", *items, "", note])


def _run(
    ask_fn: AskFn,
    text: str,
    settings: Any,
    thread: str,
    upload: Path | None,
    on_step: Callable[[Step], None],
) -> Answer:
    """Call the agent, passing ``on_step`` when it takes one (the real agent does).

    Paths written in the chat are never opened (``files_from_text=False``): on the web,
    only uploaded files are read.
    """
    params = inspect.signature(ask_fn).parameters
    extra: dict[str, Any] = {}
    if "on_step" in params:
        extra["on_step"] = on_step
    if "files_from_text" in params:
        extra["files_from_text"] = False
    return ask_fn(text, settings, thread=thread, upload=upload, **extra)


def chat_turn(
    message: dict[str, Any] | str | None,
    history: list[Any],
    session: CuratorSession,
    picks: list[Pick],
    playlist: list[PlaylistItem],
    *,
    settings: Any,
    ask_fn: AskFn,
    max_mb: float = UPLOAD_MAX_MB,
    max_s: float | None = None,
    title_of: Callable[[str], str | None] | None = None,
) -> Iterator[TurnView]:
    """Answer one chat message, yielding what the chat shows as the turn progresses.

    Args:
        message: the multimodal box's value (``{"text", "files"}``) or plain text.
        history: the chat so far (messages format).
        session: this browser session's conversation.
        picks: the picks shown now (kept when the turn brings none, e.g. "why #2?").
        playlist: the session's playlist (replaced when the agent returns one).
        settings: catalog and backends.
        ask_fn: ``agent.run.ask`` or a stand-in with its signature.
        max_mb: upload size limit in MB.
        max_s: upload duration limit in seconds (default ``settings.max_duration_s``).
        title_of: a track id -> its title, to name the anchor in words.
    """
    if isinstance(message, dict):
        text, files = (message.get("text") or "").strip(), list(message.get("files") or [])
    else:
        text, files = (message or "").strip(), []
    history = list(history or [])
    if not text and not files:
        yield TurnView(history, session, picks, playlist)
        return
    upload = Path(_file_path(files[-1])) if files else None
    problem = None
    if upload is not None:
        limit = max_s if max_s is not None else settings.max_duration_s
        problem = check_upload(upload, max_mb=max_mb, max_s=limit)
        # A refused file is named, not offered as a player that cannot play it.
        sent: Any = (
            f"📎 {plain(upload.name)}"
            if problem
            else FileData(path=str(upload), orig_name=upload.name, mime_type=_mime(upload))
        )
        history.append(gr.ChatMessage(role="user", content=sent))
        text = text or DEFAULT_UPLOAD_TEXT
    history.append(gr.ChatMessage(role="user", content=plain(text)))  # shown as typed
    if problem is not None:
        history.append(gr.ChatMessage(role="assistant", content=f"⚠️ {problem}"))
        if upload is not None:
            discard_upload(upload)  # a refused file is not kept (it may be 200 MB)
        yield TurnView(history, session, picks, playlist)
        return
    if upload is not None:
        session = replace(session, uploads=(*session.uploads, str(upload)))
    yield from _answer(text, upload, history, session, picks, playlist, settings, ask_fn, title_of)


def _mime(path: Path) -> str:
    """MIME type from the name, so the chat shows a player (microphone takes are WAV)."""
    return mimetypes.guess_type(path.name)[0] or "audio/wav"


def _file_path(entry: Any) -> str:
    return entry if isinstance(entry, str) else entry.get("path", "")


def _answer(
    text: str,
    upload: Path | None,
    history: list[Any],
    session: CuratorSession,
    picks: list[Pick],
    playlist: list[PlaylistItem],
    settings: Any,
    ask_fn: AskFn,
    title_of: Callable[[str], str | None] | None,
) -> Iterator[TurnView]:
    """Run the agent off the event loop's thread, ticking a pending thought meanwhile."""
    title = "🎧 listening to your file…" if upload else "🔎 thinking…"
    start = time.perf_counter()
    pending = len(history)
    history.append(
        gr.ChatMessage(role="assistant", content="", metadata={"title": title, "status": "pending"})
    )
    yield TurnView(list(history), session, picks, playlist)
    done: queue.SimpleQueue[Step] = queue.SimpleQueue()  # steps, live, from the agent thread
    names: list[str] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linernotes-ask") as pool:
        future: Future[Answer] = pool.submit(
            _run, ask_fn, text, settings, session.thread, upload, done.put
        )
        while True:
            try:
                answer = future.result(timeout=POLL_S)
                break
            except TimeoutError:
                while not done.empty():
                    names.append(done.get().name)
                seconds = time.perf_counter() - start
                history[pending] = gr.ChatMessage(
                    role="assistant",
                    content=plain(" → ".join(names)),
                    metadata={"title": title, "status": "pending", "log": f"{seconds:.0f} s"},
                )
                yield TurnView(list(history), session, picks, playlist)
            except LinernotesError as e:
                history[pending] = gr.ChatMessage(role="assistant", content=f"⚠️ {plain(e)}")
                yield TurnView(list(history), session, picks, playlist)
                return
    seconds = round(time.perf_counter() - start, 2)
    steps = thoughts(answer.steps, seconds) or [request_thought(answer, seconds, title_of)]
    history[pending : pending + 1] = steps
    if answer.picks:
        session = replace(
            session,
            anchor_id=answer.anchor_id,
            context=answer.request.context_name or answer.request.context,
        )
        picks = list(answer.picks)
    playlist = list(answer.playlist) if answer.playlist else playlist
    yield TurnView(list(history), session, picks, playlist)
    history.append(gr.ChatMessage(role="assistant", content=reply_text(answer)))
    yield TurnView(list(history), session, picks, playlist)


def record_thumb(catalog: Any, session: CuratorSession, track_id: str, thumb: int) -> None:
    """Store a thumb as a user judgment, with the anchor and context it was given for.

    The feedback loop (``linernotes mine``) turns these into training triplets, so the
    anchor and context matter as much as the track.
    """
    catalog.records.add_feedback(
        track_id, thumb, anchor_id=session.anchor_id, context=session.context, thread=session.thread
    )
