"""The tools a tool-calling model uses, as LangChain tools over ``agent/ops*.py``.

Each tool is a typed function with a snake_case verb name; its docstring and argument
descriptions are what the model reads. Arguments the model must not set (the catalog,
the backends, the judge, the tracer, the thread state) arrive through LangGraph's
``ToolRuntime``, never as model-visible arguments. A tool returns a ``Command`` that
updates the thread state (candidates, verdicts, playlist edits...) and carries the
``ToolMessage`` the model reads next. Expected failures (``LinernotesError``: "there is
no #99", "no candidates to judge") go back to the model through the ToolNode's
``handle_tool_errors``, so it can correct the call; real bugs still raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import ToolNode, ToolRuntime
from langgraph.prebuilt.tool_node import ToolInvocationError
from langgraph.types import Command

from linernotes.agent import ops, ops_playlist
from linernotes.agent.state import Context
from linernotes.tools.errors import LinernotesError
from linernotes.tools.fence import neutral
from linernotes.tools.schemas import Constraints

ToolCtx = ToolRuntime[Context, dict]
"""What LangGraph injects into a tool: run context, thread state, tool-call id."""


def _run(runtime: ToolCtx, fn: Callable[..., ops.Out], **args: Any) -> Command:
    """Run the ops function a tool wraps; each tool is named after its ops function."""
    name = fn.__name__
    env = ops.Env(runtime.context, dict(runtime.state))
    try:
        out = ops.call(name, fn, env, call_id=runtime.tool_call_id, **args)
    except LinernotesError as e:  # its message quotes titles and references: data, too
        raise type(e)(neutral(str(e))) from e
    # Tool results quote titles, tags and captions: data that must not write a tag.
    message = ToolMessage(neutral(out.text), tool_call_id=runtime.tool_call_id, name=name)
    return Command(update={**out.update, "messages": [message]})


@tool(parse_docstring=True)
def search_similar(
    track: str,
    runtime: ToolCtx,
    context: str | None = None,
    constraints: Constraints | None = None,
    k: int = 30,
    than: str | None = None,
) -> Command:
    """Find catalog tracks that sound like a track. Fast and approximate: judge them next.

    Args:
        track: the track to start from: '#3' (third playlist entry), 'upload' (the file
            the listener sent), a title or a track id.
        context: the listening context in the listener's words ('studying', 'a run').
        constraints: limits and wishes (no_vocals, max_bpm, calmer than the track...).
        k: candidates per retrieval list.
        than: what calmer/more_energetic/faster/slower/shorter/longer compare with when it
            is not the track searched from: 'playlist' (the current playlist, for a follow-up like
            'calmer' or 'even faster') or '#3' ('swap #3 for something calmer').
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(
        runtime,
        ops.search_similar,
        track=track,
        context=context,
        constraints=constraints,
        k=k,
        than=than,
    )


@tool(parse_docstring=True)
def search_text(
    query: str,
    runtime: ToolCtx,
    context: str | None = None,
    constraints: Constraints | None = None,
    k: int = 30,
    than: str | None = None,
) -> Command:
    """Find catalog tracks whose sound or description matches words. Judge them next.

    Args:
        query: what the music is like ('dark techno', 'calm piano').
        context: the listening context in the listener's words ('studying', 'a run').
        constraints: limits and wishes (no_vocals, max_bpm, max_energy, calmer...).
        k: candidates per retrieval list.
        than: what calmer/more_energetic/faster/slower/shorter/longer compare with when it
            is not the track searched from: 'playlist' (the current playlist, for a follow-up like
            'calmer' or 'even faster') or '#3' ('swap #3 for something calmer').
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(
        runtime,
        ops.search_text,
        query=query,
        context=context,
        constraints=constraints,
        k=k,
        than=than,
    )


@tool(parse_docstring=True)
def sample_catalog(
    runtime: ToolCtx,
    count: int = 8,
    context: str | None = None,
    constraints: Constraints | None = None,
) -> Command:
    """A varied sample of the whole catalog, one genre after another ('surprise me').

    Tracks already on the playlist or shown in this thread are left out while others
    remain. Judge them next.

    Args:
        count: how many picks the listener wants (three times as many are sampled).
        context: the listening context in the listener's words, if any.
        constraints: limits the sample must meet (no_vocals, max_energy...).
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops.sample_catalog, count=count, context=context, constraints=constraints)


@tool(parse_docstring=True)
def judge_candidates(
    runtime: ToolCtx,
    anchor: str | None = None,
    context: str | None = None,
    constraints: Constraints | None = None,
    count: int = 10,
) -> Command:
    """Judge this turn's candidates carefully against the request; best first, with reasons.

    Args:
        anchor: the track the picks should be like ('#2', 'upload', a title or id), if any.
        context: the listening context ('studying', 'a run'), if any.
        constraints: limits and wishes the picks must meet.
        count: how many of the best verdicts to list.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(
        runtime,
        ops.judge_candidates,
        anchor=anchor,
        context=context,
        constraints=constraints,
        count=count,
    )


@tool(parse_docstring=True)
def get_track(track: str, runtime: ToolCtx) -> Command:
    """Look up one track's facts: id, title, artist, genre, tempo, key, energy, vocals, path.

    Args:
        track: '#3', 'upload', a title or a track id.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops.get_track, track=track)


