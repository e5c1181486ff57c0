"""Run one chat turn: ``ask(text, settings) -> Answer``, warm after the first call.

Opening a catalog and loading embedders costs seconds; a turn must cost milliseconds.
So everything expensive is built once per process and settings (a ``Session``): the
catalog, the embedders, the reasoner, the judge, the planner's chat model and the
compiled graphs (one without a checkpointer, one over the thread store). Each turn then
only invokes the graph with a fresh ``Context`` carrying its run-scoped choices
(anchor and count overrides, top-k) and a ``Tracer`` for the turn's trace.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linernotes.agent.graph import build_graph
from linernotes.agent.planner_llm import route_of_tools
from linernotes.agent.state import SERIALISED_TYPES, Context, of_turn
from linernotes.agent.traces import Tracer, trace_file
from linernotes.tools.catalog.search import Backends, open_search
from linernotes.tools.errors import ConfigError
from linernotes.tools.registry import PLANNERS, REASONERS
from linernotes.tools.schemas import Answer, Request, Step
from linernotes.tools.settings import Settings

THREADS_FILE = "threads.sqlite"
"""Checkpoint database in the catalog folder: threads survive between CLI calls."""
PLAYLISTS_DIR = "playlists"
"""Where playlists are exported when the listener names no file."""


def make_reasoner(settings: Settings, text_embedder: Any) -> Any:
    """The reasoner that understands turns, by ``settings.reasoner`` (``REASONERS``).

    Raises:
        UnknownBackend: an unregistered name, listing the known ones.
    """
    return REASONERS.build(settings.reasoner, settings, text_embedder=text_embedder)


def make_planner(settings: Settings) -> tuple[str, Any]:
    """The planner ``settings.reasoner`` implies: ("rules", None) or ("llm", chat model)."""
    return PLANNERS.build(settings.reasoner, settings)


def rules_planner(settings: Settings) -> tuple[str, Any]:
    """The ``rules`` planner: the offline graph, no chat model."""
    return "rules", None


def openai_planner(settings: Settings) -> tuple[str, Any]:
    """The ``openai`` planner: tool calls by the reasoner's chat model."""
    from linernotes.agent.chat_model import OpenAICompatibleChat

    return "llm", OpenAICompatibleChat.from_settings(settings)


def _make_judge(settings: Settings) -> Any:
    from linernotes.tools.judge.base import make_judge

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
    planner: str = "rules"
    chat_model: Any = None
    graphs: dict[str, Any] = field(default_factory=dict)

    def graph(self, thread: str | None) -> Any:
        """The compiled graph; with a thread, one that checkpoints to the catalog folder."""
        key = "threads" if thread else "plain"
        if key not in self.graphs:
            self.graphs[key] = build_graph(self._checkpointer() if thread else None)
        return self.graphs[key]

    def _checkpointer(self) -> Any:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

        serde = JsonPlusSerializer(allowed_msgpack_modules=list(SERIALISED_TYPES))
        if self.settings.threads_url:
            return postgres_checkpointer(self.settings.threads_url, serde)
        from langgraph.checkpoint.sqlite import SqliteSaver

        serde = JsonPlusSerializer(allowed_msgpack_modules=list(SERIALISED_TYPES))
        if self.read_only:  # threads last as long as this process
            from langgraph.checkpoint.memory import InMemorySaver

            return InMemorySaver(serde=serde)
        path = Path(self.catalog.folder) / THREADS_FILE
        conn = sqlite3.connect(str(path), check_same_thread=False)
        return SqliteSaver(conn, serde=serde)

    @property
    def read_only(self) -> bool:
        """Whether the catalog folder is read-only (a backup, another user's library).

        Answers still work; conversations and traces are then kept in memory only.
        """
        return bool(getattr(getattr(self.catalog, "records", None), "read_only", False))

    def tracer(
        self,
        thread: str | None,
        *,
        keep: bool = True,
        on_step: Callable[[Step], None] | None = None,
    ) -> Tracer:
        """A tracer for one turn, writing to the thread's trace file when ``keep``."""
        model = getattr(self.chat_model, "model_name", None) if self.planner == "llm" else None
        backend = "openai" if self.planner == "llm" else "rules"
        file = trace_file(self.catalog.folder, thread) if keep and not self.read_only else None
        return Tracer(file=file, thread=thread, backend=backend, model=model, on_step=on_step)


