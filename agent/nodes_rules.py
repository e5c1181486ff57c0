"""Offline planner, first step: understand the turn and plan it (``understand``, ``route``).

The rules reasoner reads *what music* is asked for (a ``Request``) and
``tools.reason.rules_edits`` reads *what to do to the playlist* (an ``Edit``); this node
puts them together with the thread state into a ``TurnPlan``: the route (recommend,
refine the playlist, explain a pick, describe a track, chat), the operation, and every
reference resolved to a track id ("#3", "that last one", "it", "the one with strings",
"my track"). Refinements inherit the request the playlist answers (``basis``), so
"swap #3 for something calmer" keeps the anchor and context and adds "calmer than #3".
A reference that names nothing ends the turn with a plain answer naming what exists.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from langgraph.runtime import Runtime

from linernotes.agent.inherit import inherit, lifted
from linernotes.agent.ops import (
    HARD,
    PLAYLIST,
    Env,
    call,
    profile_for,
    relative_wishes,
)
from linernotes.agent.ops_playlist import remember_constraints
from linernotes.agent.refs import file_ref, resolve, track_of
from linernotes.agent.state import Context, Op, State, TurnPlan, Upload, advance, combine
from linernotes.agent.traces import traced
from linernotes.tools.catalog.search import resolve_query
from linernotes.tools.errors import InvalidAudioError, TrackNotFoundError
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.playlist import position_of
from linernotes.tools.reason.rules_edits import Edit, is_follow_up, read_edit
from linernotes.tools.schemas import Constraints, Request

ROUTES = {
    "recommend": "retrieve",
    "refine": "edit",
    "explain": "explain",
    "describe": "describe",
    "chat": "chat",
}


def _positions(tokens: list[str], state: Any, ctx: Context) -> list[int]:
    """Playlist positions the references point at, first mention first."""
    playlist = state.get("playlist") or []
    out: list[int] = []
    for token in tokens:
        if token == "upload":
            continue
        if token == "all":  # "replace them all", "other ones please"
            out += [p for p in range(1, len(playlist) + 1) if p not in out]
            continue
        track_id = resolve(token, state, ctx)
        at = position_of(playlist, track_id)
        if at is None:
            raise TrackNotFoundError(f"{token} is not on the playlist")
        if at not in out:
            out.append(at)
    return out


def _anchor(ref: str, state: Any, ctx: Context, extra: dict[str, Any]) -> str:
    """An anchor reference -> a track id; an audio file outside the catalog becomes an upload."""
    if file_ref(ref, ctx) and not ref.startswith("#"):
        track, vec, in_catalog = resolve_query(ctx.catalog, ref, ctx.backends)
        if not in_catalog:
            up = Upload(track=track, vector=[float(x) for x in vec], name=track.title)
            extra["uploads"] = {track.id: up}
        ctx.tracer.references[ref] = track.id
        return track.id
    return resolve(ref, state, ctx)


def plan_turn(
    request: Request, edit: Edit, state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """The plan of one turn, the request to act on, and extra state updates.

    Raises:
        TrackNotFoundError: a reference names nothing (the message says what exists).
    """
    tokens = list(edit.refs)
    if request.anchor and request.anchor.startswith("#") and request.anchor not in tokens:
        tokens.insert(0, request.anchor)
    upload_now = state.get("focus") if state.get("upload") else None
    intent = request.intent
    if edit.op == "different":  # before off-topic: "what about something different?"
        return _plan_different(request, state, ctx)
    if edit.op == "surprise" and not (request.anchor or upload_now or ctx.anchor):
        return _plan_surprise(request, state, ctx)
    if edit.op == "query":  # "which one is the fastest?": about the list, if there is one
        if state.get("playlist"):
            act = request.model_copy(update={"intent": "refine"})
            return TurnPlan(route="refine", op="query"), act, {}
        edit = edit.model_copy(update={"op": None})  # no list: the catalog's fastest
    if request.off_topic:  # "write an essay about climate change" changes no playlist
        return TurnPlan(route="chat"), request, {}
    if edit.op == "export":  # before intents: a file path may hold any word ("why/x.m3u")
        plan = TurnPlan(route="refine", op="export", fmt=edit.fmt, path=edit.path)
        return plan, request.model_copy(update={"intent": "refine"}), {}
    if edit.op == "reset":
        return (
            TurnPlan(route="refine", op="reset"),
            request.model_copy(update={"intent": "refine"}),
            {},
        )
    if edit.op == "again":
        return _plan_again(request, edit, tokens, state, ctx)
    if edit.op == "undo":
        return (
            TurnPlan(route="refine", op="undo"),
            request.model_copy(update={"intent": "refine"}),
            {},
        )
    if edit.bare and intent in ("recommend", "chat"):
        intent = "describe"  # "the one with strings?" asks about that track
    if intent in ("explain", "describe"):
        fallback = "upload" if upload_now else ("it" if state.get("focus") else "#1")
        extra: dict[str, Any] = {}
        named = request.anchor if request.anchor and _is_track(request.anchor, ctx) else None
        # a title the reader resolved ("describe Track 1") beats the "#1" its words also read as
        ref = named or (tokens[0] if tokens else request.anchor or fallback)
        target = _anchor(ref, state, ctx, extra)
        act = request.model_copy(update={"intent": intent})
        return TurnPlan(route=intent, target=target), act, {**extra, "focus": target}
    op = edit.op
    if op == "more" and (upload_now or ctx.anchor):
        op = None  # "more like this" with a file attached or --anchor asks about that track
    elif op == "more" and not state.get("playlist") and state.get("focus"):
        op, tokens = None, ["it", *tokens]  # "more like this" after "tell me about #3"
    if op == "sticky" and not any(
        k in HARD for k in request.constraints.model_dump(exclude_defaults=True)
    ):
        op = None  # "from now on" with nothing to keep
    if op == "order":
        plan = TurnPlan(route="refine", op="order", order=edit.order, descending=edit.descending)
        return plan, request.model_copy(update={"intent": "refine"}), {}
    if op == "move":  # "move #1 to the end", "swap #2 and #3": the same tracks, new places
        plan = TurnPlan(
            route="refine", op="move", positions=_positions(tokens, state, ctx), to=edit.to
        )
        return plan, request.model_copy(update={"intent": "refine"}), {}
    if op in ("show", "forget", "sticky"):
        return TurnPlan(route="refine", op=op), request.model_copy(update={"intent": "refine"}), {}
    if op == "swap" and edit.refs == ["all"] and not state.get("playlist"):
        op, tokens = None, []  # "new songs" as a first message asks for music: no swap
    if op in ("remove", "swap") and edit.keep is not None:
        return _plan_wide(op, request, edit.keep, state, ctx)
    if op in ("remove", "swap", "resize", "more"):
        return _plan_edit(op, request, edit, tokens, state, ctx)
    if intent == "chat" and not upload_now and not ctx.anchor:
        return TurnPlan(route="chat"), request, {}
    return _plan_recommend(request, edit, tokens, upload_now, state, ctx)


def _plan_edit(
    op: Op, request: Request, edit: Edit, tokens: list[str], state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """Remove, swap, resize or "more": positions resolved, the playlist's request inherited."""
    playlist = state.get("playlist") or []
    if not playlist:
        raise TrackNotFoundError("there is no playlist yet: ask for some music first")
    positions = _positions(tokens, state, ctx) if op in ("remove", "swap") else []
    if op in ("remove", "swap") and not positions:
        raise TrackNotFoundError(
            f"which one? Say #1-#{len(playlist)}, “that last one” or “the one with …”"
        )
    if edit.invert:  # "keep only the first three": every other entry goes
        positions = [p for p in range(1, len(playlist) + 1) if p not in positions]
        op = "remove" if positions else "resize"  # nothing else there: "already has N"
    basis = state.get("basis") or Request(
        text="", intent="recommend", anchor=playlist[0].track_id
    )  # a playlist the LLM planner built has no basis: start from its first track
    wishes = relative_wishes(request.constraints)
    relative_to = playlist[positions[0] - 1].track_id if op == "swap" and wishes else None
    count = (edit.count or request.count or ctx.count or ctx.top_k) if op == "more" else None
    act = inherit(basis, request)
    if op == "more" and tokens:  # "add two more like #1": found from #1, added to the list
        act = act.model_copy(update={"anchor": resolve(tokens[0], state, ctx), "text_query": None})
    if op == "resize" and edit.size is not None:
        if edit.size > len(playlist):
            count = edit.size - len(playlist)
        else:
            positions = list(range(edit.size + 1, len(playlist) + 1))
    plan = TurnPlan(
        route="refine",
        op=op,
        positions=positions,
        count=count,
        size=edit.size,
        relative_to=relative_to,
        remember=edit.sticky,
    )
    return plan, act, ({"focus": relative_to} if relative_to else {})


