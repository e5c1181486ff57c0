"""Read the bounds a request puts on tracks: tempo, length, energy level.

Tempo: "90-120 bpm", "140 bpm or more", "around 100 bpm"; length: "under 3 minutes",
"shorter than 2:30", "3-5 minute songs", "a 3 minute song"; energy: "energy below high";
the span between two feels: "between chill and upbeat"; and the whole playlist's length
("an hour of music"), which bounds no track. Each phrase becomes a
``Bound`` in its direction before any negation; the reader (``tools.reason.reading``)
turns bounds into events of its "not" scope and ``flip``s a negated one. A number that
counts tracks ("10 songs", "20 or more") or lasts ("3 minutes") is never a tempo, and
vague words ("short songs") are no length: they are said, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.reason.rules_vocab import NUMBER_WORDS

if TYPE_CHECKING:
    from linernotes.tools.reason.vocabulary import Vocabulary


@dataclass(frozen=True)
class Bound:
    """One bound phrase: where it is, the constraint values it sets, the words typed."""

    span: tuple[int, int]
    values: dict[str, Any]
    typed: str


TEMPO_WORDS = r"(?:\s*(?:bpm|beats? per minute|beats? a minute|beats?/min|b\.p\.m\.?))"
NOT_TEMPO_UNIT = re.compile(
    r"^\s*(?:tracks?|songs?|picks?|tunes?|minutes?|mins?|seconds?|secs?|hours?|years?|s\b|"
    r"percent|%|pieces?|ones?|of)",
    re.I,
)
MAX_WORDS = (
    r"under|below|less than|slower than|at most|max(?:imum)?|up to|lower than|<=?|tops|sub-?"
)
MIN_WORDS = r"over|above|more than|faster than|at least|min(?:imum)?|higher than|>=?|upwards of"
COMPARE = re.compile(
    rf"\b(?:(?P<max>{MAX_WORDS})|(?P<min>{MIN_WORDS})|(?P<near>around|about|roughly|near|~|at))"
    rf"\s*(?P<n>\d{{2,3}})(?:ish)?(?P<unit>{TEMPO_WORDS})?",
    re.I,
)
RANGE = re.compile(
    rf"\b(?:between\s+)?(?P<a>\d{{2,3}})\s*(?:-|–|to|and)\s*(?P<b>\d{{2,3}})(?P<unit>{TEMPO_WORDS})?",
    re.I,
)
PLAIN = re.compile(rf"\b(?P<n>\d{{2,3}})(?:ish)?{TEMPO_WORDS}", re.I)
OPEN_ENDED = re.compile(
    rf"\b(?:at\s+)?(?P<n>\d{{2,3}})(?P<unit>{TEMPO_WORDS})?\s*(?:(?P<plus>\+)|(?:or|and)\s+"
    r"(?:(?P<up>more|above|higher|faster|over|up|beyond)|(?P<down>less|below|lower|slower|under|"
    r"fewer|down))\b)",
    re.I,
)
""""140 bpm or more", "140+ bpm", "100 bpm or less": one open end, not "about 140"."""
DECADE = re.compile(
    rf"\b(?:in\s+the\s+)?(?P<part>low|lower|mid|middle|high|upper)[\s-]+(?P<n>\d{{1,2}}0)'?s"
    rf"(?P<unit>{TEMPO_WORDS})",
    re.I,
)
""""low 100s bpm", "mid 90s bpm", "upper 120s bpm": a part of a ten-BPM band (the unit is
needed: "mid 90s" alone is a decade)."""
_DECADE_PART = {"low": (0, 4), "lower": (0, 4), "mid": (3, 7), "middle": (3, 7), "high": (6, 10)}
MARK = re.compile(
    rf"\b(?:around|about|near|roughly)\s+the\s+(?P<n>\d{{2,3}})(?P<unit>{TEMPO_WORDS})?\s+mark\b",
    re.I,
)
""""around the 120 mark": about 120 BPM."""
GIVE_OR_TAKE = re.compile(
    rf"\b(?P<n>\d{{2,3}})(?P<u1>{TEMPO_WORDS})?\s*(?:give or take|plus or minus|\+ or -)\s*"
    rf"(?P<d>\d{{1,2}})(?P<u2>{TEMPO_WORDS})?",
    re.I,
)
""""120 give or take 5 bpm" (normalise turns "±" and "+/-" into these words): 115-125."""
BARE_BEATS = re.compile(r"\s*beats\b(?!\s+(?:to|for|by|from|and|with|that|which))", re.I)
""""under 100 beats": beats after a number count per minute; "100 beats to study to" no."""


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
_PLAIN_NUMBER = r"\d+(?:[.,]\d+)?|" + "|".join(
    sorted((re.escape(w) for w in NUMBER_WORDS if not w.startswith("a ")), key=len, reverse=True)
)
_LEN_UNIT = r"(?P<unit>hours?|hrs?|minutes?|mins?|seconds?|secs?)"
LENGTH_RANGE = re.compile(
    rf"\b(?:between\s+)?(?P<a>{_PLAIN_NUMBER})\s*(?:-|–|to|and)\s*(?P<b>{_PLAIN_NUMBER})"
    rf"\s*(?:-\s*)?{_LEN_UNIT}\b(?:\s+(?:long|in length))?",
    re.I,
)
""""between 3 and 5 minutes", "3-5 minute songs": both ends of a track's length."""
LENGTH_NEAR = re.compile(
    r"(?P<lead>\b(?:songs?|tracks?|tunes?|pieces?|ones)\s+(?:that\s+(?:are|is|last)\s+|"
    r"lasting\s+|of\s+)?)?"
    rf"(?:\b(?P<near>around|about|roughly|approximately|approx\.?|circa|~)\s*)?"
    rf"\b(?P<n>{_PLAIN_NUMBER})(?P<half>\s+and\s+a\s+half)?\s*(?:-\s*)?{_LEN_UNIT}"
    r"(?P<tail>(?:\s+|-)(?:long|in length|songs?|tracks?|tunes?|pieces?|ones)\b)?",
    re.I,
)
""""a 3 minute song", "songs around 4 minutes long", "tracks of about 2 and a half minutes":
a length give or take a sixth. A bare "30 minute run" or "an hour of music" (a session or a
playlist, not a track) has neither the track word nor "long" and is left alone."""
NEAR_SHARE = 1 / 6


