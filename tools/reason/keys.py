"""Keys, time signatures, eras and a singer's sex named in a request.

A tonic ("in D minor", "key of C", "in F# major", "in E flat", "in Bbm", "A minor songs")
becomes a filter: the catalog measures every track's key, and names it with sharps. "in a
minor key" and "a minor song" (lower case) are an article, and a bare lower-case letter
("in a ...", "in e") names nothing without a mode or "key of". A time signature is not
measured, so it is found only to be said back as not possible, rather than read as a count
("4") or dropped silently; so is a female or male voice (the analysis hears whether there
is a voice, not whose), and so is an era ("80s synthpop", "oldies": the catalog knows how a
track sounds, not when it was made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_NAME = re.compile(
    r"(?:\bin\s+(?:the\s+key\s+of\s+)?|\bkey\s+of\s+|"
    r"\b(?=[a-g](?:#|♯|b|♭|[\s-]sharp|[\s-]flat)?\s*(?:major|minor)\b))(?P<t>[a-g])"
    r"(?P<acc>#|♯|b|♭|[\s-]sharp|[\s-]flat)?"
    r"(?:\s*(?P<mode>major|minor|maj|min|m)(?![a-z]))?(?![a-z#♯♭])",
    re.I,
)
FLAT_TO_SHARP = {"C": "B", "D": "C#", "E": "D#", "F": "E", "G": "F#", "A": "G#", "B": "A#"}
SHARP_OF = {"C": "C#", "D": "D#", "E": "F", "F": "F#", "G": "G#", "A": "A#", "B": "C"}
MODES = {"major": "major", "maj": "major", "minor": "minor", "min": "minor", "m": "minor"}
METER = re.compile(
    r"\b(?:(?:[2-9]|1[0-5])/(?:2|4|8|16)\b(?:\s+(?:time|meter|metre|signature))?"
    r"|(?:waltz|odd|compound)\s+(?:time|meter|metre)s?(?:\s+signatures?)?|time\s+signatures?)",
    re.I,
)


VOICE_SEX = re.compile(
    r"\b(?P<who>female|male|wom[ae]n'?s?|m[ae]n'?s|girls?'?|boys?'?|feminine|masculine)\s+"
    r"(?:vocals?|voices?|singers?|vocalists?|singing|lead)\b"
    r"|\bsung by (?:a |an )?(?P<by>wom[ae]n|m[ae]n|girls?|boys?|female|male)\b",
    re.I,
)


@dataclass(frozen=True)
class NamedKey:
    """One key a request names: where, as typed, the tonic (C, C# ... B), the mode if said."""

    span: tuple[int, int]
    typed: str
    tonic: str
    mode: str | None


def named_keys(masked: str, low: str, cased: str | None) -> list[NamedKey]:
    """The keys named in ``masked`` (``low`` with read parts blanked; ``cased`` as typed)."""
    out = []
    for m in KEY_NAME.finditer(masked):
        key = _key_of(m, cased, low)
        if key is not None:
            out.append(NamedKey(m.span(), m.group(0), *key))
    return out


ERA = re.compile(
    r"\b(?:(?:(?:early|mid|late)[\s-]+)?(?:19|20)?[0-9]0'?s|sixties|seventies|eighties|"
    r"nineties|noughties|oldies|old[- ]school|old (?:stuff|songs|music|tracks|tunes)|"
    r"from (?:the )?(?:19|20)\d\d|released (?:in|after|before) (?:19|20)\d\d|"
    r"new releases|latest releases|this year'?s|newest|latest (?:songs|tracks|music|hits)|"
    r"recent releases|just released|brand new (?:songs|tracks|music))\b",
    re.I,
)
POPULAR = re.compile(
    r"\b(?:(?:most\s+)?(?:popular|famous|well[- ]known)|trending|viral|(?:greatest|biggest)\s+"
    r"hits|hits|charts?|chart[- ]topp(?:ing|ers?)|top 40|best[- ]selling|mainstream|"
    r"most (?:played|streamed|listened))\b",
    re.I,
)
""""the most popular songs", "top 10 hits": how well known a track is is not measured."""


def named_eras(masked: str) -> list[tuple[tuple[int, int], str]]:
    """(span, words) of every era named ("80s", "from 1995", "oldies")."""
    return [(m.span(), m.group(0)) for m in ERA.finditer(masked)]


def named_popularity(masked: str) -> list[tuple[tuple[int, int], str]]:
    """(span, words) of every popularity wish named ("popular", "hits", "trending")."""
    return [(m.span(), m.group(0)) for m in POPULAR.finditer(masked)]


def named_meters(masked: str) -> list[tuple[tuple[int, int], str]]:
    """(span, words) of every time signature named."""
    return [(m.span(), m.group(0)) for m in METER.finditer(masked)]


def voice_sex(low: str) -> tuple[str, tuple[int, int]] | None:
    """The words naming whose voice is wanted ("female vocals") and the span of "female"."""
    m = VOICE_SEX.search(low)
    if m is None:
        return None
    return m.group(0), m.span("who") if m["who"] else m.span("by")


def _key_of(m: re.Match[str], cased: str | None, low: str) -> tuple[str, str | None] | None:
    """(tonic as a sharp pitch class, mode or None) of one match, None if it names no key."""
    tonic, acc, mode = m["t"].upper(), (m["acc"] or "").strip(" -").lower(), m["mode"]
    named = m.group(0).lower().startswith(("key of", "in the key of"))
    upper = cased is not None and cased[m.start("t")] == m["t"].upper()
    article = m["t"].lower() == "a" and not acc and not upper
    if article and mode and re.match(r"\s+key\b", low[m.end() :]):
        return None  # "in a minor key": an article
    bare = not m.group(0).lower().startswith(("in", "key"))
    if bare and article:
        return None  # "a minor song" as typed in lower case: an article; "A minor songs": A
    if not (mode or named or acc or upper):
        return None
    if acc in ("#", "♯", "sharp"):
        tonic = SHARP_OF[tonic]
    elif acc in ("b", "♭", "flat"):
        tonic = FLAT_TO_SHARP[tonic]
    return tonic, MODES[mode.lower()] if mode else None
