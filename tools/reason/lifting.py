"""What a lifted or replaced limit takes back from earlier turns, besides the limit.

"fast songs" then "forget the tempo" must stop leaning fast: lifting the tempo fields
(``Request.released``) frees the bound, but the earlier turn also left its word in the
search text ("fast") and its line in what the answer says it read ("“fast” → at least
120 BPM"). Both are read again here: a word or line whose own reading sets nothing but
lifted fields spoke only for the dimension the listener let go, and goes with it. The
same holds for a limit a later turn replaces ("between 90 and 110 bpm" after "around
100 bpm": the earlier line would contradict the answer's own header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from linernotes.tools.reason.reading import read_request

_TYPED = re.compile(r"^“([^”]+)”")
"""The typed words an ``understood`` line starts with (“fast” → at least 120 BPM)."""


@lru_cache(maxsize=512)
def _fields(typed: str) -> frozenset[str]:
    """The ``Constraints`` fields these words set when read alone."""
    return frozenset(read_request(typed).constraints)


def only_about(typed: str, released: Iterable[str]) -> bool:
    """True when ``typed`` sets some constraint, and only constraints in ``released``."""
    fields = _fields(typed.strip().lower())
    return bool(fields) and fields <= set(released)


_GLUE = frozenset({"in", "a", "an", "the", "key", "keys", "scale", "mode", "at", "around", "of"})
"""Words that only frame a limit ("in a minor key"): they leave with it."""


def query_without(query: str | None, released: Iterable[str]) -> str | None:
    """``query`` less the words that spoke only for lifted fields (None when none is left).

    A phrase goes whole ("calm in a minor key" less the mode is "calm", not "calm in a
    key"): the longest run of words that reads as lifted fields alone and holds nothing
    but such words and ``_GLUE``.
    """
    if not query or not released:
        return query
    free = set(released)
    words = query.split()
    drop = [only_about(w, free) for w in words]
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            lone = [w for w, d in zip(run, drop[i : i + n], strict=True) if not d]
            if all(w.lower() in _GLUE for w in lone) and only_about(" ".join(run), free):
                drop[i : i + n] = [True] * n
    kept = [w for w, d in zip(words, drop, strict=True) if not d]
    return " ".join(kept) or None


def understood_without(lines: Iterable[str], released: Iterable[str]) -> list[str]:
    """``understood`` lines less those whose typed words spoke only for lifted fields."""
    free = set(released)
    out = []
    for line in lines:
        m = _TYPED.match(line)
        if free and m and " → " in line and only_about(m[1], free):
            continue
        out.append(line)
    return out