_SPAN = rf"(?P<n>{_NUMBER})\s*(?:-\s*)?(?P<unit>hours?|hrs?|h|minutes?|mins?|m)\b"
PLAYLIST_LENGTH = tuple(
    re.compile(p, re.I)
    for p in (
        rf"\b(?:(?:about|around|roughly|~)\s*)?{_SPAN}\s+(?:worth\s+)?of\b",
        rf"\b(?:a|an|my|the|our)\s+{_SPAN}(?=\s+(?:long\s+|[a-z]+\s+)?(?:playlist|mix|set|session|queue)\b)",
        rf"\b(?:playlist|mix|set|queue)\s+(?:of|for|lasting|that lasts)\s+(?:about\s+)?{_SPAN}",
        rf"\bfor\s+(?:a|an|my|the|our)\s+{_SPAN}(?=\s+[a-z]+)",
        rf"\bfor\s+(?:about\s+|around\s+)?{_SPAN}(?!\s+(?:long|songs?|tracks?|tunes?|pieces?))",
    )
)
""""an hour of music", "a 45 minute playlist", "for my 30 minute run", "for 20 minutes":
how long the whole playlist should play (filled with picks), never a track's length. A
match ends at its unit, so "run" in "for my 30 minute run" is still read as the context."""


def playlist_length(text: str) -> Bound | None:
    """How long the whole playlist should last, from ``text`` (lower-cased), or None."""
    for pattern in PLAYLIST_LENGTH:
        for m in pattern.finditer(text):
            seconds = _amount(m["n"]) * _UNIT_S[m["unit"][0].lower()]
            if seconds > 0:
                return Bound(m.span(), {"total_s": seconds}, m.group(0))
    return None


TEMPO_RANGE = (40.0, 260.0)
"""Tempos music has (and the analyser reads); a number outside is no tempo bound."""


