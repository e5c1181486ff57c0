"""Offline planner, talking routes: explain a pick, describe a track, open chat.

Explaining reads the liner note kept when the track went on the playlist (the judge's
verdict), so "why #2?" is answered from what decided the pick, not re-invented.
Describing reads what the listener heard (the caption written at ingest, or on upload).
Chat answers greetings, thanks and help without touching the catalog.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from linernotes.agent.ops import Env, call, listen_to_track
from linernotes.agent.ops_playlist import explain_pick
from linernotes.agent.state import Context, State
from linernotes.agent.traces import traced
from linernotes.agent.wording import (
    HELP,
    OFF_TOPIC,
    PLAYBACK,
    THANKS,
    USAGE,
    absent_reply,
    catalog_reply,
)
from linernotes.tools.clip import counted
from linernotes.tools.errors import LinernotesError
from linernotes.tools.reason.rules_vocab import ABOUT_ME, CATALOG_QUESTION
from linernotes.tools.reason.rules_vocab import PLAYBACK as PLAYBACK_ASK
from linernotes.tools.reason.rules_vocab import USAGE as USAGE_QUESTION

BYE_WORDS = re.compile(
    r"^\W*(?:ok(?:ay)?\W+|thanks?\W+)?(?:bye|goodbye|good bye|see you|see ya|cya|later|"
    r"good ?night|gn|that'?s all|i'?m done)\b",
    re.I,
)
BYE = "Bye! The playlist stays in this conversation: come back to it any time."
THANKS_WORDS = re.compile(r"\b(thanks?|thank you|cheers|great|perfect|nice|cool|awesome)\b", re.I)


def _tool_reply(state: State, runtime: Runtime[Context], name: str, fn: Any) -> dict[str, Any]:
    plan = state["plan"]
    assert plan is not None and plan.target is not None
    try:
        out = call(name, fn, Env(runtime.context, dict(state)), track=plan.target)
    except LinernotesError as e:
        problem = str(e).rstrip(".")
        return {"reply": f"I could not answer that: {problem}.", "problem": problem}
    return {**out.update, "reply": out.text}


@traced("explain")
def explain(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Why a track is on the playlist, from its liner note."""
    return _tool_reply(state, runtime, "explain_pick", explain_pick)


@traced("describe")
def describe(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """What a track sounds like: facts and the listener's caption."""
    return _tool_reply(state, runtime, "listen_to_track", listen_to_track)


@traced("chat")
def chat(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Greetings, thanks and help; says what the playlist holds when there is one."""
    text = state.get("text") or ""
    request = state.get("request")
    if request is not None and request.off_topic:
        return {"reply": OFF_TOPIC}
    if USAGE_QUESTION.search(text):  # before the unclear words: "turn", "volume" are no music
        return {"reply": USAGE}
    if PLAYBACK_ASK.search(text):
        return {"reply": PLAYBACK}
    if ABOUT_ME.search(text):
        return {"reply": HELP}
    if request is not None and (request.absent or request.unclear):
        return {"reply": absent_reply(request)}
    if CATALOG_QUESTION.search(text):
        return {"reply": catalog_reply(runtime.context.catalog.overview())}
    reply = BYE if BYE_WORDS.search(text) else THANKS if THANKS_WORDS.search(text) else HELP
    n = len(state.get("playlist") or [])
    if n:
        reply += f" The playlist has {counted(n)}; say “show the playlist” to see it."
    return {"reply": reply}
