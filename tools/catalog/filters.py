"""Metadata filters: a request's constraints and context as a Chroma ``where`` clause.

Retrieval filters on what the catalog stores with every vector (``track_metadata`` in
``tools.catalog.catalog``: energy class, tempo, ``has_voice``...), so a filter can only
use those keys, and the scales behind them are ``tools.analysis.scales``.
"""

from __future__ import annotations

from typing import Any

from linernotes.tools.analysis.scales import ENERGY_ORDER, VOICE_BOUNDS
from linernotes.tools.schemas import Constraints, EnergyLevel, Levels

TEMPO_STEP = 0.03
"""How much faster / slower than the reference "faster" / "slower" must be (3 %): within
that, two tempo readings of one groove differ by measurement alone."""


def _levels_between(low: EnergyLevel | None, high: EnergyLevel | None) -> list[str] | None:
    """Energy classes from ``low`` to ``high`` inclusive, or None when unbounded."""
    if low is None and high is None:
        return None
    lo = ENERGY_ORDER.index(low) if low else 0
    hi = ENERGY_ORDER.index(high) if high else len(ENERGY_ORDER) - 1
    return list(ENERGY_ORDER[lo : hi + 1])  # empty when low > high


def constraints_to_where(
    constraints: Constraints | None, context: Any = None, than: Levels | None = None
) -> dict[str, Any] | None:
    """A Chroma ``where`` filter that keeps only tracks able to satisfy the request.

    Hard limits come from the constraints (vocals, BPM bounds, energy classes) and from
    the context profile (``max_energy_level``/``min_energy_level``; ``vocals: avoid``
    means instrumental). Relative wishes ("calmer", "faster") become bounds relative to
    ``than`` (the anchor's levels, one playlist entry's, or the playlist's) when given.
    Tempo ranges of a context are *not* filtered on: tempo estimates have octave errors
    the judge tolerates but a filter cannot.

    Returns:
        ``None`` when nothing constrains, one clause, or ``{"$and": [...]}``.
    """
    c = constraints or Constraints()
    clauses: list[dict[str, Any]] = []
    low = _stricter(c.min_energy, getattr(context, "min_energy_level", None), floor=True)
    high = _stricter(c.max_energy, getattr(context, "max_energy_level", None), floor=False)
    levels = _levels_between(low, high)
    if levels == []:  # the context and the constraints disagree: the listener's words win
        levels = _levels_between(c.min_energy, c.max_energy)
    if levels is not None and levels != list(ENERGY_ORDER):
        clauses.append({"energy_level": {"$in": levels}})
    if c.no_vocals or (getattr(context, "vocals", None) == "avoid" and not c.vocals_only):
        # heard as instrumental, not merely "more likely than not" (judge.limits agrees)
        clauses.append({"voice_probability": {"$lte": VOICE_BOUNDS[0]}})
    elif c.vocals_only:
        clauses.append({"has_voice": True})
    if c.min_bpm is not None:
        clauses.append({"tempo_bpm": {"$gte": float(c.min_bpm)}})
    if c.max_bpm is not None:
        clauses.append({"tempo_bpm": {"$lte": float(c.max_bpm)}})
    if c.avoid_bpm_from is not None and c.avoid_bpm_to is not None:
        clauses.append({"$or": [{"tempo_bpm": {"$lt": float(c.avoid_bpm_from)}},
                                {"tempo_bpm": {"$gt": float(c.avoid_bpm_to)}}]})  # fmt: skip
    if c.min_duration_s is not None:
        clauses.append({"duration_s": {"$gte": float(c.min_duration_s)}})
    if c.max_duration_s is not None:
        clauses.append({"duration_s": {"$lte": float(c.max_duration_s)}})
    if c.genres:
        clauses.append({"genre_tag": {"$in": [g.lower() for g in c.genres]}})
    if c.exclude_genres:
        clauses.append({"genre_tag": {"$nin": [g.lower() for g in c.exclude_genres]}})
    if c.mode:
        clauses.append({"mode": c.mode})
    if c.key:
        clauses.append({"key": c.key})
    if than is not None:
        if c.calmer:
            clauses.append({"energy": {"$lt": float(than.energy)}})
        if c.more_energetic:
            clauses.append({"energy": {"$gt": float(than.energy)}})
        if c.faster and c.min_bpm is None:
            clauses.append({"tempo_bpm": {"$gt": float(than.tempo_bpm) * (1 + TEMPO_STEP)}})
        if c.slower and c.max_bpm is None:
            clauses.append({"tempo_bpm": {"$lt": float(than.tempo_bpm) * (1 - TEMPO_STEP)}})
        if c.shorter and than.duration_s and c.max_duration_s is None:
            clauses.append({"duration_s": {"$lt": float(than.duration_s)}})
        if c.longer and than.duration_s and c.min_duration_s is None:
            clauses.append({"duration_s": {"$gt": float(than.duration_s)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _stricter(a: EnergyLevel | None, b: EnergyLevel | None, *, floor: bool) -> EnergyLevel | None:
    """The tighter of two energy bounds (higher floor, lower ceiling)."""
    known = [ENERGY_ORDER.index(x) for x in (a, b) if x]
    if not known:
        return None
    return ENERGY_ORDER[max(known) if floor else min(known)]
