"""The LLM planner: a tool-calling chat model plans each turn over the agent's tools.

``plan`` shows the model the conversation and the thread's playlist, standing
constraints and uploads (rendered into ``prompts/agent_system.md``) and lets it call
tools (``agent/tools.py``) until it answers in words. Any LangChain chat model with
``bind_tools`` works: a scripted fake in tests, ``OpenAICompatibleChat``
(``agent/chat_model.py``) over vLLM or a hosted API in production.

A turn may use at most ``Context.max_steps`` model calls; past that the planner stops
politely, says where things stand, and the thread goes on. The conversation sent to the
model is cut at turn boundaries (never between a tool call and its result) to the last
``HISTORY_TURNS`` turns, so long threads keep a bounded prompt.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from linernotes.agent.state import Context, State
from linernotes.agent.tools import TOOLS
from linernotes.agent.wording import constraint_words, describe_track
from linernotes.prompts import render_prompt
from linernotes.tools.clip import counted
from linernotes.tools.errors import BackendUnavailable, LLMReplyError
from linernotes.tools.playlist import format_playlist
from linernotes.tools.schemas import Constraints, Intent, Step

HISTORY_TURNS = 6


def history(messages: list[AnyMessage], turns: int = HISTORY_TURNS) -> list[AnyMessage]:
    """The last ``turns`` turns of the conversation, starting at a listener message."""
    starts = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if len(starts) <= turns:
        return list(messages)
    return list(messages[starts[-turns] :])


def calls_this_turn(messages: list[AnyMessage]) -> int:
    """Model messages since the listener's last message (the steps used this turn)."""
    n = 0
    for m in reversed(messages):
        if isinstance(m, HumanMessage):
            break
        n += isinstance(m, AIMessage)
    return n


def system_prompt(state: State, ctx: Context) -> str:
    """The system prompt with the thread's playlist, standing constraints and uploads."""
    uploads = state.get("uploads") or {}
    listed = "\n".join(
        f"{uid} | {up.name} | {describe_track(up.track)}" for uid, up in uploads.items()
    )
    words = constraint_words(state.get("sticky") or Constraints())
    return render_prompt(
        "agent_system",
        tracks=str(len(ctx.catalog)),
        playlist=format_playlist(state.get("playlist") or []),
        constraints=", ".join(words) or "(none)",
        uploads=listed or "(none)",
        max_steps=str(ctx.max_steps),
    )


def _model_name(model: Any) -> str | None:
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str):
            return value
    return None


def plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """One model step: call tools, or answer; stop politely at the step limit."""
    ctx = runtime.context
    tracer = ctx.tracer
    tracer.group += 1
    messages = state.get("messages") or []
    used = calls_this_turn(messages)
    if used >= ctx.max_steps:
        n = len(state.get("playlist") or [])
        text = (
            f"I stopped after {used} steps without finishing this request, sorry. "
            f"The playlist has {counted(n)}; ask again more narrowly, or say “show the playlist”."
        )
        tracer.record(Step(name="plan", summary=f"step limit ({ctx.max_steps}) reached"))
        return {"messages": [AIMessage(text)]}
    model = ctx.chat_model.bind_tools(TOOLS)
    prompt = [SystemMessage(system_prompt(state, ctx)), *history(messages)]
    with tracer.timed() as t:
        try:
            ai = model.invoke(prompt)
        except (BackendUnavailable, LLMReplyError) as e:
            ai = AIMessage(f"I could not reach the language model, so I stopped: {e}")
    calls = [c["name"] for c in getattr(ai, "tool_calls", None) or []]
    text = ai.text if isinstance(ai.text, str) else ""
    summary = f"calls {', '.join(calls)}" if calls else text.splitlines()[0][:100] if text else ""
    tracer.record(
        Step(name="plan", summary=summary, backend=tracer.backend, duration_ms=t["ms"]),
        tokens=getattr(ai, "usage_metadata", None),
        model=_model_name(ctx.chat_model),
    )
    return {"messages": [ai], "backends": {"planner": tracer.backend}}


def route_of_tools(steps: list[Step]) -> Intent:
    """What an LLM-planned turn did (its route), read from its successful tool calls."""
    done = {s.name for s in steps if s.kind == "tool" and s.status == "done"}
    if "start_playlist" in done:
        return "recommend"
    edits = {
        "add_to_playlist",
        "replace_in_playlist",
        "remove_from_playlist",
        "export_playlist",
        "remember_constraints",
        "restore_previous",
        "start_over",
    }
    if done & edits:
        return "refine"
    if "explain_pick" in done:
        return "explain"
    if done & {"listen_to_track", "get_track"}:
        return "describe"
    return "chat"


def after_plan(state: State) -> str:
    """Tool calls go to the tools node; a plain answer ends the turn."""
    messages = state.get("messages") or []
    last = messages[-1] if messages else None
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else "finish"
