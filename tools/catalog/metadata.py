"""What the catalog stores beside each vector: collection names and scalar metadata.

Metadata is what ``where`` filters and the planner's counts see, plus the lookup keys
(``title_key``, ``artist_key``: lower-cased, spaces collapsed) that let a title be found
by metadata equality, and ``listened_by`` for the stats' breakdown by listener.
"""

from __future__ import annotations

import re
from typing import Any

from linernotes.tools.analysis.scales import likely_voiced
from linernotes.tools.schemas import Track


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