_UNITS = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
    )
}  # fmt: skip
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2
    )
}
_TEN = "|".join(_TENS)
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
SPELLED = re.compile(
    rf"\b(?:(?P<h>a|one|two)\s+hundred(?:\s+(?:and\s+)?(?:(?P<ht>{_TEN})(?:[\s-](?P<hu>{_UNIT}))?"
    rf"|(?P<hs>{_UNIT})))?|(?P<t>{_TEN})(?:[\s-](?P<tu>{_UNIT}))?)\b",
    re.I,
)
""""ninety", "one hundred ten", "a hundred and twenty", "ninety-five": numbers people spell
out. Single words under twenty stay words ("the third one", "five songs" are read as
they are)."""


def spelled_numbers(text: str) -> str:
    """``text`` with spelled-out numbers of twenty and up as digits ("ninety bpm" -> "90 bpm")."""

    def digits(m: re.Match[str]) -> str:
        if m["h"]:
            n = 100 * (2 if m["h"].lower() == "two" else 1)
            n += _TENS.get((m["ht"] or "").lower(), 0) + _UNITS.get((m["hu"] or "").lower(), 0)
            n += _UNITS.get((m["hs"] or "").lower(), 0)
        else:
            n = _TENS[m["t"].lower()] + _UNITS.get((m["tu"] or "").lower(), 0)
        return str(n)

    return SPELLED.sub(digits, text)


_LEVEL = r"(?P<level>low|medium|mid|moderate|high|very high)"
ENERGY_COMPARE = re.compile(
    rf"\b(?:energy\s+(?:level\s+)?(?:of\s+)?)?(?:(?P<below>below|under|less than|lower than)|"
    rf"(?P<above>above|over|more than|higher than|beyond)|(?P<most>at most|up to|max(?:imum)?|"
    rf"no more than)|(?P<least>at least|min(?:imum)?|no less than))\s+{_LEVEL}"
    rf"(?P<unit>\s+energy|\s+intensity)?\b",
    re.I,
)
""""energy below high", "nothing above medium energy", "at least medium energy": a level
bound. The word "energy" must be on one side ("under high" alone says nothing)."""


def energy_bounds(low: str) -> list[Bound]:
    """Energy-level bounds in ``low`` (lower-cased), in their direction before any negation."""
    out = []
    for m in ENERGY_COMPARE.finditer(low):
        if not (m["unit"] or m.group(0).startswith("energy")):
            continue
        word = m["level"].lower().replace(" ", "_")
        at = ENERGY_ORDER.index({"mid": "medium", "moderate": "medium"}.get(word, word))
        if m["below"] and at > 0:
            value = {"max_energy": ENERGY_ORDER[at - 1]}
        elif m["above"] and at < len(ENERGY_ORDER) - 1:
            value = {"min_energy": ENERGY_ORDER[at + 1]}
        elif m["most"]:
            value = {"max_energy": ENERGY_ORDER[at]}
        elif m["least"]:
            value = {"min_energy": ENERGY_ORDER[at]}
        else:
            continue
        out.append(Bound(m.span(), value, m.group(0)))
    return out


BETWEEN_FEELS = re.compile(
    r"\bbetween\s+(?P<a>[a-z][a-z -]*?)\s+(?:and|&)\s+(?P<b>[a-z][a-z-]*)(?P<b2>\s+[a-z-]+)?",
    re.I,
)
""""somewhere between chill and upbeat", "between slow and fast": the span between."""


def feel_spans(low: str, vocab: Vocabulary) -> list[Bound]:
    """The span between two feels: "between chill and upbeat", "between slow and fast".

    Each feel asks for a stretch of a scale (chill: up to medium; upbeat: from high); the
    span between is from the lower stretch's top to the upper one's bottom.
    """
    out = []
    for m in BETWEEN_FEELS.finditer(low):
        a, b, end = _feel_of(m["a"], vocab), _feel_of(m["b"] + (m["b2"] or ""), vocab), m.end()
        if b is None and m["b2"]:  # "between calm and lively for work": one word
            b, end = _feel_of(m["b"], vocab), m.end("b")
        if not a or not b:
            continue
        values: dict[str, Any] = {}
        for lo_key, hi_key, ends in _SCALES.values():
            stretches = [
                (feel.get(lo_key, ends[0]), feel.get(hi_key, ends[-1]))
                for feel in (a, b)
                if lo_key in feel or hi_key in feel
            ]
            if len(stretches) != 2:
                continue
            rank = ENERGY_ORDER.index if isinstance(ends[0], str) else float
            first, second = sorted(stretches, key=lambda s: rank(s[0]))
            values[lo_key], values[hi_key] = sorted((first[1], second[0]), key=rank)
        if values:
            out.append(Bound((m.start(), end), values, low[m.start() : end]))
    return out


