"""Offline planner, recommend path: retrieve -> judge -> respond.

The split mirrors the project's one idea: retrieval is fast and approximate (it
proposes), the judge is slow and careful (it decides), and respond only puts what the
judge decided on the playlist and writes it up, never re-ranking on its own. The same
path serves a fresh recommendation (a new playlist), "more" and "make it 10" (add to
it), and "swap #3" or a new sticky constraint (replace entries in place); the plan's
operation says which. Every step is a tool call of ``agent/ops*.py``, the very tools
the LLM planner calls, so both planners' traces read the same.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from linernotes.agent.nothing_fits import why_nothing
from linernotes.agent.ops import (
    Env,
    call,
    judge_candidates,
    levels_of,
    relative_wishes,
    sample_catalog,
    search_similar,
    search_text,
    without_relative,
)
from linernotes.agent.ops_playlist import (
    add_to_playlist,
    remove_from_playlist,
    replace_in_playlist,
    start_playlist,
)
from linernotes.agent.refs import track_of
from linernotes.agent.state import Context, State, advance, combine
from linernotes.agent.traces import traced
from linernotes.agent.wording import (
    constraint_words,
    honesty_lines,
    intro,
    limit_words,
    pick_lines,
)
from linernotes.tools.clip import counted
from linernotes.tools.judge.facts import facts
from linernotes.tools.reason.bounds import duration_words
from linernotes.tools.schemas import Constraints, Quota, Track, Verdict


def _context(state: State) -> str | None:
    request = state["request"]
    assert request is not None  # understand always sets it before this path
    return request.context_name or request.context


@traced("retrieve")
def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Gather candidates for the request, by sound or by words.

    With an anchor: its audio neighbours (plain, filtered, by context); without one:
    text matches of the request's words. Refinements skip tracks already shown in the
    thread, so "more" brings new ones.
    """
    ctx = runtime.context
    request, plan = state["request"], state["plan"]
    assert request is not None and plan is not None
    env = Env(ctx, dict(state))
    skip: list[str] = []
    if plan.op != "new":
        ids = [it.track_id for it in state.get("playlist") or []]
        skip = list(dict.fromkeys([*ids, *(state.get("shown") or [])]))
    args: dict[str, Any] = {
        "context": _context(state),
        "constraints": request.constraints,
        "than": plan.relative_to,
        "exclude": skip,
    }
    if plan.sample:  # "surprise me": no words or track to search from
        out = call(
            "sample_catalog",
            sample_catalog,
            env,
            count=request.count or ctx.top_k,
            context=args["context"],
            constraints=request.constraints,
        )
    elif request.anchor:
        out = call("search_similar", search_similar, env, track=request.anchor, **args)
    else:
        profile = state.get("context_profile")
        query = request.text_query or (None if profile is not None else request.text)
        out = call("search_text", search_text, env, query=query, **args)
    return out.update


