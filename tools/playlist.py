"""A thread's playlist: edits by track id, and export as M3U, XSPF or JSON.

The agent edits the playlist through tools, and a tool-calling model may send several
calls at once, each computed from the same snapshot ("remove #3" and "remove #5" in one
message mean the third and fifth tracks *as shown*). So an edit names its targets by
track id, never by position, and edits compose in any order without shifting each other.
Positions (1-based, as the listener sees them) are turned into ids once, by
``ids_at``, against the snapshot the listener saw.

Exports write absolute paths of files that exist (a player cannot play anything else):
M3U with ``#EXTM3U``/``#EXTINF`` lines, XSPF with ``file://`` URIs, and JSON for scripts.
Files missing on disk are left out and reported, not written as broken entries.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field

from linernotes.tools.clip import counted
from linernotes.tools.errors import ConfigError, TrackNotFoundError
from linernotes.tools.schemas import PlaylistItem, Record, Track

EditOp = Literal["set", "add", "remove", "replace"]
ExportFormat = Literal["m3u", "m3u8", "xspf", "json"]
EXPORT_FORMATS: tuple[str, ...] = ("m3u", "m3u8", "xspf", "json")
XSPF_NS = "http://xspf.org/ns/0/"


class PlaylistEdit(Record):
    """One change to a playlist, naming tracks by id so concurrent edits compose."""

    op: EditOp = Field(description="set: replace all; add; remove; replace one track.")
    items: list[PlaylistItem] = Field(default_factory=list, description="Tracks to put in.")
    track_ids: list[str] = Field(default_factory=list, description="Tracks to take out.")
    before: str | None = Field(None, description="add: insert before this track id.")


def item_for(track: Track) -> PlaylistItem:
    """The playlist entry of a track."""
    return PlaylistItem(track_id=track.id, path=track.path, title=track.title)


def ids_at(items: Sequence[PlaylistItem], positions: Sequence[int]) -> list[str]:
    """Track ids at 1-based positions (-1 is the last); a bad position says what exists.

    Raises:
        TrackNotFoundError: a position outside the playlist.
    """
    out = []
    for n in positions:
        index = n - 1 if n > 0 else len(items) + n
        if n == 0 or not 0 <= index < len(items):
            said = "last one" if n == -1 else f"#{n}"
            if not items:  # "like the last one" in a new conversation
                raise TrackNotFoundError(
                    f"there is no {said} yet: this conversation has no picks to refer to "
                    "(ask for some first, or name a title)"
                )
            raise TrackNotFoundError(f"there is no {said}: the playlist has {counted(len(items))}")
        out.append(items[index].track_id)
    return out


def position_of(items: Sequence[PlaylistItem], track_id: str) -> int | None:
    """1-based position of a track in the playlist, or None."""
    return next((i for i, it in enumerate(items, start=1) if it.track_id == track_id), None)


def apply_edit(items: list[PlaylistItem], edit: PlaylistEdit) -> list[PlaylistItem]:
    """The playlist after one edit; a track is never listed twice."""
    match edit.op:
        case "set":
            return _unique(edit.items)
        case "add":
            have = {it.track_id for it in items}
            new = [it for it in _unique(edit.items) if it.track_id not in have]
            at = position_of(items, edit.before) if edit.before else None
            at = len(items) if at is None else at - 1
            return [*items[:at], *new, *items[at:]]
        case "remove":
            gone = set(edit.track_ids)
            return [it for it in items if it.track_id not in gone]
        case "replace":
            if not edit.track_ids or not edit.items:
                return items
            old, fresh = edit.track_ids[0], edit.items[0]
            if position_of(items, old) is None:
                return items  # the target left in a concurrent edit: nothing to replace
            if fresh.track_id != old and position_of(items, fresh.track_id) is not None:
                return [it for it in items if it.track_id != old]  # already there: just drop
            return [fresh if it.track_id == old else it for it in items]
    raise ValueError(
        f"Unknown playlist edit {edit.op!r}. Expected one of: set, add, remove, replace"
    )


def apply_edits(items: list[PlaylistItem], edits: Sequence[PlaylistEdit]) -> list[PlaylistItem]:
    """The playlist after edits applied in order."""
    for edit in edits:
        items = apply_edit(items, edit)
    return items


def _unique(items: Sequence[PlaylistItem]) -> list[PlaylistItem]:
    """Items without repeats, first occurrence kept."""
    first: dict[str, PlaylistItem] = {}
    for it in items:
        first.setdefault(it.track_id, it)
    return list(first.values())


# -- export ----------------------------------------------------------------------------
@dataclass
class Exported:
    """What an export wrote: the file, its format, the entries written and those missing."""

    path: Path
    format: str
    written: int
    missing: list[str] = field(default_factory=list)


def export_format(path: Path, fmt: str | None = None) -> str:
    """The format named, else the one the file suffix implies.

    Raises:
        ConfigError: an unknown format, or none named and an unknown suffix.
    """
    name = (fmt or path.suffix.lstrip(".")).lower()
    if name not in EXPORT_FORMATS:
        raise ConfigError(
            f"cannot export as {name or path.name!r}. Expected one of: {', '.join(EXPORT_FORMATS)}"
        )
    return name


def export_playlist(
    items: Sequence[PlaylistItem],
    path: str | Path,
    fmt: str | None = None,
    *,
    tracks: Mapping[str, Track] | None = None,
    title: str = "linernotes playlist",
) -> Exported:
    """Write the playlist to ``path`` as M3U, M3U8, XSPF or JSON.

    Args:
        items: the playlist, in play order.
        path: the file to write (folders are created); relative paths become absolute.
        fmt: the format; default: the file suffix.
        tracks: catalog records by id, for durations and artists (optional).
        title: the playlist title (XSPF, JSON).

    Raises:
        ConfigError: an unknown format, or an empty playlist.
    """
    out = Path(path).expanduser().resolve()
    name = export_format(out, fmt)
    if not items:
        raise ConfigError("the playlist is empty: nothing to export")
    tracks = tracks or {}
    entries: list[tuple[PlaylistItem, Path]] = []
    missing: list[tuple[PlaylistItem, Path]] = []
    for it in items:
        file = Path(it.path).expanduser().resolve()
        (entries if file.is_file() else missing).append((it, file))
    writer = {"m3u": _m3u, "m3u8": _m3u, "xspf": _xspf, "json": _json}[name]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(writer(entries, tracks, title), encoding="utf-8")
    return Exported(out, name, len(entries), [it.title for it, _ in missing])


def _m3u(entries: list[tuple[PlaylistItem, Path]], tracks: Mapping[str, Track], _: str) -> str:
    lines = ["#EXTM3U"]
    for it, file in entries:
        t = tracks.get(it.track_id)
        seconds = round(t.measurements.duration_s) if t else -1
        who = f"{t.artist} - " if t and t.artist else ""
        lines += [f"#EXTINF:{seconds},{who}{it.title}", str(file)]
    return "\n".join(lines) + "\n"


def _xspf(entries: list[tuple[PlaylistItem, Path]], tracks: Mapping[str, Track], title: str) -> str:
    ET.register_namespace("", XSPF_NS)
    root = ET.Element(f"{{{XSPF_NS}}}playlist", version="1")
    ET.SubElement(root, f"{{{XSPF_NS}}}title").text = title
    tracklist = ET.SubElement(root, f"{{{XSPF_NS}}}trackList")
    for it, file in entries:
        node = ET.SubElement(tracklist, f"{{{XSPF_NS}}}track")
        ET.SubElement(node, f"{{{XSPF_NS}}}location").text = file.as_uri()
        ET.SubElement(node, f"{{{XSPF_NS}}}title").text = it.title
        t = tracks.get(it.track_id)
        if t and t.artist:
            ET.SubElement(node, f"{{{XSPF_NS}}}creator").text = t.artist
        if t:
            ms = str(round(t.measurements.duration_s * 1000))
            ET.SubElement(node, f"{{{XSPF_NS}}}duration").text = ms
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _json(entries: list[tuple[PlaylistItem, Path]], tracks: Mapping[str, Track], title: str) -> str:
    rows = []
    for it, file in entries:
        t = tracks.get(it.track_id)
        rows.append(
            {
                "track_id": it.track_id,
                "path": str(file),
                "title": it.title,
                "artist": t.artist if t else None,
                "duration_s": t.measurements.duration_s if t else None,
            }
        )
    return json.dumps({"title": title, "tracks": rows}, indent=2, ensure_ascii=False) + "\n"


def read_m3u(path: str | Path) -> list[str]:
    """The file paths an M3U lists (comment and ``#EXT`` lines skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def format_playlist(items: Sequence[PlaylistItem], limit: int = 50) -> str:
    """The playlist as numbered lines ("1. Title"), for replies and prompts."""
    if not items:
        return "(empty)"
    lines = [f"{i}. {it.title}" for i, it in enumerate(items[:limit], start=1)]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more")
    return "\n".join(lines)
