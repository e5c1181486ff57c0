"""The agent's playlist tools: start, add, remove, replace, explain, export, remember.

Same contract as ``agent/ops.py`` (``(env, **arguments) -> Out``), shared by both
planners. Edits go into the state as ``PlaylistEdit`` s naming tracks by id, so tool
calls a model sends together compose (see ``tools/playlist.py``). Every track put on
the playlist keeps its liner note (the judge's verdict as a ``Pick``) in ``notes``, so
"why #3?" can be answered turns later, after the list has been edited.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import get_args

from linernotes.agent.ops import HARD, Env, Out, merge_constraints
from linernotes.agent.refs import lookup, track_of
from linernotes.agent.wording import (
    describe_track,
    explanation,
    limit_words,
    rank_line,
)
from linernotes.tools.clip import counted
from linernotes.tools.errors import CatalogError, LinernotesError, TrackNotFoundError
from linernotes.tools.playlist import (
    PlaylistEdit,
    format_playlist,
    ids_at,
    item_for,
    position_of,
)
from linernotes.tools.playlist import (
    export_playlist as write_playlist,
)
from linernotes.tools.reason.rules_edits import Order
from linernotes.tools.schemas import Constraints, Pick, PlaylistItem, Track

DEFAULT_EXPORT = "m3u"


def _pick_for(env: Env, track: Track, rank: int) -> Pick:
    """The pick for a track: from this turn's verdict, an earlier note, or a plain entry."""
    verdict = next((v for v in env.this_turn("verdicts") if v.track_id == track.id), None)
    if verdict is not None:
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
    note = (env.state.get("notes") or {}).get(track.id)
    if note is not None:
        return note.model_copy(update={"rank": rank})
    return Pick(
        rank=rank,
        track_id=track.id,
        path=track.path,
        title=track.title,
        score=0.0,
        confidence=0.0,
        dimensions={},
        explanation=f"Added on request ({describe_track(track)}); not judged.",
    )


def _added(env: Env, picks: list[Pick], edit: PlaylistEdit) -> dict:
    return {
        "playlist": [edit],
        "picks": {env.turn: picks},
        "notes": {p.track_id: p for p in picks},
        "shown": [p.track_id for p in picks],
    }


def _tracks(env: Env, refs: list[str]) -> list[Track]:
    tracks: dict[str, Track] = {}
    for ref in refs:
        t = lookup(ref, env.state, env.ctx)
        tracks.setdefault(t.id, t)
    return list(tracks.values())


def start_playlist(env: Env, tracks: list[str]) -> Out:
    """Replace the playlist with these tracks, in this order (a fresh recommendation)."""
    chosen = _tracks(env, tracks)
    if not chosen:
        raise CatalogError("start_playlist needs at least one track")
    picks = [_pick_for(env, t, i) for i, t in enumerate(chosen, start=1)]
    items = [item_for(t) for t in chosen]
    summary = f"playlist of {len(items)}: " + ", ".join(t.title for t in chosen[:5])
    text = f"New playlist ({len(items)} tracks):\n{format_playlist(items)}"
    return Out(text, summary, _added(env, picks, PlaylistEdit(op="set", items=items)), picks)


def add_to_playlist(env: Env, tracks: list[str], position: int | None = None) -> Out:
    """Add tracks at a position (1-based; default: the end); tracks already there are skipped."""
    playlist = env.state.get("playlist") or []
    have = {it.track_id for it in playlist}
    chosen = [t for t in _tracks(env, tracks) if t.id not in have]
    if not chosen:
        return Out("All of these are already on the playlist.", "nothing new to add")
    before = None
    start = len(playlist) + 1
    if position is not None and 1 <= position <= len(playlist):
        before, start = ids_at(playlist, [position])[0], position
    picks = [_pick_for(env, t, start + i) for i, t in enumerate(chosen)]
    edit = PlaylistEdit(op="add", items=[item_for(t) for t in chosen], before=before)
    summary = f"added {len(chosen)} at #{start}: " + ", ".join(t.title for t in chosen[:5])
    text = f"Added {len(chosen)}; the playlist now has {counted(len(playlist) + len(chosen))}."
    return Out(text, summary, _added(env, picks, edit), picks)


def remove_from_playlist(env: Env, positions: list[int]) -> Out:
    """Take the tracks at these positions (as the listener sees them) off the playlist."""
    playlist = env.state.get("playlist") or []
    ids = ids_at(playlist, positions)
    titles = [
        f"#{n if n > 0 else len(playlist) + n + 1} {track_of(i, env.state, env.ctx).title}"
        for n, i in zip(positions, ids, strict=True)
    ]
    left = len(playlist) - len(set(ids))
    summary = f"removed {', '.join(titles)}; {left} left"
    edit = PlaylistEdit(op="remove", track_ids=ids)
    return Out(f"Removed {', '.join(titles)}; {counted(left)} left.", summary, {"playlist": [edit]})


