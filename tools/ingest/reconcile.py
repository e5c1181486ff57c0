"""Match the files found on disk to the tracks a catalog holds: same, moved, changed, gone.

Ids hash the decoded audio (``tools.ingest.identity``), so:

* a file whose id the catalog holds is the same track; if its recorded path no longer
  exists, the file moved, and the record's path is updated (vectors kept);
* a file whose id is new but whose path a track holds was changed (re-encoded, edited):
  its new record replaces the old one once written, so "more like" never finds the old copy;
* a catalog built with the first id scheme (whole-file hash) is recognised through
  ``legacy_id``: its unchanged files keep their old ids, nothing is duplicated;
* ``prune`` removes the tracks under the ingested folders whose files are gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linernotes.tools.audio import read_tags
from linernotes.tools.ingest.identity import legacy_id
from linernotes.tools.ingest.stages import title_for
from linernotes.tools.schemas import Track


@dataclass
class Plan:
    """What ingest must do besides adding new tracks."""

    replaces: dict[str, str] = field(default_factory=dict)  # new id -> id of the old version
    relocated: list[tuple[str, str]] = field(default_factory=list)  # (id, new path)
    retagged: list[str] = field(default_factory=list)  # ids whose tags were refreshed


def _held_paths(catalog: Any) -> dict[str, str]:
    """Path -> id of every track in the catalog."""
    return {t.path: t.id for t in catalog.tracks()}


def refreshed(track: Track, path: str) -> Track:
    """``track`` at ``path`` with the file's current tags (title, artist, album, genre)."""
    tags = read_tags(path)
    return track.model_copy(
        update={
            "path": path,
            "title": title_for(tags, Path(path)),
            "artist": tags.artist,
            "album": tags.album,
            "genre_tag": tags.genre,
        }
    )


def reconcile(
    catalog: Any,
    ids: dict[str, str],
    twins: dict[str, list[str]],
    present: set[str],
    threads: int = 4,
    fresh: set[str] | frozenset[str] = frozenset(),
    hash_legacy: Callable[[str], str] = legacy_id,
) -> Plan:
    """Re-key legacy files, find moved and changed files; updates ``ids``/``present`` in place.

    Args:
        catalog: the open catalog.
        ids: representative path -> audio id of each distinct file found.
        twins: representative path -> every path with the same audio.
        present: the ids of ``ids`` the catalog already holds.
        threads: readers for the legacy hashes.
        fresh: paths whose id was computed this run (new or touched on disk): a known
            track there may have been re-tagged, so its tags are read again.
        hash_legacy: the first scheme's id of a path.
    """
    plan = Plan()
    absent = [p for p, i in ids.items() if i not in present]
    if absent and len(catalog):
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            legacy = dict(zip(absent, pool.map(_safe(hash_legacy), absent), strict=True))
        known = catalog.existing_ids([v for v in legacy.values() if v])
        for path, old in legacy.items():
            if old in known:
                ids[path] = old
                present.add(old)
    if not present and not absent:
        return plan
    held = _held_paths(catalog) if len(catalog) else {}
    track_path = {i: p for p, i in held.items()}
    updates: list[Track] = []
    for path, track_id in ids.items():
        if track_id in present:
            recorded = track_path.get(track_id, "")
            moved = bool(recorded) and recorded not in twins[path] and not os.path.exists(recorded)
            if moved or (recorded == path and path in fresh):
                old = catalog.get(track_id)
                new = refreshed(old, path)
                if moved:
                    plan.relocated.append((track_id, path))
                elif new != old:
                    plan.retagged.append(track_id)
                if new != old:
                    updates.append(new)
            continue
        for same in twins[path]:
            held_id = held.get(same)
            if held_id is not None and held_id != track_id:
                plan.replaces[track_id] = held_id
                break
    if updates:
        catalog.update_records(updates)
    return plan


def _safe(fn: Callable[[str], str]) -> Callable[[str], str]:
    def call(path: str) -> str:
        try:
            return fn(path)
        except OSError:
            return ""

    return call


def prune(catalog: Any, roots: Iterable[str | Path]) -> list[str]:
    """Remove the tracks under ``roots`` whose files no longer exist; returns their ids.

    Only tracks under the folders being ingested are considered, so a library on an
    unmounted drive elsewhere is never pruned by an ingest of another folder.
    """
    bases = [os.path.realpath(Path(r).expanduser()) for r in roots]
    gone = [
        t.id
        for t in catalog.tracks()
        if any(t.path == b or t.path.startswith(b.rstrip(os.sep) + os.sep) for b in bases)
        and not os.path.exists(t.path)
    ]
    return catalog.delete(gone) if gone else []