def postgres_checkpointer(url: str, serde: Any) -> Any:
    """A LangGraph Postgres checkpointer shared by every app server (tables made once).

    Raises:
        ConfigError: the ``postgres`` extra is not installed, or the URL is not Postgres.
    """
    if not url.startswith(("postgres://", "postgresql://")):
        raise ConfigError(f"threads_url must be a postgresql:// URL, got {url!r}")
    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError as e:
        raise ConfigError(
            f"threads_url is set ({url.split('@')[-1]}) but the Postgres checkpointer is not "
            "installed: pip install 'linernotes[postgres]'"
        ) from e
    from psycopg.rows import dict_row

    conn = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(conn, serde=serde)
    saver.setup()
    return saver


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
        if key in _SESSIONS and _space_moved(_SESSIONS[key], settings):
            del _SESSIONS[key]  # an adapter was activated or rolled back by another process
        if key not in _SESSIONS:
            catalog, backends = open_search(settings)
            listeners = ", ".join(sorted(catalog.stats()["listeners"])) or settings.listener
            planner, chat_model = make_planner(settings)
            _SESSIONS[key] = Session(
                settings=settings,
                catalog=catalog,
                backends=backends,
                reasoner=make_reasoner(settings, backends.text),
                judge=_make_judge(settings),
                listeners=listeners,
                planner=planner,
                chat_model=chat_model,
            )
            if _SESSIONS[key].read_only:
                print(
                    f"linernotes: catalog {catalog.folder} is read-only: answering from it, "
                    "but conversations, traces and thumbs are not saved",
                    file=sys.stderr,
                )
        return _SESSIONS[key]


def _space_moved(session: Session, settings: Settings) -> bool:
    """True when the catalog's active audio space is no longer the session's (one read)."""
    if settings.adapter is not None:
        return False  # pinned: the catalog refuses a mismatch on the next open instead
    spaces = session.catalog.state.get_meta("spaces") or {}
    return spaces.get("audio", session.catalog.audio_space) != session.catalog.audio_space


def reset_sessions() -> None:
    """Forget every warm session (tests that rebuild a catalog in the same process)."""
    with _LOCK:
        _SESSIONS.clear()


def problem_of(problem: str | None, request: Any, picked: bool) -> str | None:
    """Why nothing was answered as asked: the turn's problem, or names the catalog lacks.

    A request built on a track the catalog does not hold ("more like <absent title>")
    gets an honest reply but no picks: for a script that is a failure (``ask`` exits 1).
    """
    if problem:
        return problem
    absent = list(getattr(request, "absent", None) or [])
    if absent and not picked:
        unclear = list(getattr(request, "unclear", None) or [])
        return "; ".join(unclear) or f"not in this catalog: {', '.join(absent)}"
    return None


