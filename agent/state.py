"""The graph's state and run context: what each node reads and writes, and why it is kept.

A thread's state persists in the checkpointer between turns: the playlist, the liner
notes of every track put on it, the constraints the listener made sticky ("no vocals
from now on"), uploaded tracks (kept here, never added to the catalog), and the
request the playlist answers, which refinements inherit ("swap #3 for something calmer").
Turn-scoped lists (candidates, verdicts, picks) are keyed by turn number so that several
tool calls of one turn add up while a new turn starts afresh, without a reset marker.
Reducers are named functions so a reader sees how a field combines across nodes.

Everything per-run rather than per-state (the open catalog, loaded models, the tracer,
top-k) travels in ``Context`` through LangGraph's ``Runtime[Context]`` (and
``ToolRuntime`` for tools), never in the state: it is not serialisable and must not be
checkpointed, and the model must not be able to set it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, TypedDict, TypeVar, get_type_hints

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import Field

from linernotes.agent.traces import Tracer
from linernotes.tools.playlist import PlaylistEdit, apply_edits
from linernotes.tools.reason.contexts import ContextProfile
from linernotes.tools.reason.rules_edits import Order, PlaylistOp
from linernotes.tools.schemas import (
    Candidate,
    Constraints,
    Pick,
    PlaylistItem,
    Record,
    Request,
    Track,
    Verdict,
)

T = TypeVar("T")
Route = Literal["recommend", "refine", "explain", "describe", "chat", "reject"]
Op = Literal["new", PlaylistOp]


def merge_backends(left: dict[str, str] | None, right: dict[str, str] | None) -> dict[str, str]:
    """Union of backend names by role; a later node naming a role again wins."""
    return {**(left or {}), **(right or {})}


def merge_by_key(left: dict[str, T] | None, right: dict[str, T] | None) -> dict[str, T]:
    """Union of records by key (track id); the newer record of a key wins."""
    return {**(left or {}), **(right or {})}


def union_ids(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Ids seen so far in the thread, first-seen order, no duplicates."""
    return list(dict.fromkeys([*(left or []), *(right or [])]))


def latest_turn(
    left: dict[int, list[T]] | None, right: dict[int, list[T]] | None
) -> dict[int, list[T]]:
    """Turn-scoped lists: only the newest turn is kept; updates of that turn append.

    A value that is not a dict (a checkpoint from before turns were keyed) counts as empty.
    """
    merged: dict[int, list[T]] = {}
    for part in (left, right):
        if not isinstance(part, dict):
            continue
        for turn, items in part.items():
            merged[turn] = [*merged.get(turn, []), *items]
    if not merged:
        return {}
    newest = max(merged)
    return {newest: merged[newest]}


def of_turn(value: Any, turn: int) -> list[Any]:
    """A turn's entries of a turn-scoped field (empty for a pre-turn-keyed checkpoint)."""
    return list(value.get(turn, [])) if isinstance(value, dict) else []


def edit_playlist(
    current: list[PlaylistItem] | None, edits: list[PlaylistEdit] | None
) -> list[PlaylistItem]:
    """The playlist after the edits of a node or of parallel tool calls, in order."""
    return apply_edits(list(current or []), edits or [])


class Upload(Record):
    """An audio file the listener sent: analysed once, then used like a catalog track."""

    track: Track = Field(description="Measurements, summary and caption of the file.")
    vector: list[float] = Field(description="Its audio embedding in the catalog's space.")
    name: str = Field(description="The file name as sent.")


class TurnPlan(Record):
    """What the offline planner decided a turn does, with its references resolved."""

    route: Route
    op: Op | None = None
    positions: list[int] = Field(default_factory=list, description="Playlist positions (1-).")
    target: str | None = Field(None, description="Track id to explain or describe.")
    count: int | None = Field(None, description="Tracks to add.")
    size: int | None = Field(None, description="Playlist length asked for.")
    fmt: str | None = None
    path: str | None = None
    relative_to: str | None = Field(
        None, description='Track id, or "playlist", that "calmer/faster" compares to.'
    )
    remember: bool = Field(False, description="Keep this turn's hard constraints from now on.")
    sample: bool = Field(False, description="Candidates: a varied catalog sample ('surprise me').")
    order: Order | None = Field(None, description="Reorder: shuffle, reverse, tempo or energy.")
    descending: bool = Field(False, description="A tempo/energy order from high to low.")
    to: int | None = Field(None, description="A move's new place, 1-based; -1 is the end.")
    keep: Constraints | None = Field(
        None, description="A remove or swap by condition: what an entry must meet to stay."
    )


