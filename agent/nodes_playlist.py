"""Offline planner, playlist route: edits that need no new tracks, or set up those that do.

Export, show, remove (by position or by condition: "drop everything above 90 bpm"),
"make it 5" (trim), "undo" (the previous list, from the checkpointed history),
forgetting standing constraints and making a constraint sticky ("no vocals from now
on") are done here with the playlist tools.
A sticky constraint also sweeps the current playlist: entries that break it are handed
to retrieve -> judge -> respond to be replaced in place, so the playlist obeys it now,
not only from the next request on.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from linernotes.agent.ops import Env, call
from linernotes.agent.ops_playlist import (
    export_playlist,
    move_in_playlist,
    remember_constraints,
    remove_from_playlist,
    reorder_playlist,
    restore_previous,
    start_over,
)
from linernotes.agent.questions import answer
from linernotes.agent.refs import track_of
from linernotes.agent.state import Context, State, advance, combine
from linernotes.agent.traces import traced
from linernotes.agent.wording import constraint_words
from linernotes.tools.clip import counted
from linernotes.tools.errors import LinernotesError
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.playlist import format_playlist
from linernotes.tools.schemas import Constraints


def _show(state: State) -> str:
    playlist = state.get("playlist") or []
    if not playlist:
        return "The playlist is empty: ask for some music first."
    words = constraint_words(state.get("sticky") or Constraints())
    standing = f"\nStanding constraints: {', '.join(words)}." if words else ""
    return f"The playlist ({len(playlist)} tracks):\n{format_playlist(playlist)}{standing}"


def _breaking(state: dict[str, Any], env: Env) -> list[int]:
    """Positions of playlist entries that break the standing constraints."""
    sticky = state.get("sticky") or Constraints()
    out = []
    for i, it in enumerate(state.get("playlist") or [], start=1):
        if violations(facts(track_of(it.track_id, state, env.ctx)), sticky):
            out.append(i)
    return out


@traced("edit")
def edit(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Carry out a playlist operation that needs no new tracks.

    A sticky sweep that finds breaking entries leaves them in ``plan.positions`` for
    retrieve -> judge -> respond to replace.
    """
    ctx = runtime.context
    plan, request = state["plan"], state["request"]
    assert plan is not None and request is not None
    env = Env(ctx, dict(state))
    update: dict[str, Any] = {}
    reply = ""
    try:
        match plan.op:
            case "export":
                out = call("export_playlist", export_playlist, env, format=plan.fmt, path=plan.path)
                update, reply = out.update, out.text
            case "show":
                reply = _show(state)
            case "move":
                out = call(
                    "move_in_playlist", move_in_playlist, env, positions=plan.positions, to=plan.to
                )
                update, reply = out.update, out.text
            case "query":
                playlist = state.get("playlist") or []
                said = answer(state["text"], playlist, request.constraints, state, ctx)
                reply = said or _show(state)
            case "undo":
                out = call("restore_previous", restore_previous, env)
                update, reply = out.update, out.text
            case "reset":
                out = call("start_over", start_over, env)
                update, reply = out.update, out.text
            case "order":
                by, down = plan.order or "shuffle", plan.descending
                out = call("reorder_playlist", reorder_playlist, env, by=by, descending=down)
                update, reply = out.update, out.text
            case "remove" | "swap" if plan.keep is not None and not plan.positions:
                words = ", ".join(constraint_words(plan.keep))
                reply = f"Every track on the playlist already fits ({words}): nothing to change."
            case "forget":
                out = call(
                    "remember_constraints",
                    remember_constraints,
                    env,
                    constraints=Constraints(),
                    replace=True,
                )
                update, reply = out.update, out.text
            case "resize" if plan.size is None and not plan.count:
                n = len(state.get("playlist") or [])
                reply = (
                    f"How many tracks should it keep? It has {n}: say “make it {max(1, n // 2)}”."
                )
            case "resize" if not plan.positions:
                reply = f"The playlist already has {counted(len(state.get('playlist') or []))}."
            case "remove" | "resize":
                out = call(
                    "remove_from_playlist", remove_from_playlist, env, positions=plan.positions
                )
                update, reply = out.update, out.text
                if plan.keep is not None:
                    reply = f"Kept what fits ({', '.join(constraint_words(plan.keep))}). {reply}"
            case "sticky":
                out = call(
                    "remember_constraints",
                    remember_constraints,
                    env,
                    constraints=request.constraints,
                )
                update, reply = out.update, out.text
                breaking = _breaking(advance(env.state, out.update), env)
                if breaking:
                    update = combine(
                        update, {"plan": plan.model_copy(update={"positions": breaking})}
                    )
                else:
                    reply += " The playlist already fits." if state.get("playlist") else ""
    except LinernotesError as e:
        reply = f"I could not do that: {str(e).rstrip('.')}."
    return {**update, "reply": reply}


def after_edit(state: State) -> str:
    """A sticky sweep that found breaking entries goes on to replace them."""
    plan = state.get("plan")
    needs_tracks = plan is not None and plan.op == "sticky" and bool(plan.positions)
    return "retrieve" if needs_tracks else "finish"
