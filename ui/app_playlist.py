"""The playlist panel's edits and its export, per browser session.

Edits return new lists (never mutate the one in ``gr.State``): gradio detects a changed
state by comparing old and new values, and an in-place edit would compare equal and
leave the panel stale. Adding, removing and writing M3U, XSPF and JSON belong to
``tools.playlist`` (one implementation for the CLI, the agent and the UI); this module
adds only what a panel with buttons needs: positions and moves.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from linernotes.tools.playlist import Exported, PlaylistEdit, apply_edit, export_playlist
from linernotes.tools.schemas import Pick, PlaylistItem, Track

EXPORT_FORMATS: dict[str, str] = {"M3U": "m3u", "XSPF": "xspf", "JSON": "json"}
"""Labels shown in the panel -> format names of ``tools.playlist``."""
EXPORT_NAME = "linernotes-playlist"


def item_of(pick: Pick) -> PlaylistItem:
    """The playlist entry for a pick."""
    return PlaylistItem(track_id=pick.track_id, path=pick.path, title=pick.title)


def add(items: list[PlaylistItem], picks: list[Pick]) -> list[PlaylistItem]:
    """Append picks not yet in the playlist, in their rank order."""
    return apply_edit(list(items), PlaylistEdit(op="add", items=[item_of(p) for p in picks]))


def move(items: list[PlaylistItem], index: int, delta: int) -> list[PlaylistItem]:
    """Move the entry at ``index`` by ``delta`` places; a move past either end is a no-op."""
    target = index + delta
    if not (0 <= index < len(items) and 0 <= target < len(items)):
        return list(items)
    out = list(items)
    out[index], out[target] = out[target], out[index]
    return out


def remove(items: list[PlaylistItem], index: int) -> list[PlaylistItem]:
    """Drop the entry at ``index`` (0-based, as the panel enumerates)."""
    if not 0 <= index < len(items):
        return list(items)
    return apply_edit(list(items), PlaylistEdit(op="remove", track_ids=[items[index].track_id]))


def export_file(
    items: list[PlaylistItem],
    label: str,
    tracks: Mapping[str, Track] | None = None,
    folder: Path | None = None,
) -> Exported:
    """Write the playlist in the format named by ``label`` (see ``EXPORT_FORMATS``).

    Each export gets a fresh folder under the system temp dir (which gradio may serve),
    so two sessions exporting at once never overwrite each other's download.

    Raises:
        ConfigError: the playlist is empty.
    """
    fmt = EXPORT_FORMATS[label]
    folder = folder or Path(tempfile.mkdtemp(prefix="linernotes-export-"))
    return export_playlist(items, folder / f"{EXPORT_NAME}.{fmt}", fmt, tracks=tracks)