def answer_of(state: dict[str, Any], session: Session, tracer: Tracer, text: str) -> Answer:
    """The ``Answer`` of a finished turn: reply, this turn's picks, playlist and steps.

    Picks are numbered by their place on the playlist, so "#3" in the next turn means
    what the listener sees as 3.
    """
    turn = int(state.get("turn") or 0)
    playlist = list(state.get("playlist") or [])
    at = {it.track_id: i for i, it in enumerate(playlist, start=1)}
    picks: dict[str, Any] = {}
    for p in of_turn(state.get("picks"), turn):
        if p.track_id in at:
            picks[p.track_id] = p.model_copy(update={"rank": at[p.track_id]})
    request = state.get("request") or Request(text=text, intent=route_of_tools(tracer.steps))
    anchor = state.get("anchor")
    backends = {
        "embedder": session.backends.audio.space,
        "text_embedder": session.backends.text.space,
        "listener": session.listeners,
        "judge": getattr(session.judge, "name", type(session.judge).__name__),
        **(state.get("backends") or {}),
    }
    return Answer(
        reply=state.get("reply") or "",
        request=request,
        picks=sorted(picks.values(), key=lambda p: p.rank),
        anchor_id=anchor.id if anchor is not None else None,
        backends=backends,
        thread=tracer.thread,
        playlist=playlist,
        steps=list(tracer.steps),
        problem=problem_of(state.get("problem"), request, bool(picks)),
    )


def ask(
    text: str,
    settings: Settings,
    *,
    anchor: str | None = None,
    thread: str | None = None,
    count: int | None = None,
    upload: Path | None = None,
    on_step: Callable[[Step], None] | None = None,
    files_from_text: bool = True,
) -> Answer:
    """Answer one message with explained picks from the catalog.

    Args:
        text: the message ("more like Neon Rain but for studying").
        settings: catalog and backends.
        anchor: a track id, title or audio path to start from, beating the message's.
        thread: a conversation id; turns with the same id share the playlist, its liner
            notes and standing constraints ("why #2?", "make it 10"), kept in the
            catalog folder's ``threads.sqlite``; traces go to ``traces/<thread>.jsonl``.
        count: how many picks, beating the message's count and ``settings.top_k``.
        upload: an audio file sent with the message: analysed on the fly with the
            catalog's backends and kept in the thread (not the catalog) as "my track".
        on_step: called with each node or tool step as it finishes (live UI thoughts).
        files_from_text: False where the message comes from someone who must not reach
            this machine's files (the web UI): paths in the text are then never opened.

    Returns:
        The reply, the request as understood, this turn's picks, the thread's playlist,
        the steps taken and the backends that took them.
    """
    session = session_for(settings)
    tracer = session.tracer(thread, on_step=on_step)
    context = Context(
        catalog=session.catalog,
        backends=session.backends,
        reasoner=session.reasoner,
        judge=session.judge,
        tracer=tracer,
        planner=session.planner,  # type: ignore[arg-type]
        chat_model=session.chat_model,
        top_k=settings.top_k,
        candidates_k=settings.candidates_k,
        export_dir=Path(session.catalog.folder) / PLAYLISTS_DIR,
        anchor=anchor,
        count=count,
        files_from_text=files_from_text,
    )
    config = {"configurable": {"thread_id": thread}} if thread else None
    inputs = {"text": text, "upload": str(upload) if upload is not None else None}
    graph = session.graph(thread)
    if thread:
        context.history = lambda: list(graph.get_state_history(config))
    if thread:  # one checkpoint per turn, not per step: a turn is redone, not resumed
        state = graph.invoke(inputs, config=config, context=context, durability="exit")
    else:
        state = graph.invoke(inputs, context=context)
    return answer_of(state, session, tracer, text)


def set_playlist(thread: str, items: list[Any], settings: Settings) -> list[Any]:
    """Replace a thread's playlist with ``items`` (the UI's reorder / remove / clear).

    The edit goes through the same ``PlaylistEdit`` reducer as the agent's own edits, so
    "#3" in the next turn means the third track the listener sees.

    Returns:
        The thread's playlist after the edit.
    """
    from linernotes.tools.playlist import PlaylistEdit

    session = session_for(settings)
    graph = session.graph(thread)
    config = {"configurable": {"thread_id": thread}}
    graph.update_state(
        config, {"playlist": [PlaylistEdit(op="set", items=list(items))]}, as_node="finish"
    )
    return list(graph.get_state(config).values.get("playlist") or [])
