"""The agent's nodes: understand -> (retrieve -> judge ->) respond, and the route between.

Each node reads the state, calls tools, and returns only the fields it changes. The
split mirrors the project's one idea: retrieval is fast and approximate (it proposes),
the judge is slow and careful (it decides), and respond only writes up what the judge
decided, never re-ranking on its own.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from agent.state import Context, State
from tools.errors import TrackNotFoundError
from tools.schemas import Candidate, Constraints, Pick, Request, Track, Verdict
from tools.search import constraints_to_where, fuse, resolve_query, search_text

AUDIO_LISTS = ("audio", "filtered")
"""Candidate lists whose similarity is an audio-space cosine when there is an anchor."""


# -- understand ------------------------------------------------------------------------
def context_profile(request: Request, text_embedder: Any) -> Any:
    """The ``ContextProfile`` a request's context maps to (a blend for 'a+b'), or None."""
    if not request.context_name and not request.context:
        return None
    from tools.contexts import load_contexts, match_context

    known = load_contexts()
    if request.context_name in known:
        return known[request.context_name]
    match = match_context(request.context or request.context_name, text_embedder)
    return match.profile if match is not None else None


def _inherit(request: Request, previous: Request) -> tuple[Request, int | None]:
    """A refinement keeps the previous turn's anchor, context and constraints.

    "swap the third one" names a position to replace, not a new anchor, so a ``#N``
    anchor becomes ``replace_at`` and the previous anchor stays.
    """
    replace_at = None
    anchor = request.anchor
    if anchor and anchor.startswith("#"):
        replace_at, anchor = int(anchor[1:]), None
    merged = {
        **previous.constraints.model_dump(exclude_defaults=True),
        **request.constraints.model_dump(exclude_defaults=True),
    }
    update = {
        "anchor": anchor or previous.anchor,
        "context": request.context or previous.context,
        "context_name": request.context_name or previous.context_name,
        "text_query": previous.text_query if previous.anchor is None else None,
        "constraints": Constraints(**merged),
        "count": request.count or previous.count,
    }
    return request.model_copy(update=update), replace_at


