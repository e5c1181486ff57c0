"""Resolve what a listener (or a model) points at: "#3", "it", "the one with strings", "my track".

Both planners name tracks the same way, so one resolver serves them: a playlist
position (``#3``, ``#-1`` for the last), ``it`` (the track last referred to), a
description of a playlist entry (``with:strings``, matched against instruments, genre,
mood and caption words), ``upload`` (the file sent in this thread, kept in the thread
state rather than the catalog), or any catalog reference (id, id prefix, title, path).
A reference that names nothing raises ``TrackNotFoundError`` with a message that says
what does exist ("there is no #99: the playlist has 8 tracks"), so the listener, or the
model through the ToolNode, can correct it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from linernotes.tools.analysis.scales import likely_voiced
from linernotes.tools.catalog.search import explain_missing, is_audio_path, resolve_query
from linernotes.tools.errors import TrackNotFoundError
from linernotes.tools.playlist import ids_at
from linernotes.tools.reason.rules_vocab import WORD_FAMILIES
from linernotes.tools.schemas import Track

POSITION = re.compile(r"^#\s*(-?\d{1,3})$")
VOICE_WORDS = frozenset(WORD_FAMILIES["vocals"])


def file_ref(ref: str, ctx: Any) -> bool:
    """Whether ``ref`` is an audio file this turn may open (never from the web UI's text)."""
    return getattr(ctx, "files_from_text", True) and is_audio_path(ref)


def track_of(track_id: str, state: Any, ctx: Any) -> Track:
    """The record of a track id: an upload of this thread, else a catalog track."""
    upload = (state.get("uploads") or {}).get(track_id)
    return upload.track if upload is not None else ctx.catalog.get(track_id)


def vector_of(track: Track, state: Any, ctx: Any) -> np.ndarray:
    """The audio vector of a track: stored with an upload, else read from the catalog."""
    upload = (state.get("uploads") or {}).get(track.id)
    if upload is not None:
        return np.asarray(upload.vector, dtype=np.float32)
    return resolve_query(ctx.catalog, track, ctx.backends)[1]


def _latest_upload(state: Any) -> str:
    uploads = state.get("uploads") or {}
    if not uploads:
        raise TrackNotFoundError("no file was sent in this conversation: attach one first")
    return list(uploads)[-1]


def _words(track: Track) -> set[str]:
    s = track.summary
    text = " ".join(
        [
            *s.instruments,
            s.genre or "",
            track.genre_tag or "",
            s.mood or "",
            (s.dominant_feature or "").replace("_", " "),
            s.energy_level or "",
            track.caption,
        ]
    ).lower()
    return set(re.findall(r"[a-z]+", text))


def match_description(words: str, state: Any, ctx: Any) -> str:
    """The playlist entry whose instruments, genre, mood or caption best match ``words``.

    "strings" also matches violin, viola, cello and "string quartet"; "vocals" matches a
    sung track by its measured voice probability. Ties go to the earlier entry.

    Raises:
        TrackNotFoundError: no entry matches, or the playlist is empty.
    """
    playlist = state.get("playlist") or []
    if not playlist:
        raise TrackNotFoundError(f"the playlist is empty: no track with {words} in it")
    wanted: set[str] = set()
    for w in re.findall(r"[a-z]+", words.lower()):
        family = next((f for k, f in WORD_FAMILIES.items() if w == k or w in f), None)
        wanted |= set(family or (w, w.rstrip("s")))
    best, best_score = None, 0
    for item in playlist:
        track = track_of(item.track_id, state, ctx)
        score = len(wanted & _words(track))
        if wanted & VOICE_WORDS and likely_voiced(track.measurements.voice_probability):
            score += 1
        if score > best_score:
            best, best_score = item.track_id, score
    if best is None:
        raise TrackNotFoundError(
            f"no track in the playlist matches “{words}”: name it by number (#1-#{len(playlist)})"
        )
    return best


def resolve_token(token: str, state: Any, ctx: Any) -> str:
    """A reference token or phrase -> a track id (see the module docstring).

    Raises:
        TrackNotFoundError: the reference names nothing; the message says what exists.
    """
    ref = token.strip()
    m = POSITION.match(ref)
    if m:
        return ids_at(state.get("playlist") or [], [int(m.group(1))])[0]
    low = ref.lower()
    if low in ("it", "that one", "this one", "this", "that"):
        focus = state.get("focus")
        if not focus:
            raise TrackNotFoundError(f"I am not sure which track “{ref}” is: say #1, #2...")
        return focus
    if low.startswith("with:"):
        return match_description(ref[5:], state, ctx)
    uploads = state.get("uploads") or {}
    if low in ("upload", "my track", "my song", "my file", "the upload", "my upload"):
        return _latest_upload(state)
    if low.startswith("upload:") and ref[7:] in uploads:
        return ref[7:]
    for uid, up in uploads.items():
        if ref == uid or low in (up.track.title.lower(), up.name.lower()):
            return uid
    if file_ref(ref, ctx):
        return resolve_query(ctx.catalog, ref, ctx.backends)[0].id
    try:
        return ctx.catalog.resolve(ref).id
    except TrackNotFoundError as e:
        if not getattr(ctx, "files_from_text", True):
            raise  # the web UI: never say whether a path exists on this machine
        raise explain_missing(e, ref, ctx.catalog.folder) from e


def resolve(token: str, state: Any, ctx: Any) -> str:
    """``resolve_token``, recording the resolution in the turn's trace (for evals)."""
    track_id = resolve_token(token, state, ctx)
    tracer = getattr(ctx, "tracer", None)
    if tracer is not None:
        tracer.references[token.strip()] = track_id
    return track_id


def lookup(token: str, state: Any, ctx: Any) -> Track:
    """Resolve a reference and return the track; records the resolution in the trace.

    A file path outside the catalog is analysed on the fly and kept as an upload-like
    track only for this call (the intake node keeps real uploads in the thread).
    """
    if file_ref(token.strip(), ctx):
        return resolve_query(ctx.catalog, token.strip(), ctx.backends)[0]
    return track_of(resolve(token, state, ctx), state, ctx)
