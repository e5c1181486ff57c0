"""An instrument asked for alone: "piano only", "solo piano", "just guitar and nothing else".

Without this, "piano only, no other instruments" was read as "with piano" and a trio came
back. The instruments named are kept, and every other family the vocabulary knows is
excluded (a trio's bass and drums too). Families a track is known to have come from its
record or its genre (``vocabulary.track_families``), so "no other" holds as far as the
catalog knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linernotes.tools.reason.vocabulary import Vocabulary


@dataclass(frozen=True)
class Alone:
    """What "X only" asked: the families excluded, the words said, where they were."""

    excluded: list[str]
    asked: str
    typed: str
    spans: list[tuple[int, int]]


def played_alone(words: list[tuple[str, str]], low: str, vocab: Vocabulary) -> Alone | None:
    """``words``: (typed, family) of the instruments asked for; None when none is "alone"."""
    if not words:
        return None
    typed = "|".join(re.escape(t) for t, _ in words)
    marks = list(
        re.finditer(
            rf"\b(?:solo|only|just)\s+(?:an?\s+|the\s+)?(?:{typed})\b"
            rf"|\b(?:{typed})\s+(?:only|alone|solo)\b"
            r"|\b(?:no other instruments?|nothing else|and nothing more)\b",
            low,
        )
    )
    if not marks:
        return None
    asked = {family for _, family in words}
    excluded = [f for f in vocab.data.get("instruments", {}) if f not in asked]
    return Alone(
        excluded, " and ".join(sorted(asked)), marks[0].group(0), [m.span() for m in marks]
    )
