"""Find one track by what a person types: id, id prefix, file path, title or artist.

Nothing is scanned in Python: every step is one indexed lookup. The track records (JSON
documents) live in ``records.sqlite`` beside the metadata index, whose rows carry the
lower-cased title and artist (``title_key``, ``artist_key``); a catalog without that
index (server mode, an old read-only one) asks Chroma (metadata equality, then its
document regex) instead:

1. the exact id; an id prefix (6+ hex digits) through the document search;
2. a file path, by its JSON form in the record;
3. a title, then an artist: exact (metadata equality), then prefix, then a unique
   containing match (Chroma's document regex, case-insensitive).

Fuzzy matching never picks a track silently: when all of that fails, ``suggest`` offers
near titles ("did you mean ...?") from the lexical index, and the error carries them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from linernotes.tools.catalog.metadata import normal, stored_track
from linernotes.tools.errors import TrackNotFoundError
from linernotes.tools.schemas import Track

if TYPE_CHECKING:
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.catalog.vectors import VectorCollection

_META = set("\\.+*?()|[]{}^$")
_HEX = re.compile(r"[0-9a-f]{6,}")
_LIMIT = 50


def _escape(text: str) -> str:
    """Escape regex metacharacters (only those: Chroma's Rust regex rejects odd escapes)."""
    return "".join("\\" + c if c in _META else c for c in text)


def _json_text(text: str) -> str:
    """How ``text`` appears inside a JSON string in the stored record."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _field_regex(field: str, text: str, *, prefix: bool, anywhere: bool) -> dict[str, str]:
    body = _escape(_json_text(text))
    lead = '[^"]*' if anywhere else ""
    tail = "" if prefix or anywhere else '"'
    return {"$regex": f'(?i)"{field}":"{lead}{body}{tail}'}


def _tracks(docs: dict[str, str]) -> list[Track]:
    tracks = (stored_track(d, "the catalog") for d in docs.values())
    return sorted(tracks, key=lambda t: (t.title.lower(), t.id))


def by_field(catalog: Catalog, field: str, ref: str) -> Track | None:
    """A track whose ``field`` ('title'/'artist') is, starts with, or uniquely contains ref."""
    key = normal(ref)
    if not key:
        return None
    coll = catalog._audio
    named = f"{field}_key"
    exact = coll.find_names(named, key, "exact", 1)
    if exact is not None:  # the metadata index: exact, prefix, then a unique containing key
        starts = exact or coll.find_names(named, key, "prefix", 1)
        if starts:
            return _tracks(starts)[0]
        inside = coll.find_names(named, key, "contains", 2) or {}
        return _tracks(inside)[0] if len(inside) == 1 else None
    return _by_chroma(coll, field, ref, key)


def _by_chroma(coll: VectorCollection, field: str, ref: str, key: str) -> Track | None:
    """``by_field`` where the catalog keeps no index: metadata equality, then Chroma's regex."""
    got = coll.chroma.get(where={f"{field}_key": key}, limit=1, include=["documents"])
    if got["ids"]:
        return stored_track(got["documents"][0], "the catalog")
    for prefix in (False, True):
        found = coll.find_documents(_field_regex(field, ref, prefix=prefix, anywhere=False), 1)
        if found:
            return _tracks(found)[0]
    inside = coll.find_documents(_field_regex(field, ref, prefix=True, anywhere=True), 2)
    return _tracks(inside)[0] if len(inside) == 1 else None


def resolve(catalog: Catalog, ref: str) -> Track:
    """The track ``ref`` names (see the module docstring for the order tried).

    Raises:
        TrackNotFoundError: nothing matches; the message offers near titles if any.
    """
    ref = ref.strip().strip("\"'“”‘’")
    found = catalog.get_many([ref]) if ref else {}
    if ref in found and catalog.existing_ids([ref]):  # not a crashed write's leftover
        return found[ref]
    coll = catalog._audio
    if _HEX.fullmatch(ref):
        hits = coll.find_documents({"$contains": f'"id":"{ref}'}, 2)
        if len(hits) == 1:
            return _tracks(hits)[0]
    if "/" in ref or "\\" in ref or "." in ref:
        import os

        # realpath, not Path.resolve: that raises RuntimeError on a symlink loop
        target = os.path.realpath(os.path.expanduser(ref))
        hits = coll.find_documents({"$contains": f'"path":"{_json_text(target)}"'}, 5)
        for track in _tracks(hits):
            if track.path == target:
                return track
    for field in ("title", "artist"):
        named = by_field(catalog, field, ref)
        if named is not None:
            return named
    near = suggest(catalog, ref)
    hint = f"; did you mean {', '.join(repr(t) for t in near)}?" if near else ""
    raise TrackNotFoundError(
        f"no track matches {ref!r} (tried id, id prefix, path, title and artist) in "
        f"{catalog.folder}{hint}"
    )


def suggest(catalog: Catalog, ref: str, n: int = 3) -> list[str]:
    """Up to ``n`` titles close to ``ref``, for a "did you mean" (never used silently).

    Only a failed lookup pays for this: the lexical index (``tools.catalog.lexical``, one
    row per name) ranks every title by difflib, which catches a typo anywhere in a word.
    """
    from linernotes.tools.catalog.lexical import lexical_for

    return list(lexical_for(catalog).did_you_mean(ref, n=n, field="title"))
