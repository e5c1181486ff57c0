"""Read track lengths in a request: "under 3 minutes", "longer than 10 min", "< 2:30".

A length is a hard bound on the catalog's stored ``duration_s`` (``Constraints``
``min_duration_s`` / ``max_duration_s``); the reader turns each phrase into a bound event,
so a negation flips it as it flips a tempo bound ("nothing longer than 5 minutes" is at
most 5 minutes). Vague words ("short songs") are not lengths: they are left to be said
as not understood rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linernotes.tools.reason.rules_vocab import NUMBER_WORDS

_NUMBER = r"\d+(?:[.,]\d+)?|an?|half an?|" + "|".join(
    sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)
)
_AT_MOST = (
    r"under|below|less than|shorter than|at most|max(?:imum)?|up to|no longer than|"
    r"not longer than|no more than|within|<=?|tops"
)
_AT_LEAST = r"over|above|more than|longer than|at least|min(?:imum)?|upwards of|>=?"
LENGTH = re.compile(
    rf"\b(?:(?P<max>{_AT_MOST})|(?P<min>{_AT_LEAST}))\s*(?:(?P<clock>\d{{1,2}}:\d{{2}})\b|"
    rf"(?P<n>{_NUMBER})\s*(?:-\s*)?(?P<unit>hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b)"
    r"(?:\s+(?:long|in length))?",
    re.I,
)
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


@dataclass(frozen=True)
class Length:
    """One length phrase: where it is, the bound it sets, and the words typed."""

    span: tuple[int, int]
    bound: dict[str, float]
    typed: str


def lengths(text: str) -> list[Length]:
    """Every length bound in ``text`` (lower-cased), in order."""
    out = []
    for m in LENGTH.finditer(text):
        if m["clock"]:
            mins, secs = m["clock"].split(":")
            seconds = 60.0 * int(mins) + int(secs)
        else:
            seconds = _amount(m["n"]) * _UNIT_S[m["unit"][0].lower()]
        if seconds <= 0:
            continue
        key = "max_duration_s" if m["max"] else "min_duration_s"
        out.append(Length(m.span(), {key: seconds}, m.group(0)))
    return out


def _amount(token: str) -> float:
    token = token.lower().strip()
    if token.startswith("half"):
        return 0.5
    if token in ("a", "an"):
        return 1.0
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def duration_words(seconds: float) -> str:
    """A length as people say it: "45 s", "3 min", "3 min 30 s", "1 h 5 min"."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{h} h"] if h else []
    parts += [f"{m} min"] if m else []
    parts += [f"{sec} s"] if sec and not h else []
    return " ".join(parts)