class State(TypedDict, total=False):
    """State of one thread; each turn's input is ``{"text": ..., "upload": path or None}``.

    Attributes:
        text: the message of this turn, as typed.
        upload: path of an audio file sent with this turn, or None.
        turn: number of this turn in the thread (1, 2, ...).
        messages: the conversation; with the LLM planner also its tool calls and results.
        request: this turn as understood (offline planner).
        basis: the request the playlist answers; refinements inherit its anchor and context.
        context_profile: the listening context of ``request`` (a blend when two match).
        anchor: the track this turn started from (a catalog track or an upload).
        plan: the offline planner's decision for this turn (route, operation, positions).
        candidates: this turn's retrieved candidates (``latest_turn``).
        verdicts: this turn's judged candidates, best first (``latest_turn``).
        picks: tracks this turn put on the playlist (``latest_turn``).
        playlist: the thread's playlist, edited by ``PlaylistEdit`` s (``edit_playlist``).
        notes: liner notes (the pick with its verdict) of every track put on the playlist.
        shown: every track id shown in the thread, so "more" does not repeat (``union_ids``).
        sticky: constraints that hold for every later turn ("no vocals from now on").
        uploads: uploaded tracks by id (``merge_by_key``).
        focus: the track last referred to, what "it" and "that one" mean.
        problem: why this turn cannot be answered as asked, said plainly in the reply.
        reply: the assistant's reply text for this turn.
        restores: the turn whose playlist this turn brought back ("undo"), else None; the
            next "undo" goes back from there through the checkpointed history.
        backends: backend names by role used in the thread (``merge_backends``).
    """

    text: str
    upload: str | None
    turn: int
    messages: Annotated[list[AnyMessage], add_messages]
    request: Request | None
    basis: Request | None
    context_profile: ContextProfile | None
    anchor: Track | None
    plan: TurnPlan | None
    candidates: Annotated[dict[int, list[Candidate]], latest_turn]
    verdicts: Annotated[dict[int, list[Verdict]], latest_turn]
    picks: Annotated[dict[int, list[Pick]], latest_turn]
    playlist: Annotated[list[PlaylistItem], edit_playlist]
    notes: Annotated[dict[str, Pick], merge_by_key]
    shown: Annotated[list[str], union_ids]
    sticky: Constraints
    uploads: Annotated[dict[str, Upload], merge_by_key]
    focus: str | None
    problem: str | None
    reply: str
    restores: int | None
    backends: Annotated[dict[str, str], merge_backends]


@dataclass
class Context:
    """Run-scoped choices and resources, given to ``graph.invoke(..., context=...)``.

    Attributes:
        catalog: the open catalog (``tools.catalog.catalog.Catalog``).
        backends: embedders and listener of that catalog (``tools.catalog.search.Backends``).
        reasoner: understands turns for the offline planner (``understand(text, catalog=)``).
        judge: scores candidates (``tools.judge.base.Judge``).
        tracer: records every node and tool call of the turn (in memory by default).
        planner: "rules" (offline) or "llm" (a tool-calling chat model).
        chat_model: the LangChain chat model of the "llm" planner.
        top_k: picks returned when the request names no count.
        candidates_k: candidates retrieved per list before fusion and judging.
        max_steps: model calls allowed per turn before the LLM planner stops politely.
        export_dir: where playlists go when the listener names no file.
        anchor: an anchor chosen outside the message (``--anchor``), beating the text's.
        count: a count chosen outside the message (``--count``), beating the text's.
        files_from_text: whether a file path written in the message (or a tool argument)
            may be opened or written: True for the command line (the user's own machine);
            False for the web UI, where only uploaded files are read and playlists are
            exported only into ``export_dir``, so no one can probe the server's files.
        history: the thread's checkpointed states, newest first (``graph.get_state_history``),
            what "undo" restores from; None without a thread.
    """

    catalog: Any
    backends: Any
    reasoner: Any
    judge: Any
    tracer: Tracer = field(default_factory=lambda: Tracer(None, None, "rules"))
    planner: Literal["rules", "llm"] = "rules"
    chat_model: Any = None
    top_k: int = 8
    candidates_k: int = 60
    max_steps: int = 8
    export_dir: Any = None
    anchor: str | None = None
    count: int | None = None
    files_from_text: bool = True
    history: Callable[[], list[Any]] | None = None


SERIALISED_TYPES: tuple[type, ...] = (
    Request,
    ContextProfile,
    Track,
    Candidate,
    Verdict,
    Pick,
    PlaylistItem,
    PlaylistEdit,
    Constraints,
    Upload,
    TurnPlan,
)
"""Record types stored in checkpoints; the checkpointer's msgpack allow-list."""


@cache
def _reducers() -> dict[str, Any]:
    """State fields with a reducer -> the reducer (read from the annotations)."""
    hints = get_type_hints(State, include_extras=True)
    return {k: h.__metadata__[0] for k, h in hints.items() if getattr(h, "__metadata__", None)}


def combine(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Two updates of one node as one, as if LangGraph had applied them in order.

    A node that calls several tools returns their updates together; fields with a
    reducer add up (playlist edits concatenate), the others take the later value.
    """
    reducers = _reducers()
    out = dict(first)
    for key, value in then.items():
        if key not in out or key not in reducers:
            out[key] = value
        elif key in ("playlist", "messages"):
            out[key] = [*out[key], *value]
        else:
            out[key] = reducers[key](out[key], value)
    return out


def advance(state: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The state a node sees after one of its own tool calls (reducers applied)."""
    reducers = _reducers()
    out = dict(state)
    for key, value in update.items():
        out[key] = reducers[key](state.get(key), value) if key in reducers else value
    return out
