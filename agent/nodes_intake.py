"""First and last nodes of every turn, for both planners: intake and finish.

Intake checks what arrived before any planner sees it, so a bad message gets a clear
answer and the thread simply goes on: an empty message, one too long to be a request
(a paste gone wrong), or an upload that is not audio. A good upload is validated,
measured, embedded and captioned here with the catalog's own backends, and kept in the
thread state as an ``Upload``, never added to the catalog; from then on "#3"-style
references, "my track" and the tools treat it like a catalog track.

Finish writes the turn's reply into the conversation and closes the turn's trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from linernotes.agent.planner_llm import route_of_tools
from linernotes.agent.state import Context, State, Upload
from linernotes.agent.traces import traced
from linernotes.agent.wording import HELP
from linernotes.tools.audio import AUDIO_EXTENSIONS
from linernotes.tools.catalog.search import analyse_external, catalog_copy
from linernotes.tools.errors import InvalidAudioError
from linernotes.tools.ingest.discover import is_audio_like
from linernotes.tools.schemas import Step

MAX_CHARS = 4000
"""Longest message read as a request; longer ones are refused with a clear answer."""
KEPT_CHARS = 500
"""How much of a refused long message is kept in the conversation log."""
UPLOAD_TEXT = "more like this"
"""What an upload sent without words asks for (the UI sends the same)."""


def analyse_upload(path: str | Path, ctx: Context) -> Upload:
    """Validate, measure, embed and caption an uploaded file with the catalog's backends.

    Raises:
        InvalidAudioError: not an audio file, missing, or undecodable.
    """
    p = Path(path).expanduser()
    if not is_audio_like(p):  # decoding decides for the rest (a .au, .caf or .w64 is audio)
        kinds = ", ".join(sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS))
        raise InvalidAudioError(f"{p.name} is not an audio file (expected one of: {kinds})")
    if p.is_dir():
        raise InvalidAudioError(f"cannot read {p.name}: it is a folder, not an audio file")
    if not p.is_file():
        raise InvalidAudioError(f"cannot read {p.name}: no such file")
    track, vec = analyse_external(p, ctx.backends)
    # a copy of a catalog song (even an MP3 of it) is that song: the anchor, never a pick
    track = catalog_copy(ctx.catalog, track, vec) or track
    return Upload(track=track, vector=[float(x) for x in vec], name=p.name)


@traced("intake")
def intake(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Start the turn: number it, log the message, check it, take in an upload."""
    ctx = runtime.context
    turn = int(state.get("turn") or 0) + 1
    ctx.tracer.turn = turn
    text = state.get("text") or ""
    upload = state.get("upload")
    if upload and not text.strip():
        text = UPLOAD_TEXT
    update: dict[str, Any] = {
        "turn": turn,
        "text": text,
        "plan": None,
        "request": None,
        "anchor": None,
        "context_profile": None,
        "problem": None,
        "reply": "",
        "restores": None,
    }
    shown = text if len(text) <= MAX_CHARS else text[:KEPT_CHARS] + " […]"
    update["messages"] = [HumanMessage(shown)]
    problem = None
    if not text.strip():
        problem = f"Your message was empty. {HELP}"
    elif len(text) > MAX_CHARS:
        problem = (
            f"That message is {len(text):,} characters long; I read requests of up to "
            f"{MAX_CHARS:,}. Please send a shorter one, e.g. “more like <title> for studying”."
        )
    elif upload:
        try:
            up = analyse_upload(upload, ctx)
        except (InvalidAudioError, OSError) as e:
            problem = (
                f"I could not use the file you sent ({Path(upload).name}): {str(e).rstrip('. ')}. "
                "Send a WAV, FLAC, MP3 or OGG file, or name a track from the catalog."
            )
        else:
            update["uploads"] = {up.track.id: up}
            update["focus"] = up.track.id
            update["backends"] = {"listener": up.track.provenance.listener}
            ctx.tracer.references["upload"] = up.track.id
    if problem:
        update.update(problem=problem, reply=problem, picks={turn: []})
    return update


def after_intake(state: State, runtime: Runtime[Context]) -> str:
    """A refused message ends the turn; otherwise the configured planner takes over."""
    if state.get("problem"):
        return "finish"
    return "plan" if runtime.context.planner == "llm" else "understand"


def _last_ai_text(messages: list[Any]) -> str:
    for m in reversed(messages or []):
        if isinstance(m, AIMessage):
            return m.text if isinstance(m.text, str) else str(m.content)
        if isinstance(m, HumanMessage):
            break
    return ""


def finish(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the reply into the conversation and close the turn's trace."""
    ctx = runtime.context
    tracer = ctx.tracer
    plan = state.get("plan")
    by_model = ctx.planner == "llm" and not state.get("problem")
    reply = _last_ai_text(state.get("messages") or []) if by_model else state.get("reply") or ""
    if plan is not None:
        route: str = plan.route
    elif state.get("problem"):
        route = "reject"
    else:  # the LLM planner: its route is what its tools did
        route = route_of_tools(tracer.steps)
    tracer.group += 1
    tracer.record(
        Step(
            name="finish",
            kind="node",
            arguments={"route": route, "references": dict(tracer.references)},
            summary=reply.splitlines()[0][:100] if reply else "",
        )
    )
    tracer.finish_turn(state.get("text") or "", reply, route)
    update: dict[str, Any] = {"reply": reply}
    if not by_model:
        update["messages"] = [AIMessage(reply)]
    return update