@tool(parse_docstring=True)
def listen_to_track(track: str, runtime: ToolCtx) -> Command:
    """Hear what a track sounds like: the listener's description of it.

    Args:
        track: '#3', 'upload', a title or a track id.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops.listen_to_track, track=track)


@tool(parse_docstring=True)
def start_playlist(tracks: list[str], runtime: ToolCtx) -> Command:
    """Replace the playlist with these tracks, in this order (for a new request).

    Args:
        tracks: track ids (or titles) from judge_candidates, best first.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.start_playlist, tracks=tracks)


@tool(parse_docstring=True)
def add_to_playlist(tracks: list[str], runtime: ToolCtx, position: int | None = None) -> Command:
    """Add tracks to the playlist ("more", "make it 10"); ones already on it are skipped.

    Args:
        tracks: track ids (or titles) from judge_candidates.
        position: insert before this 1-based position; default: at the end.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.add_to_playlist, tracks=tracks, position=position)


@tool(parse_docstring=True)
def remove_from_playlist(positions: list[int], runtime: ToolCtx) -> Command:
    """Remove the tracks at these playlist positions (1-based, as the listener sees them).

    Args:
        positions: e.g. [3] or [2, 5]; -1 is the last track.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.remove_from_playlist, positions=positions)


@tool(parse_docstring=True)
def replace_in_playlist(position: int, track: str, runtime: ToolCtx) -> Command:
    """Put a track in place of the one at a position; the other tracks keep their places.

    Args:
        position: 1-based playlist position to replace; -1 is the last track.
        track: the new track's id (or title), normally from judge_candidates.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(
        runtime,
        ops_playlist.replace_in_playlist,
        position=position,
        track=track,
    )


@tool(parse_docstring=True)
def explain_pick(track: str, runtime: ToolCtx) -> Command:
    """Say why a track is on the playlist: the judge's reasons, shared traits, differences.

    Args:
        track: '#2', a title or a track id.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.explain_pick, track=track)


@tool(parse_docstring=True)
def export_playlist(
    runtime: ToolCtx, format: str | None = None, path: str | None = None
) -> Command:
    """Save the playlist as a file a music player opens.

    Args:
        format: 'm3u', 'm3u8', 'xspf' or 'json'; default from the path, else m3u.
        path: where to write it; default: the catalog's playlists folder.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.export_playlist, format=format, path=path)


@tool(parse_docstring=True)
def remember_constraints(
    constraints: Constraints, runtime: ToolCtx, replace: bool = False
) -> Command:
    """Keep limits for the rest of the conversation ("no vocals from now on").

    Args:
        constraints: the limits to keep (vocals, energy, tempo bounds).
        replace: drop the limits kept so far instead of adding to them.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(
        runtime,
        ops_playlist.remember_constraints,
        constraints=constraints,
        replace=replace,
    )


@tool(parse_docstring=True)
def restore_previous(runtime: ToolCtx) -> Command:
    """Bring back the playlist shown before the current one ("undo", "go back").

    Args:
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.restore_previous)


@tool(parse_docstring=True)
def start_over(runtime: ToolCtx) -> Command:
    """Empty the playlist and drop standing constraints ("start over", "clear the list").

    Args:
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.start_over)


@tool(parse_docstring=True)
def reorder_playlist(runtime: ToolCtx, by: str, descending: bool = False) -> Command:
    """Put the playlist's tracks in a new order; the tracks themselves stay.

    Args:
        by: 'shuffle', 'reverse', 'tempo' or 'energy' ('start calm and build up': energy).
        descending: for tempo or energy, highest first ('fastest first').
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.reorder_playlist, by=by, descending=descending)


@tool(parse_docstring=True)
def move_in_playlist(runtime: ToolCtx, positions: list[int], to: int | None = None) -> Command:
    """Give tracks new places; the tracks themselves stay.

    Args:
        positions: one position with ``to`` ('move #1 to the end': [1], to -1), or two
            positions that trade places ('swap #2 and #3': [2, 3], no ``to``).
        to: the new place, 1-based; -1 is the end.
        runtime: injected by LangGraph (run context, thread state); never set by the model.
    """
    return _run(runtime, ops_playlist.move_in_playlist, positions=positions, to=to)


TOOLS: list[BaseTool] = [
    search_similar,
    search_text,
    sample_catalog,
    judge_candidates,
    get_track,
    listen_to_track,
    start_playlist,
    add_to_playlist,
    remove_from_playlist,
    replace_in_playlist,
    explain_pick,
    export_playlist,
    remember_constraints,
    restore_previous,
    start_over,
    reorder_playlist,
    move_in_playlist,
]
"""Every tool the LLM planner may call; the offline planner calls the same functions."""


def make_tool_node() -> ToolNode:
    """The node that runs the model's tool calls.

    Domain errors and bad arguments go back to the model as error messages; anything
    else raises.
    """
    return ToolNode(TOOLS, handle_tool_errors=(LinernotesError, ToolInvocationError))