@traced("judge")
def judge(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Judge every candidate against (anchor, context, constraints); best first."""
    ctx = runtime.context
    request, plan = state["request"], state["plan"]
    assert request is not None and plan is not None
    env = Env(ctx, dict(state))
    if not env.this_turn("candidates"):
        return {}
    constraints = request.constraints
    if plan.relative_to and plan.relative_to != request.anchor:
        constraints = without_relative(constraints)  # the search filter already enforced it
    out = call(
        "judge_candidates",
        judge_candidates,
        env,
        anchor=request.anchor,
        context=_context(state),
        constraints=constraints,
    )
    return out.update


def _usable(env: Env) -> list[Verdict]:
    # A zero score means a hard constraint is broken: never shown, even to fill a list.
    return [v for v in env.this_turn("verdicts") if v.score > 0]


def _compare(old: Track, new: Track, c: Constraints) -> str:
    """How a replacement differs where the listener asked it to ("calmer": energy)."""
    if c.calmer or c.more_energetic:
        return f" (energy {new.measurements.energy:.2f} vs {old.measurements.energy:.2f})"
    if c.faster or c.slower:
        return f" ({new.measurements.tempo_bpm:.0f} vs {old.measurements.tempo_bpm:.0f} BPM)"
    if c.shorter or c.longer:
        lasts = (duration_words(t.measurements.duration_s) for t in (new, old))
        return " ({} vs {})".format(*lasts)
    return ""


def _new_playlist(state: State, env: Env, ctx: Context) -> tuple[dict[str, Any], str]:
    request = state["request"]
    assert request is not None
    wanted = request.count or ctx.top_k
    chosen, short = _by_quota(_usable(env), request.quotas, ctx)
    chosen = chosen[:wanted]
    plan = state["plan"]
    than = levels_of(plan.relative_to, env) if plan and plan.relative_to else None
    if not chosen:
        c = request.constraints
        if than is not None:  # "even calmer" past the calmest track there is
            asked = Constraints(**dict.fromkeys(relative_wishes(c), True))
            wish = " and ".join(constraint_words(asked, than))
            nothing = f"I found nothing in the catalog {wish}; the playlist stays as it is."
        else:  # name the limits that left nothing
            limits = limit_words(c)
            nothing = "I found nothing in the catalog that fits this request"
            nothing += f" ({', '.join(limits)})." if limits else "."
            nothing = "\n".join([nothing, *why_nothing(ctx.catalog.tracks(), c)])
        return {}, "\n".join([nothing, *honesty_lines(request)])
    out = call("start_playlist", start_playlist, env, tracks=[v.track_id for v in chosen])
    profile = state.get("context_profile")
    lines = [intro(request, state.get("anchor"), profile, len(out.data), than)]
    lines += honesty_lines(request)
    lines += pick_lines(out.data)
    if short:
        lines += short
    elif len(out.data) < wanted:
        lines.append(f"(Only {len(out.data)} of the {wanted} asked for fit.)")
    return out.update, "\n".join(lines)


def _by_quota(
    usable: list[Verdict], quotas: list[Quota], ctx: Context
) -> tuple[list[Verdict], list[str]]:
    """The judged picks, holding each genre to its share ("3 punk and 2 jazz"), in rank order.

    Without shares, all of them. A share the candidates cannot fill is said, never filled
    from another genre.
    """
    if not quotas:
        return usable, []
    genre = {v.track_id: facts(ctx.catalog.get(v.track_id)).genre for v in usable}
    taken: set[str] = set()
    short = []
    for q in quotas:
        mine = [i for i, g in genre.items() if i not in taken and g in q.genres]
        taken.update(mine[: q.count])
        if len(mine) < q.count:
            short.append(
                f"(Only {len(mine)} of the {q.count} {' or '.join(q.genres)} asked for fit.)"
            )
    return [v for v in usable if v.track_id in taken], short


def _grow(state: State, env: Env, n: int) -> tuple[dict[str, Any], str]:
    have = {it.track_id for it in state.get("playlist") or []}
    fresh = [v.track_id for v in _usable(env) if v.track_id not in have][:n]
    if not fresh:
        return {}, "I found nothing more in the catalog that fits this playlist."
    out = call("add_to_playlist", add_to_playlist, env, tracks=fresh)
    total = len(have) + len(out.data)
    lines = [f"Added {len(out.data)} (now {counted(total)}):", *pick_lines(out.data)]
    if len(out.data) < n:
        lines.append(f"(Only {len(out.data)} of the {n} asked for fit.)")
    return out.update, "\n".join(lines)


def _replace(state: State, env: Env) -> tuple[dict[str, Any], str]:
    """Replace the plan's positions in place; a sticky sweep drops what cannot be replaced."""
    plan, request = state["plan"], state["request"]
    assert plan is not None and request is not None
    have = {it.track_id for it in state.get("playlist") or []}
    fresh = iter(v for v in _usable(env) if v.track_id not in have)
    update: dict[str, Any] = {}
    lines, unreplaced = [], []
    for position in plan.positions:
        verdict = next(fresh, None)
        old = track_of((env.state.get("playlist") or [])[position - 1].track_id, env.state, env.ctx)
        if verdict is None:
            unreplaced.append(position)
            continue
        out = call(
            "replace_in_playlist",
            replace_in_playlist,
            env,
            position=position,
            track=verdict.track_id,
        )
        env.state = advance(env.state, out.update)
        update = combine(update, out.update)
        new = track_of(verdict.track_id, env.state, env.ctx)
        how = _compare(old, new, request.constraints)
        lines.append(f"#{position}: {old.title} → {new.title}{how} — {out.data.explanation}")
    if unreplaced and (plan.op == "sticky" or plan.keep is not None):
        # a standing constraint or "swap every track with vocals": what breaks it goes
        out = call("remove_from_playlist", remove_from_playlist, env, positions=unreplaced)
        update = combine(update, out.update)
        lines.append(f"Nothing else fits, so I removed {', '.join(f'#{p}' for p in unreplaced)}.")
    elif unreplaced:
        lines.append(
            f"I found nothing else that fits for {', '.join(f'#{p}' for p in unreplaced)}."
        )
    done = len(plan.positions) - len(unreplaced)
    head = (state.get("reply") or "") if plan.op == "sticky" else ""
    title = f"Replaced {done}:" if done else ""
    return update, "\n".join(x for x in (head, title, *lines) if x)


@traced("respond")
def respond(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Put the judged picks on the playlist as the plan says, and write the reply."""
    ctx = runtime.context
    plan = state["plan"]
    assert plan is not None
    env = Env(ctx, dict(state))
    if plan.op == "new":
        update, reply = _new_playlist(state, env, ctx)
    elif plan.op in ("more", "resize"):
        update, reply = _grow(state, env, plan.count or 0)
    else:
        update, reply = _replace(state, env)
    return {**update, "reply": reply}
