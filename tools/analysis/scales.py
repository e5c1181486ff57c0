"""What the measured numbers mean: the energy, tempo and voice scales, defined once.

Captions, fact-checks, the judge's facts, context profiles and the catalog's search
filters all turn numbers into words with these bounds, so a change here moves every one
of them together. Light on purpose (no numpy): the judge and the search filters import
it without pulling in the analysis stack.
"""

from __future__ import annotations

from linernotes.tools.schemas import EnergyLevel, Measurements, TempoClass

ENERGY_BOUNDS = (0.30, 0.55, 0.78)
"""Energy 0-1 -> low | medium | high | very_high (upper bounds of the first three)."""
ENERGY_ORDER: tuple[EnergyLevel, ...] = ("low", "medium", "high", "very_high")
TEMPO_BOUNDS = (80.0, 110.0, 140.0)
"""BPM -> slow | moderate | fast | very_fast (upper bounds of the first three)."""
TEMPO_ORDER: tuple[TempoClass, ...] = ("slow", "moderate", "fast", "very_fast")
VOICE_BOUNDS = (0.35, 0.65)
"""Voice probability: at or below the first, instrumental; at or above the second,
vocals; between, unsure (captions and the judge say nothing they cannot hear)."""
VOICE_SPLIT = sum(VOICE_BOUNDS) / 2
"""Where a yes/no vocals filter cuts the unsure band (the catalog's ``has_voice``, the
judge's hard vocal constraints): the middle of ``VOICE_BOUNDS``."""


def energy_class(energy: float) -> EnergyLevel:
    """Name the energy class of an energy value (low | medium | high | very_high)."""
    for bound, level in zip(ENERGY_BOUNDS, ENERGY_ORDER, strict=False):
        if energy < bound:
            return level
    return "very_high"


def energy_level(m: Measurements) -> EnergyLevel:
    """Name the energy class of a track's measured energy."""
    return energy_class(m.energy)


def tempo_class(bpm: float) -> TempoClass:
    """Name the tempo class of a BPM value (slow | moderate | fast | very_fast)."""
    for bound, cls in zip(TEMPO_BOUNDS, TEMPO_ORDER, strict=False):
        if bpm < bound:
            return cls
    return "very_fast"


def voiced(voice_probability: float) -> bool | None:
    """True/False when the voice estimate is clear, None inside the unsure band."""
    lo, hi = VOICE_BOUNDS
    if voice_probability <= lo:
        return False
    if voice_probability >= hi:
        return True
    return None


def likely_voiced(voice_probability: float) -> bool:
    """A forced yes/no (filters, hard constraints): on the voiced side of ``VOICE_SPLIT``."""
    return voice_probability >= VOICE_SPLIT