def replace_in_playlist(env: Env, position: int, track: str) -> Out:
    """Put a track in place of the one at a position; the others keep their places.

    Raises:
        TrackNotFoundError: no such position.
        CatalogError: the new track is already elsewhere on the playlist.
    """
    playlist = env.state.get("playlist") or []
    old = ids_at(playlist, [position])[0]
    if position < 0:
        position = len(playlist) + position + 1
    new = lookup(track, env.state, env.ctx)
    at = position_of(playlist, new.id)
    if at is not None and new.id != old:
        raise CatalogError(f"{new.title} is already #{at} on the playlist")
    gone = track_of(old, env.state, env.ctx)
    pick = _pick_for(env, new, position)
    edit = PlaylistEdit(op="replace", items=[item_for(new)], track_ids=[old])
    update = {**_added(env, [pick], edit), "focus": new.id}
    summary = f"#{position}: {gone.title} -> {new.title}"
    return Out(f"Replaced #{position} {gone.title} with {new.title}.", summary, update, pick)


def explain_pick(env: Env, track: str) -> Out:
    """Why a track is on the playlist: the judge's liner note, shared traits, differences."""
    t = lookup(track, env.state, env.ctx)
    playlist = env.state.get("playlist") or []
    position = position_of(playlist, t.id)
    note = (env.state.get("notes") or {}).get(t.id)
    if note is None and position is None:
        raise TrackNotFoundError(
            f"{t.title} is not on the playlist, so I have no reason to give for it"
        )
    if note is None:
        note = _pick_for(env, t, position or 0)
    text = explanation(note, position)
    notes = env.state.get("notes") or {}
    scores = {
        i: notes[it.track_id].score for i, it in enumerate(playlist, 1) if it.track_id in notes
    }
    line = rank_line(position, len(playlist), scores) if position else None
    return Out(f"{text}\n{line}" if line else text, f"note of {t.title}", {"focus": t.id}, note)


def export_playlist(env: Env, format: str | None = None, path: str | None = None) -> Out:
    """Write the playlist to a file (M3U, M3U8, XSPF or JSON) a music player opens.

    Raises:
        ConfigError: an unknown format or an empty playlist.
    """
    playlist = env.state.get("playlist") or []
    ctx = env.ctx
    folder = Path(ctx.export_dir or Path(ctx.catalog.folder) / "playlists")
    if path is not None and not getattr(ctx, "files_from_text", True):
        # From the web UI a path in the chat names a file, never a place on the server.
        name = re.sub(r"[^\w.-]+", "_", Path(path).name).lstrip(".") or "playlist"
        path = str(folder / name)
    if path is None:
        stem = ctx.tracer.thread or "playlist"
        path = str(folder / f"{stem}.{(format or DEFAULT_EXPORT).lower()}")
    elif format is None and not Path(path).suffix:
        format = DEFAULT_EXPORT
    tracks = {}
    for it in playlist:
        try:
            tracks[it.track_id] = track_of(it.track_id, env.state, ctx)
        except LinernotesError:
            continue  # an entry whose record is gone still exports with its path
    done = write_playlist(playlist, path, format, tracks=tracks)
    text = f"Exported {done.written} tracks to {done.path} ({done.format.upper()})."
    if done.missing:
        text += f" Left out (file missing): {', '.join(done.missing)}."
    return Out(text, f"{done.written} tracks -> {done.path}", {}, done)


def remember_constraints(env: Env, constraints: Constraints, replace: bool = False) -> Out:
    """Keep hard constraints for every later turn ("no vocals from now on").

    Only hard limits stick (vocals, energy, tempo bounds): "calmer" means calmer than
    something, which later turns cannot know. ``replace`` drops the earlier ones.
    """
    hard = Constraints(
        **{k: v for k, v in constraints.model_dump(exclude_defaults=True).items() if k in HARD}
    )
    sticky = hard if replace else merge_constraints(env.state.get("sticky"), hard)
    words = limit_words(sticky)  # "no more jazz": exclusions are standing constraints too
    text = f"From now on: {', '.join(words)}." if words else "No standing constraints now."
    return Out(text, text, {"sticky": sticky}, sticky)


def reorder_playlist(env: Env, by: str, descending: bool = False) -> Out:
    """Put the playlist's tracks in a new order: shuffled, reversed, or by tempo or energy.

    "start calm and build up" is energy rising; "fastest first" tempo falling. The tracks,
    their liner notes and the standing request stay; only the order changes ("undo"
    brings the old one back).

    Raises:
        TrackNotFoundError: there is no playlist yet.
        CatalogError: ``by`` is none of shuffle, reverse, tempo, energy.
    """
    playlist = list(env.state.get("playlist") or [])
    if not playlist:
        raise TrackNotFoundError("there is no playlist yet: ask for some music first")
    if by not in get_args(Order):
        raise CatalogError(f"cannot order by {by!r}: use shuffle, reverse, tempo or energy")

    def level(item: PlaylistItem) -> float:
        m = track_of(item.track_id, env.state, env.ctx).measurements
        return float(m.tempo_bpm if by == "tempo" else m.energy)

    items = playlist[:]
    if by == "shuffle":
        while len(items) > 1 and items == playlist:  # a shuffle that changes nothing is none
            random.shuffle(items)
        said, lines = "shuffled", format_playlist(items)
    elif by == "reverse":
        items.reverse()
        said, lines = "reversed", format_playlist(items)
    else:
        items.sort(key=level, reverse=descending)
        said = f"by {by}, {'highest' if descending else 'lowest'} first"
        unit = "{:.0f} BPM" if by == "tempo" else "energy {:.2f}"
        lines = "\n".join(
            f"{i}. {it.title} ({unit.format(level(it))})" for i, it in enumerate(items, 1)
        )
    update = {"playlist": [PlaylistEdit(op="set", items=items)]}
    return Out(f"Reordered ({said}):\n{lines}", f"reordered {len(items)} tracks, {said}", update)