def _plan_again(
    request: Request, edit: Edit, tokens: list[str], state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """Even more: the standing relative wish once more, against the playlist as it is now.

    After "calmer" that is calmer than the calmer list; after a request with no relative
    wish ("punk rock", then "even more") it can only mean more tracks.
    """
    basis: Request | None = state.get("basis")
    wishes = relative_wishes(basis.constraints) if basis is not None else []
    if not wishes or not state.get("playlist"):
        more = edit.model_copy(update={"op": "more"})
        return _plan_edit("more", request, more, tokens, state, ctx)
    said = ", ".join(w.replace("_", " ") for w in wishes)
    turn = request.model_copy(
        update={
            "intent": "refine",
            "constraints": Constraints(**dict.fromkeys(wishes, True)),
            "understood": [*request.understood, f"“{request.text.strip()}” → {said} again"],
            "unclear": [],
        }
    )
    return _plan_recommend(turn, edit, [], None, state, ctx)


def _plan_different(
    request: Request, state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """A fresh list away from the current one: none of its tracks, none of its genres.

    The standing request is not inherited (that is what "different" leaves behind);
    anything else the message asks for ("something different, maybe jazz") still holds.
    """
    playlist = list(state.get("playlist") or [])
    ids = [it.track_id for it in playlist]
    asked = set(request.constraints.genres)
    genres = sorted(
        {g for i in ids if (g := (ctx.catalog.get(i).genre_tag or "").lower()) and g not in asked}
    )
    c = request.constraints.model_copy(
        update={
            "exclude_ids": [*request.constraints.exclude_ids, *ids],
            "exclude_genres": sorted({*request.constraints.exclude_genres, *genres}),
        }
    )
    said = f"none of the {len(ids)} tracks on the list" if ids else "anything"
    said += f", and no {' or '.join(genres)}" if genres else ""
    act = request.model_copy(
        update={
            "intent": "recommend",
            "off_topic": False,
            "count": request.count or ctx.count or len(ids) or None,  # as follow-ups keep
            "constraints": c,
            "text_query": request.text_query if request.constraints.genres else None,
            "understood": [*request.understood, f"“something different” → {said}"],
            "unclear": [u for u in request.unclear if not u.startswith("not understood")],
        }
    )
    plan = TurnPlan(route="recommend", op="new", count=act.count)
    return plan, act, {"basis": act}


def _plan_surprise(
    request: Request, state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """Surprise me: a varied sample of the catalog, within anything else asked for.

    "surprise me with something calm" keeps the calm; the words "surprise", "random" are
    no music to search for. Nothing on the list or shown before comes back while the
    catalog has others (``ops.sample_catalog``).
    """
    held = len(state.get("playlist") or [])
    act = request.model_copy(
        update={
            "intent": "recommend",
            "off_topic": False,
            "count": request.count or ctx.count or held or None,
            "text_query": None,
            "understood": [*request.understood, "“surprise me” → a varied mix from the catalog"],
            "unclear": [u for u in request.unclear if not u.startswith("not understood")],
        }
    )
    plan = TurnPlan(route="recommend", op="new", count=act.count, sample=True)
    return plan, act, {"basis": act}


def _plan_wide(
    op: Op, request: Request, keep: Constraints, state: Any, ctx: Context
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """Remove or swap every entry that breaks ``keep`` ("drop everything above 90 bpm").

    Entries are judged by the same ``violations`` rule that filters picks; replacements
    must meet ``keep`` as well as the standing request (the parser's own reading of the
    condition is not used: "above 90 bpm" names what goes, not what is wanted).
    """
    playlist = state.get("playlist") or []
    if not playlist:
        raise TrackNotFoundError("there is no playlist yet: ask for some music first")
    positions = [
        i
        for i, it in enumerate(playlist, start=1)
        if violations(facts(track_of(it.track_id, state, ctx)), keep)
    ]
    basis = state.get("basis") or Request(text="", intent="recommend", anchor=playlist[0].track_id)
    turn = request.model_copy(update={"constraints": keep, "count": None})
    plan = TurnPlan(route="refine", op=op, positions=positions, keep=keep)
    act = inherit(basis, turn)  # what goes stays gone: "more" later keeps the condition
    return plan, act, {"basis": act.model_copy(update={"intent": "recommend"})}


def _plan_recommend(
    request: Request,
    edit: Edit,
    tokens: list[str],
    upload_now: str | None,
    state: Any,
    ctx: Context,
) -> tuple[TurnPlan, Request, dict[str, Any]]:
    """A fresh playlist.

    The anchor is resolved (a reference beats an unresolved phrase), and a request with
    no anchor, context or query of its own refines the last one ("calmer ones").
    """
    extra: dict[str, Any] = {}
    ref = ctx.anchor or request.anchor
    if tokens and not ctx.anchor and (ref is None or not _is_track(ref, ctx)):
        ref = tokens[0]  # "more like the one with strings", "more like my track"
    anchor = _anchor(ref, state, ctx, extra) if ref else upload_now
    act = request.model_copy(update={"intent": "recommend", "anchor": anchor})
    if ctx.count:
        act = act.model_copy(update={"count": ctx.count})
    basis: Request | None = state.get("basis")
    relative_to: str | None = None
    bare = anchor is None and not request.context and is_follow_up(request.text_query)
    if basis is not None and (request.intent == "refine" or bare):
        act = inherit(basis, act).model_copy(update={"intent": "recommend"})
        held = len(state.get("playlist") or [])
        if held and not (request.count or ctx.count):
            # "make them faster" after "make it 3": the playlist's size, not the first ask's
            act = act.model_copy(update={"count": held})
        if anchor is not None:
            act = act.model_copy(update={"anchor": anchor, "text_query": None})
        elif held and relative_wishes(request.constraints):
            # "calmer" as a follow-up: calmer than the list as it stands (not the anchor's
            # neighbours again, which returned the same list; "even calmer" goes on from here)
            relative_to = PLAYLIST
    extra["basis"] = act
    plan = TurnPlan(
        route="recommend",
        op="new",
        count=act.count,
        relative_to=relative_to,
        remember=edit.sticky,
    )
    return plan, act, extra


def _is_track(ref: str, ctx: Context) -> bool:
    """A resolved catalog id or an audio file, as opposed to an unresolved phrase."""
    return file_ref(ref, ctx) or bool(ctx.catalog.existing_ids([ref]))


@traced("understand")
def understand(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read the turn (request + playlist edit), resolve references, and plan the turn."""
    ctx = runtime.context
    text = state["text"]
    request = ctx.reasoner.understand(text, catalog=ctx.catalog)
    update: dict[str, Any] = {
        "backends": {"reasoner": getattr(ctx.reasoner, "name", type(ctx.reasoner).__name__)}
    }
    try:
        if ctx.anchor:  # --anchor: resolved once; "this", "it", "that track" mean it
            bound: dict[str, Any] = {}
            anchor_id = _anchor(ctx.anchor, state, ctx, bound)
            update.update(bound, focus=anchor_id)
            state = advance(dict(state), {**bound, "focus": anchor_id})  # type: ignore[assignment]
            ctx = replace(ctx, anchor=anchor_id)
        plan, act, extra = plan_turn(request, read_edit(text), state, ctx)
    except (TrackNotFoundError, InvalidAudioError) as e:
        problem = str(e).rstrip(".")
        reply = f"I could not answer that: {problem}."
        update.update(request=request, plan=TurnPlan(route="reject"), problem=problem, reply=reply)
        return update
    context = act.context_name or act.context
    env = Env(ctx, dict(state))
    update.update(extra, request=act, plan=plan, context_profile=profile_for(context, env))
    sticky = state.get("sticky")
    if request.released and sticky is not None:  # "vocals are fine" lifts a standing "no vocals"
        update["sticky"] = lifted(sticky, request.released)
    if plan.remember and plan.op != "sticky":  # "..., and no vocals from now on"
        out = call(
            "remember_constraints", remember_constraints, env, constraints=request.constraints
        )
        update = combine(update, out.update)
    return update


def route(state: State) -> str:
    """The node that carries out the plan; a refused turn goes straight to finish."""
    plan = state.get("plan")
    if plan is None or plan.route == "reject":
        return "finish"
    grows = plan.op == "more" or (plan.op == "resize" and bool(plan.count))
    grows |= plan.op == "swap" and (plan.keep is None or bool(plan.positions))
    if plan.route == "refine" and grows:
        return "retrieve"
    return ROUTES[plan.route]
