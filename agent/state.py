"""The graph's state and run context: what each node reads and writes, and why it is kept.

A chat turn flows understand -> retrieve -> judge -> respond. Fields written by one turn
and needed by the next ("why #2?", "swap the third one", "five more") persist in the
thread's checkpoint: ``picks``, ``shown`` and ``messages``. Reducers are named functions
so a reader sees how a field combines across nodes and turns.

Everything that is per-run rather than per-state (the open catalog, loaded models,
top-k) travels in ``Context`` through LangGraph's ``Runtime[Context]``, never in the
state: it is not serialisable and must not be checkpointed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from tools.contexts import ContextProfile
from tools.schemas import Candidate, Pick, Request, Track, Verdict


def merge_backends(left: dict[str, str] | None, right: dict[str, str] | None) -> dict[str, str]:
    """Union of backend names by role; a later node naming a role again wins."""
    return {**(left or {}), **(right or {})}


def union_ids(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Ids seen so far in the thread, first-seen order, no duplicates."""
    return list(dict.fromkeys([*(left or []), *(right or [])]))


class State(TypedDict, total=False):
    """State of one thread; each turn's input is ``{"text": ...}``.

    Attributes:
        text: the message of this turn, as typed.
        messages: the conversation (user and assistant turns), appended by
            ``add_messages`` so threads read like a chat log.
        request: the turn as understood (intent, anchor, context, constraints, count).
        context_profile: the listening context the request maps to (a blend when two
            match), or None; the judge weighs dimensions by it.
        anchor: the track the request starts from; may be a file outside the catalog
            analysed on the fly, so it is kept whole, not as an id.
        candidates: what fast retrieval proposed this turn, fused, best first.
        verdicts: the judge's verdicts on the candidates, best first.
        picks: the picks shown in the latest answer; "#2" in a later turn means
            ``picks[1]``. Replaced by each recommending turn.
        shown: every track id shown in this thread (``union_ids``), so "more" and
            refinements do not repeat tracks.
        replace_at: the pick position a refinement replaces ("swap the third one" -> 3),
            or None to pick afresh.
        problem: why this turn could not be answered as asked (an unknown anchor...),
            for respond to say plainly; None when all went well.
        reply: the assistant's reply text for this turn.
        backends: backend names by role used in the thread (``merge_backends``).
    """

    text: str
    messages: Annotated[list[AnyMessage], add_messages]
    request: Request | None
    context_profile: ContextProfile | None
    anchor: Track | None
    candidates: list[Candidate]
    verdicts: list[Verdict]
    picks: list[Pick]
    shown: Annotated[list[str], union_ids]
    replace_at: int | None
    problem: str | None
    reply: str
    backends: Annotated[dict[str, str], merge_backends]


@dataclass
class Context:
    """Run-scoped choices and resources, given to ``graph.invoke(..., context=...)``.

    Attributes:
        catalog: the open catalog (``tools.catalog.Catalog``).
        backends: embedders and listener of that catalog (``tools.search.Backends``).
        reasoner: understands turns (``understand(text, catalog=...) -> Request``).
        judge: scores candidates (``pointwise(anchor, candidates, context, constraints)``).
        top_k: picks returned when the request names no count.
        candidates_k: candidates retrieved per list before fusion and judging.
        anchor: an anchor chosen outside the message (``--anchor``), beating the text's.
        count: a count chosen outside the message (``--count``), beating the text's.
    """

    catalog: Any
    backends: Any
    reasoner: Any
    judge: Any
    top_k: int = 8
    candidates_k: int = 60
    anchor: str | None = None
    count: int | None = None


SERIALISED_TYPES: tuple[type, ...] = (Request, ContextProfile, Track, Candidate, Verdict, Pick)
"""Record types stored in checkpoints; the checkpointer's msgpack allow-list."""