def move_in_playlist(env: Env, positions: list[int], to: int | None = None) -> Out:
    """Give tracks new places: #a to ``to`` (1-based, -1 the end), or #a and #b trade places.

    "move #1 to the end", "put the third one first", "swap #2 and #3" keep the same tracks
    and their liner notes; "undo" brings the old order back.

    Raises:
        TrackNotFoundError: no playlist, or a position outside it.
        CatalogError: neither one track and a place nor two tracks were given.
    """
    playlist = list(env.state.get("playlist") or [])
    if not playlist:
        raise TrackNotFoundError("there is no playlist yet: ask for some music first")
    n = len(playlist)
    # ids_at checks the positions (-1 is the last) and says what exists when one is not there
    index = [(position_of(playlist, i) or 0) - 1 for i in ids_at(playlist, positions)]
    items = playlist[:]
    if len(index) == 2 and to is None:
        a, b = index
        items[a], items[b] = items[b], items[a]
        said = f"#{a + 1} “{items[b].title}” and #{b + 1} “{items[a].title}” traded places"
    elif len(index) == 1 and to is not None:
        item = items.pop(index[0])
        at = n - 1 if to == -1 or to > n else max(0, to - 1)
        items.insert(at, item)
        said = f"#{index[0] + 1} “{item.title}” moved to #{at + 1}"
    else:
        raise CatalogError("say which track goes where (“move #1 to the end”, “swap #2 and #3”)")
    update = {"playlist": [PlaylistEdit(op="set", items=items)]}
    return Out(f"{said}:\n{format_playlist(items)}", said, update)


def start_over(env: Env) -> Out:
    """Empty the playlist and drop what later turns inherit ("start over", "clear the list").

    Standing constraints and the request a follow-up would refine go too, so the next
    message starts a new conversation in the same thread; "undo" brings the list back.
    """
    n = len(env.state.get("playlist") or [])
    update = {
        "playlist": [PlaylistEdit(op="set", items=[])],
        "basis": None,
        "sticky": Constraints(),
    }
    cleared = f"the playlist ({counted(n)}) is cleared" if n else "the playlist is empty"
    text = f"Starting over: {cleared} and no constraints stand. What would you like to hear?"
    return Out(text, f"cleared {counted(n)} and the standing constraints", update)


def _snapshots_by_turn(env: Env) -> dict[int, dict]:
    """The thread's checkpointed states by turn (the newest checkpoint of each turn)."""
    history = env.ctx.history() if getattr(env.ctx, "history", None) else []
    by_turn: dict[int, dict] = {}
    for snap in history:  # newest first
        values = getattr(snap, "values", None) or {}
        turn = values.get("turn")
        if isinstance(turn, int) and turn not in by_turn:
            by_turn[turn] = values
    return by_turn


def restore_previous(env: Env) -> Out:
    """Bring back the playlist shown before the current one ("undo", "go back").

    The list comes from the thread's checkpointed history (LangGraph's checkpointer keeps
    every turn's state), not from a stack of our own: the current list is the one of the
    last turn, or of the turn an earlier "undo" restored (``restores``); the previous list
    is the newest earlier turn whose list differs. Its request (``basis``) and standing
    constraints come back with it, so a follow-up refines what is shown again.

    Raises:
        CatalogError: no earlier list exists in this conversation.
    """
    by_turn = _snapshots_by_turn(env)
    now = env.turn - 1
    current = by_turn.get(now, {})
    while isinstance(current.get("restores"), int) and current["restores"] in by_turn:
        now = current["restores"]
        current = by_turn[now]
    ids = [it.track_id for it in current.get("playlist") or []]
    for turn in sorted((t for t in by_turn if t < now), reverse=True):
        values = by_turn[turn]
        items = list(values.get("playlist") or [])
        if [it.track_id for it in items] == ids:
            continue
        update = {
            "playlist": [PlaylistEdit(op="set", items=items)],
            "basis": values.get("basis"),
            "sticky": values.get("sticky") or Constraints(),
            "restores": turn,
        }
        if not items:
            return Out("Undone: the playlist is empty again.", "restored an empty list", update)
        text = f"Back to the previous list ({len(items)} tracks):\n{format_playlist(items)}"
        return Out(text, f"restored the list of turn {turn}", update, items)
    raise CatalogError("there is no earlier list in this conversation to go back to")