def understand(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Turn the message into a ``Request`` (and a context profile), honouring overrides."""
    ctx = runtime.context
    text = state["text"]
    request = ctx.reasoner.understand(text, catalog=ctx.catalog)
    overrides = {k: v for k, v in (("anchor", ctx.anchor), ("count", ctx.count)) if v}
    if overrides:
        if request.intent not in ("recommend", "refine", "describe"):
            overrides["intent"] = "recommend"
        request = request.model_copy(update=overrides)
    replace_at = None
    previous = state.get("request")
    if request.intent == "refine" and previous is not None:
        request, replace_at = _inherit(request, previous)
    elif request.intent == "refine":
        request = request.model_copy(update={"intent": "recommend"})
    return {
        "request": request,
        "context_profile": context_profile(request, ctx.backends.text),
        "replace_at": replace_at,
        "problem": None,
        "messages": [HumanMessage(text)],
        "backends": {"reasoner": getattr(ctx.reasoner, "name", type(ctx.reasoner).__name__)},
    }


def route(state: State) -> str:
    """Recommend and refine go through retrieval and judging; the rest straight to respond."""
    request = state.get("request")
    return (
        "retrieve"
        if request is not None and request.intent in ("recommend", "refine")
        else "respond"
    )


# -- retrieve --------------------------------------------------------------------------
def _resolve_anchor(ref: str, state: State, ctx: Context) -> tuple[Track, Any]:
    """An anchor reference -> (track, audio vector); ``#N`` is the Nth previous pick."""
    if ref.startswith("#"):
        picks = state.get("picks") or []
        n = int(ref[1:])
        if not picks or n == 0 or n > len(picks):
            shown = f"the last answer had {len(picks)} picks" if picks else "there are no picks yet"
            raise TrackNotFoundError(f"no pick #{n} to start from: {shown}")
        ref = picks[n - 1 if n > 0 else -1].track_id
    track, vec, _ = resolve_query(ctx.catalog, ref, ctx.backends)
    return track, vec


def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Gather candidates that can serve the request, from several fused lists.

    With an anchor: its audio neighbours (sound alike), its neighbours among tracks that
    pass the context/constraint filter (sound alike *and* can serve the context: this is
    what lets "more like <techno> but for studying" find calm instrumental tracks of a
    similar timbre), and tracks whose captions match the context's description. Without
    one: text matches of the request's words, unfiltered and filtered.
    """
    ctx = runtime.context
    request = state["request"]
    assert request is not None  # understand always sets it
    profile = state.get("context_profile")
    anchor: Track | None = None
    vec = None
    if request.anchor:
        try:
            anchor, vec = _resolve_anchor(request.anchor, state, ctx)
        except TrackNotFoundError as e:
            return {"anchor": None, "candidates": [], "problem": str(e)}
    where = constraints_to_where(request.constraints, profile, anchor)
    exclude = set(request.constraints.exclude_ids)
    if request.intent == "refine":
        exclude |= set(state.get("shown") or [])
    if anchor is not None:
        exclude.add(anchor.id)
    k = ctx.candidates_k
    cat, be = ctx.catalog, ctx.backends
    lists: dict[str, list[Candidate]] = {}
    if anchor is not None:
        lists["audio"] = cat.query_audio(vec, k, exclude=exclude)
        if where:
            lists["filtered"] = cat.query_audio(vec, k, where=where, exclude=exclude)
        if profile is not None:
            lists["context"] = search_text(
                cat, profile.description, k, where=where, exclude=exclude, backends=be
            )
    else:
        query = request.text_query or (profile.description if profile else None) or request.text
        lists["text"] = search_text(cat, query, k, exclude=exclude, backends=be)
        if where:
            lists["filtered"] = search_text(
                cat, query, k, where=where, exclude=exclude, backends=be
            )
        if profile is not None and request.text_query:
            lists["context"] = search_text(
                cat, profile.description, k, where=where, exclude=exclude, backends=be
            )
    # The judge sees the whole union (at most len(lists) * k): cutting it back to k would
    # drop exactly the filter-passing neighbours this union exists to bring in.
    union = sum(len(v) for v in lists.values())
    candidates = fuse(lists, union)  # weights: tools.search.HYBRID_WEIGHTS
    backends = {"embedder": be.audio.space, "text_embedder": be.text.space}
    return {"anchor": anchor, "candidates": candidates, "backends": backends}


# -- judge -----------------------------------------------------------------------------
def judge(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Judge every candidate against (anchor, context, constraints); best first."""
    ctx = runtime.context
    candidates = state.get("candidates") or []
    request = state["request"]
    assert request is not None
    if state.get("problem") or not candidates:
        return {"verdicts": []}
    tracks = [ctx.catalog.get(c.track_id) for c in candidates]
    # Audio cosines to the anchor are timbre evidence for the judge; text cosines are not.
    anchor = state.get("anchor")
    audio_sim = {
        c.track_id: c.similarity for c in candidates if c.source.split("+")[0] in AUDIO_LISTS
    }
    if anchor is None:
        audio_sim = {}
    verdicts: list[Verdict] = ctx.judge.pointwise(
        anchor,
        tracks,
        state.get("context_profile"),
        request.constraints,
        audio_similarity=audio_sim or None,
    )
    name = verdicts[0].backend if verdicts else getattr(ctx.judge, "name", "judge")
    return {"verdicts": verdicts, "backends": {"judge": name}}


# -- respond ---------------------------------------------------------------------------
def _pick(rank: int, verdict: Verdict, track: Track) -> Pick:
    return Pick(
        rank=rank,
        track_id=track.id,
        path=track.path,
        title=track.title,
        score=round(verdict.score, 4),
        confidence=round(verdict.confidence, 4),
        dimensions={k: round(v, 3) for k, v in verdict.dimensions.items()},
        explanation=verdict.explanation,
        shared=list(verdict.shared),
        differences=list(verdict.differences),
    )


def _choose(state: State, ctx: Context) -> list[Pick]:
    """The top verdicts as picks; a "swap #N" keeps the other picks in place."""
    request = state["request"]
    assert request is not None
    # A zero score means a hard constraint is broken: never shown, even to fill a list.
    verdicts = [v for v in state.get("verdicts") or [] if v.score > 0]
    replace_at = state.get("replace_at")
    previous = state.get("picks") or []
    if replace_at and 0 < replace_at <= len(previous):
        kept = {p.track_id for p in previous}
        fresh = next((v for v in verdicts if v.track_id not in kept), None)
        if fresh is None:
            return previous
        picks = list(previous)
        picks[replace_at - 1] = _pick(replace_at, fresh, ctx.catalog.get(fresh.track_id))
        return picks
    count = request.count or ctx.top_k
    return [
        _pick(i, v, ctx.catalog.get(v.track_id)) for i, v in enumerate(verdicts[:count], start=1)
    ]


def describe_track(track: Track) -> str:
    """A short factual line about a track: genre, tempo, key, energy, vocals."""
    s, m = track.summary, track.measurements
    parts = [s.genre or track.genre_tag, f"{m.tempo_bpm:.0f} BPM", f"{m.key} {m.mode}"]
    if s.energy_level:
        parts.append(f"{s.energy_level.replace('_', ' ')} energy")
    parts.append("vocals" if m.voice_probability >= 0.5 else "instrumental")
    return ", ".join(p for p in parts if p)


def _constraint_words(c: Constraints) -> list[str]:
    words = []
    if c.no_vocals:
        words.append("instrumental only")
    if c.vocals_only:
        words.append("with vocals")
    for flag, text in (("calmer", "calmer"), ("more_energetic", "more energetic"),
                       ("faster", "faster"), ("slower", "slower")):  # fmt: skip
        if getattr(c, flag):
            words.append(text)
    if c.min_bpm is not None:
        words.append(f"at least {c.min_bpm:.0f} BPM")
    if c.max_bpm is not None:
        words.append(f"at most {c.max_bpm:.0f} BPM")
    if c.max_energy:
        words.append(f"energy up to {c.max_energy.replace('_', ' ')}")
    if c.min_energy:
        words.append(f"energy from {c.min_energy.replace('_', ' ')}")
    return words


def _intro(request: Request, anchor: Track | None, profile: Any, n: int) -> str:
    """One line naming what the picks answer: anchor, context, constraints."""
    what = f"{n} pick{'s' if n != 1 else ''}"
    if anchor is not None:
        what += f" like “{anchor.title}” ({describe_track(anchor)})"
    elif request.text_query:
        what += f" for “{request.text_query}”"
    if profile is not None:
        what += f"{',' if anchor is not None or request.text_query else ''} for {profile.label}"
    words = _constraint_words(request.constraints)
    if words:
        what += f"; {', '.join(words)}"
    return what + ":"


def _recommend_reply(state: State, picks: list[Pick], ctx: Context) -> str:
    request = state["request"]
    assert request is not None
    if not picks:
        return "I found nothing in the catalog that fits this request."
    lines = [_intro(request, state.get("anchor"), state.get("context_profile"), len(picks))]
    lines += [f"{p.rank}. {p.title} — {p.explanation}" for p in picks]
    wanted = request.count or ctx.top_k
    if len(picks) < wanted and not state.get("replace_at"):
        lines.append(f"(Only {len(picks)} of the {wanted} asked for fit.)")
    return "\n".join(lines)


def _explain_reply(state: State, ctx: Context) -> str:
    request = state["request"]
    assert request is not None
    picks = state.get("picks") or []
    if not picks:
        return "There are no picks to explain yet: ask for recommendations first."
    ref = request.anchor or "#1"
    pick = None
    if ref.startswith("#"):
        n = int(ref[1:])
        pick = picks[n - 1 if n > 0 else -1] if n <= len(picks) else None
    else:
        low = ref.lower()
        pick = next(
            (p for p in picks if ref in (p.track_id, p.title) or low in p.title.lower()), None
        )
    if pick is None:
        return f"{ref} is not among the {len(picks)} current picks."
    text = f"#{pick.rank} {pick.title}: {pick.explanation}"
    if pick.shared:
        text += f"\nShared: {', '.join(pick.shared)}."
    if pick.differences:
        text += f"\nDifferences: {', '.join(pick.differences)}."
    return text


def _describe_reply(state: State, ctx: Context) -> tuple[str, Track | None]:
    request = state["request"]
    assert request is not None
    if not request.anchor:
        return "Which track should I describe? Name it by title, id or path.", None
    try:
        track, _ = _resolve_anchor(request.anchor, state, ctx)
    except TrackNotFoundError as e:
        return str(e), None
    return f"“{track.title}” ({describe_track(track)}).\n{track.caption}", track


HELP = (
    "I pick music from your catalog and explain why. Try: “more like <title> but for "
    "studying”, “something to read to”, “give me five calmer ones under 100 bpm”, "
    "“why #2?” or “describe <title>”."
)


def respond(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the reply: an intro naming anchor and context, then picks with explanations."""
    ctx = runtime.context
    request = state["request"]
    assert request is not None
    update: dict[str, Any] = {}
    if state.get("problem"):
        reply = f"I could not answer that: {str(state['problem']).rstrip('.')}."
        if request.intent in ("recommend", "refine"):
            update["picks"] = []
    elif request.intent in ("recommend", "refine"):
        picks = _choose(state, ctx)
        reply = _recommend_reply(state, picks, ctx)
        update.update(picks=picks, shown=[p.track_id for p in picks])
    elif request.intent == "explain":
        reply = _explain_reply(state, ctx)
    elif request.intent == "describe":
        reply, track = _describe_reply(state, ctx)
        update["anchor"] = track
    else:
        reply = HELP
    return {**update, "reply": reply, "messages": [AIMessage(reply)]}
