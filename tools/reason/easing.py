"""Permission to go a little past a standing limit: "maybe a little faster is ok".

After "nothing faster than 100" the listener who says "hmm, a little faster is ok" does
not ask for faster music (a wish over the playlist's median); they give the cap some
room. The reader marks which bound eases (``Request.eased``) and lifts the opposite wish
("slower"); the refinement, which knows the standing bound, moves it by one step
(``eased_value``): about a tenth of the tempo, one energy class, a fifth of the length.
"""

from __future__ import annotations

import re
from typing import Any

from linernotes.tools.analysis.scales import ENERGY_ORDER

EASE = re.compile(
    r"\b(?:(?:i\s+)?(?:don'?t|do not)\s+mind\s+(?:(?:it|them|they|the\s+tracks)\s+)?)?"
    r"(?:(?:a\s+)?(?:little|bit|tad|touch)\s+(?:bit\s+)?|slightly\s+|somewhat\s+)?"
    r"(?P<w>faster|quicker|slower|louder|calmer|quieter|more\s+energetic|longer|shorter)"
    r"(?:\s+(?:ones?|tracks?|songs?|stuff))?"
    r"(?P<ok>\s+(?:is|are|would\s+be|'d\s+be|'s|would\s+also\s+be|is\s+also)\s+"
    r"(?:ok|okay|fine|alright|all\s+right|good|allowed)(?:\s+too)?)?\b"
    r"|\b(?:it|they|tracks|songs|them)\s+(?:can|could|may)\s+(?:be|go|get)\s+"
    r"(?:(?:a\s+)?(?:little|bit|tad|touch)\s+(?:bit\s+)?|slightly\s+|somewhat\s+)?"
    r"(?P<w2>faster|quicker|slower|louder|calmer|quieter|more\s+energetic|longer|shorter)\b",
    re.I,
)
"""Permission phrasings; a bare comparative ("a little faster") is a wish, not one.

A match counts only with its permission part: the "is ok" tail, the "I don't mind" head
or "it can be"."""
EASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "faster": ("max_bpm", ("slower",)),
    "quicker": ("max_bpm", ("slower",)),
    "slower": ("min_bpm", ("faster",)),
    "louder": ("max_energy", ("calmer",)),
    "more energetic": ("max_energy", ("calmer",)),
    "calmer": ("min_energy", ("more_energetic",)),
    "quieter": ("min_energy", ("more_energetic",)),
    "longer": ("max_duration_s", ("shorter",)),
    "shorter": ("min_duration_s", ("longer",)),
}
"""The permitted direction -> the bound that eases, and the opposite wish it lifts."""
ROOM = "a little more room"
"""What an ``understood`` line says a permission gives, until the refinement says how much."""
TEMPO_STEP = 1.1
LENGTH_STEP = 1.2


def read_eased(text: str) -> list[tuple[str, tuple[str, ...], tuple[int, int], str]]:
    """``(bound field, wishes lifted, span, words)`` of every permission in ``text``."""
    out = []
    for m in EASE.finditer(text):
        word = m["w"] or m["w2"]
        permits = m["w2"] or m["ok"] or re.match(r"\s*(?:i\s+)?(?:don'?t|do not)", m[0], re.I)
        if not permits:
            continue
        bound, wishes = EASES[re.sub(r"\s+", " ", word.lower())]
        out.append((bound, wishes, m.span(), m[0].strip()))
    return out


def eased_value(field: str, value: Any) -> Any:
    """The standing bound ``value`` of ``field`` moved one step outwards."""
    if "energy" in field:
        i = ENERGY_ORDER.index(value) + (1 if field.startswith("max") else -1)
        return ENERGY_ORDER[min(max(i, 0), len(ENERGY_ORDER) - 1)]
    step = TEMPO_STEP if "bpm" in field else LENGTH_STEP
    moved = float(value) * step if field.startswith("max") else float(value) / step
    return round(moved / 5.0) * 5.0 if "bpm" in field else round(moved)


def without_eased(text: str) -> str:
    """``text`` with its permissions blanked, so "faster is ok" is read as no wish."""
    for _, _, (a, b), _ in read_eased(text):
        text = text[:a] + " " * (b - a) + text[b:]
    return text