_SCALES: dict[str, tuple[str, str, list[Any]]] = {
    "energy": ("min_energy", "max_energy", list(ENERGY_ORDER)),
    "tempo": ("min_bpm", "max_bpm", list(TEMPO_RANGE)),
}


def _feel_of(words: str, vocab: Vocabulary) -> dict[str, Any] | None:
    """The asked values of a feel named by ``words`` exactly ("chill", "upbeat"), or None."""
    term = vocab.terms.get(words.strip().lower())
    return vocab.feel(term.value)["asked"] if term and term.kind == "feel" else None


ANY_TEMPO = re.compile(rf"\b(?P<n>\d+(?:[.,]\d+)?){TEMPO_WORDS}", re.I)


def impossible_tempos(low: str) -> list[Bound]:
    """Tempos no music has ("over 9000 bpm", "5 bpm"), to be said rather than dropped."""
    out = []
    for m in ANY_TEMPO.finditer(low):
        n = float(m["n"].replace(",", "."))
        if not TEMPO_RANGE[0] <= n <= TEMPO_RANGE[1]:
            out.append(Bound(m.span(), {}, m.group(0).strip()))
    return out


def tempo_bounds(low: str) -> list[Bound]:
    """Tempo ranges and bounds in ``low`` (lower-cased), in their direction before any negation."""
    found: list[Bound] = []
    spans: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in spans)

    def tempo(n: float) -> bool:
        return TEMPO_RANGE[0] <= n <= TEMPO_RANGE[1]

    for m in DECADE.finditer(low):
        n = float(m["n"])
        lo, hi = _DECADE_PART.get(m["part"].lower(), (6, 10))
        if tempo(n):
            found.append(Bound(m.span(), {"min_bpm": n + lo, "max_bpm": n + hi}, m.group(0)))
            spans.append((m.start(), m.end()))
    for m in MARK.finditer(low):
        n = float(m["n"])
        if tempo(n):
            found.append(Bound(m.span(), {"min_bpm": n - 8, "max_bpm": n + 8}, m.group(0)))
            spans.append((m.start(), m.end()))
    for m in GIVE_OR_TAKE.finditer(low):
        n, d = float(m["n"]), float(m["d"])
        if (m["u1"] or m["u2"]) and tempo(n) and 0 < d < n / 2:
            found.append(Bound(m.span(), {"min_bpm": n - d, "max_bpm": n + d}, m.group(0)))
            spans.append((m.start(), m.end()))
    for m in RANGE.finditer(low):
        if not free(m.start(), m.end()):
            continue
        a, b = float(m["a"]), float(m["b"])
        has_unit = bool(m["unit"]) or bool(re.match(TEMPO_WORDS, low[m.end() :]))
        text = m.group(0)
        if not (tempo(a) and tempo(b) and a < b) or NOT_TEMPO_UNIT.match(low[m.end() :]):
            continue
        if not has_unit and " and " in text and not text.startswith("between"):
            continue  # "90 and 110" alone is not a range; "between 90 and 110" is
        found.append(Bound(m.span(), {"min_bpm": a, "max_bpm": b}, text))
        spans.append((m.start(), m.end()))
    for m in OPEN_ENDED.finditer(low):
        n, after = float(m["n"]), low[m.end() :]
        if not free(m.start(), m.end()) or not tempo(n) or NOT_TEMPO_UNIT.match(after):
            continue
        if not (m["unit"] or re.match(TEMPO_WORDS, after)):
            continue  # "20 or more" may count tracks
        end = {"max_bpm": n} if m["down"] else {"min_bpm": n}
        found.append(Bound(m.span(), end, m.group(0)))
        spans.append((m.start(), m.end()))
    for m in COMPARE.finditer(low):
        n = float(m["n"])
        if not free(m.start(), m.end()) or not tempo(n) or NOT_TEMPO_UNIT.match(low[m.end() :]):
            continue
        if m["near"] and not m["unit"]:
            continue  # "at 90" without "bpm" is too vague to be a tempo
        beats = None if m["unit"] else BARE_BEATS.match(low, m.end())
        stop = beats.end() if beats else m.end()
        if m["max"]:
            value: dict[str, float] = {"max_bpm": n}
        elif m["min"]:
            value = {"min_bpm": n}
        else:
            value = {"min_bpm": n - 8, "max_bpm": n + 8}
        found.append(Bound((m.start(), stop), value, low[m.start() : stop]))
        spans.append((m.start(), stop))
    for m in PLAIN.finditer(low):
        n = float(m["n"])
        if free(m.start(), m.end()) and tempo(n):
            value = {"min_bpm": n - 8, "max_bpm": n + 8}
            found.append(Bound(m.span(), value, m.group(0)))
            spans.append((m.start(), m.end()))
    return sorted(found, key=lambda b: b.span)


