"""What the catalog stores beside each vector: collection names, scalar metadata, records.

Metadata is what ``where`` filters and the planner's counts see, plus the lookup keys
(``title_key``, ``artist_key``: lower-cased, spaces collapsed) that let a title be found
by metadata equality, and ``listened_by`` for the stats' breakdown by listener. Every
stored record is read back through ``stored_track``, so one that no longer validates is
named with its remedy instead of raising a pydantic traceback from every search.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from linernotes.tools.analysis.scales import likely_voiced
from linernotes.tools.errors import CatalogError
from linernotes.tools.schemas import Track

_ID = re.compile(r'"id"\s*:\s*"([^"]+)"')


def normal(text: str) -> str:
    """The lookup key of a title or artist: lower case, spaces collapsed."""
    return " ".join(text.lower().split())


def collection_name(kind: str, space: str) -> str:
    """Chroma collection name for vectors of ``kind`` ('audio'/'captions') in ``space``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", space).strip("-.")
    return f"{kind}-{slug}"


def track_metadata(track: Track) -> dict[str, Any]:
    """Scalar metadata stored with each vector so searches can filter on it."""
    m, s = track.measurements, track.summary
    return {
        "title": track.title,
        "title_key": normal(track.title),
        "artist_key": normal(track.artist or ""),
        "listened_by": track.provenance.listener
        + (f" ({track.provenance.listener_model})" if track.provenance.listener_model else ""),
        "energy_level": s.energy_level or "",
        "energy": float(m.energy),
        "tempo_bpm": float(m.tempo_bpm),
        "has_voice": likely_voiced(m.voice_probability),
        "voice_probability": float(m.voice_probability),
        "mode": m.mode,
        "key": m.key,
        "genre_tag": (track.genre_tag or "").lower(),
        "duration_s": float(m.duration_s),
        "listener": track.provenance.listener,
    }


def stored_track(doc: str, folder: object) -> Track:
    """The ``Track`` a stored JSON record holds.

    A record written before a bug was fixed (a loudness of ``inf`` stored as null) made
    every search, ``catalog show`` and even ``catalog remove`` end in a traceback; now the
    damaged record is named with what is wrong and how to get rid of it.

    Raises:
        CatalogError: the record does not validate as a ``Track``.
    """
    try:
        return Track.model_validate_json(doc)
    except ValidationError as e:
        found = _ID.search(doc)
        track_id = found.group(1) if found else "?"
        first = e.errors()[0]
        field = ".".join(map(str, first["loc"])) or "record"
        raise CatalogError(
            f"track {track_id} in {folder} has a damaged record ({field}: {first['msg']}); "
            f"remove it with `linernotes catalog remove {track_id}` and ingest its file again"
        ) from e
