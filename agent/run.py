"""Run one chat turn: ``ask(text, settings) -> Answer``, warm after the first call.

Opening a catalog and loading embedders costs seconds; a turn must cost milliseconds.
So everything expensive is built once per process and settings (a ``Session``): the
catalog, the embedders, the reasoner, the judge and the compiled graphs (one without a
checkpointer, one per thread store). Each turn then only invokes the graph with a
fresh ``Context`` carrying its run-scoped choices (anchor and count overrides, top-k).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.graph import build_graph
from agent.state import SERIALISED_TYPES, Context
from tools.errors import BackendUnavailable
from tools.schemas import Answer
from tools.search import Backends, open_search
from tools.settings import Settings

REASONER_NAMES = ("rules", "openai")
THREADS_FILE = "threads.sqlite"
"""Checkpoint database in the catalog folder: threads survive between CLI calls."""


def make_reasoner(settings: Settings, text_embedder: Any) -> Any:
    """The reasoner that understands turns, by ``settings.reasoner``.

    Raises:
        BackendUnavailable: the backend exists in settings but is not wired here yet.
        ValueError: an unknown name.
    """
    match settings.reasoner:
        case "rules":
            from tools.reason.rules import RulesReasoner

            return RulesReasoner(text_embedder)
        case "openai":
            try:
                from tools.reason.openai_chat import make_chat_reasoner  # type: ignore
            except ImportError as e:
                raise BackendUnavailable(
                    "the 'openai' reasoner is not available in this build; use reasoner='rules'"
                ) from e
            return make_chat_reasoner(settings)
        case other:
            raise ValueError(
                f"Unknown reasoner {other!r}. Expected one of: {', '.join(REASONER_NAMES)}"
            )


def _make_judge(settings: Settings) -> Any:
    from tools.judge import make_judge

    return make_judge(settings)


@dataclass
class Session:
    """What one process keeps warm for one catalog and set of backends."""

    settings: Settings
    catalog: Any
    backends: Backends
    reasoner: Any
    judge: Any
    listeners: str
    graphs: dict[str, Any] = field(default_factory=dict)

    def graph(self, thread: str | None) -> Any:
        """The compiled graph; with a thread, one that checkpoints to the catalog folder."""
        key = "threads" if thread else "plain"
        if key not in self.graphs:
            self.graphs[key] = build_graph(self._checkpointer() if thread else None)
        return self.graphs[key]

    def _checkpointer(self) -> Any:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = Path(self.catalog.folder) / THREADS_FILE
        conn = sqlite3.connect(str(path), check_same_thread=False)
        serde = JsonPlusSerializer(allowed_msgpack_modules=list(SERIALISED_TYPES))
        return SqliteSaver(conn, serde=serde)


_SESSIONS: dict[str, Session] = {}
_LOCK = threading.Lock()


def _session_key(settings: Settings) -> str:
    """Settings that change what a session holds (top-k and counts do not)."""
    fields = settings.model_dump(mode="json", exclude={"top_k", "candidates_k", "workers"})
    return repr(sorted(fields.items()))


def session_for(settings: Settings) -> Session:
    """The warm session for these settings, built on first use.

    Raises:
        CatalogError: the catalog folder holds no catalog, or an empty one.
        SpaceMismatchError: the catalog was built with other embedders.
    """
    key = _session_key(settings)
    with _LOCK:
        if key not in _SESSIONS:
            catalog, backends = open_search(settings)
            listeners = ", ".join(sorted(catalog.stats()["listeners"])) or settings.listener
            _SESSIONS[key] = Session(
                settings=settings,
                catalog=catalog,
                backends=backends,
                reasoner=make_reasoner(settings, backends.text),
                judge=_make_judge(settings),
                listeners=listeners,
            )
        return _SESSIONS[key]


def reset_sessions() -> None:
    """Forget every warm session (tests that rebuild a catalog in the same process)."""
    with _LOCK:
        _SESSIONS.clear()


def ask(
    text: str,
    settings: Settings,
    *,
    anchor: str | None = None,
    thread: str | None = None,
    count: int | None = None,
) -> Answer:
    """Answer one message with explained picks from the catalog.

    Args:
        text: the message ("more like Neon Rain but for studying").
        settings: catalog and backends.
        anchor: a track id, title or audio path to start from, beating the message's.
        thread: a conversation id; turns with the same id share picks ("why #2?"),
            kept in the catalog folder's ``threads.sqlite``.
        count: how many picks, beating the message's count and ``settings.top_k``.

    Returns:
        The reply, the request as understood, the picks, and the backends that made them.
    """
    session = session_for(settings)
    context = Context(
        catalog=session.catalog,
        backends=session.backends,
        reasoner=session.reasoner,
        judge=session.judge,
        top_k=settings.top_k,
        candidates_k=settings.candidates_k,
        anchor=anchor,
        count=count,
    )
    config = {"configurable": {"thread_id": thread}} if thread else None
    state = session.graph(thread).invoke({"text": text}, config=config, context=context)
    request = state["request"]
    recommending = request.intent in ("recommend", "refine")
    anchor_track = state.get("anchor")
    backends = {
        "embedder": session.backends.audio.space,
        "text_embedder": session.backends.text.space,
        "listener": session.listeners,
        "judge": getattr(session.judge, "name", type(session.judge).__name__),
        **(state.get("backends") or {}),
    }
    return Answer(
        reply=state["reply"],
        request=request,
        picks=(state.get("picks") or []) if recommending else [],
        anchor_id=anchor_track.id if anchor_track is not None else None,
        backends=backends,
    )