def length_bounds(text: str) -> list[Bound]:
    """Track-length bounds in ``text`` (lower-cased), in order.

    "under 3 minutes", "< 2:30", "3-5 minute songs", "a 3 minute song".
    """
    out: list[Bound] = []

    def free(m: re.Match[str]) -> bool:
        return not any(x < m.end() and m.start() < y for x, y in (o.span for o in out))

    for m in LENGTH.finditer(text):
        if m["clock"]:
            mins, secs = m["clock"].split(":")
            seconds = 60.0 * int(mins) + int(secs)
        else:
            seconds = _amount(m["n"]) * _UNIT_S[m["unit"][0].lower()]
        if seconds > 0:
            key = "max_duration_s" if m["max"] else "min_duration_s"
            out.append(Bound(m.span(), {key: seconds}, m.group(0)))
    for m in LENGTH_RANGE.finditer(text):
        unit = _UNIT_S[m["unit"][0].lower()]
        a, b = _amount(m["a"]) * unit, _amount(m["b"]) * unit
        if free(m) and 0 < a < b:
            out.append(Bound(m.span(), {"min_duration_s": a, "max_duration_s": b}, m.group(0)))
    for m in LENGTH_NEAR.finditer(text):
        seconds = (_amount(m["n"]) + (0.5 if m["half"] else 0)) * _UNIT_S[m["unit"][0].lower()]
        if free(m) and (m["lead"] or m["tail"]) and seconds > 0:
            give = max(15.0, seconds * NEAR_SHARE)
            value = {"min_duration_s": max(0.0, seconds - give), "max_duration_s": seconds + give}
            out.append(Bound(m.span(), value, m.group(0)))
    return sorted(out, key=lambda o: o.span)


def _amount(token: str) -> float:
    token = token.lower().strip()
    if token.startswith("half"):
        return 0.5
    if token in ("a", "an"):
        return 1.0
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def flip(bound: dict[str, Any]) -> dict[str, Any]:
    """A negated bound, flipped: "nothing under 125" is "at least 125".

    "no longer than 5 min" is at most 5 min; "not between 90 and 110 bpm" leaves that band
    out. A negated length range is no bound at all (said by the reader, not guessed).
    """
    if set(bound) == {"min_bpm", "max_bpm"}:  # "not between 90 and 110": a band left out
        return {"avoid_bpm_from": bound["min_bpm"], "avoid_bpm_to": bound["max_bpm"]}
    if len(bound) != 1:
        return {}
    ((key, value),) = bound.items()
    if isinstance(value, str):  # an energy class: "not above medium" is at most medium
        at = ENERGY_ORDER.index(value)
        if key == "min_energy":
            return {"max_energy": ENERGY_ORDER[at - 1]} if at > 0 else {}
        return {"min_energy": ENERGY_ORDER[at + 1]} if at < len(ENERGY_ORDER) - 1 else {}
    return {
        key.replace("max_", "min_")
        if key.startswith("max_")
        else key.replace("min_", "max_"): value
    }


def length_words(low: float | None, high: float | None) -> str | None:
    """A length bound as people say it: "2 min 30 s to 3 min 30 s long", "at most 3 min long"."""
    if low is not None and high is not None:
        return f"{duration_words(low)} to {duration_words(high)} long"
    if low is not None:
        return f"at least {duration_words(low)} long"
    return f"at most {duration_words(high)} long" if high is not None else None


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
