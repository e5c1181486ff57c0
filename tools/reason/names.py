"""Titles, artists and albums named in a request: found exactly, or said to be absent.

"play Bohemian Rhapsody by Queen", "Kid A", "heavy riffs like Metallica", "something by
<artist>": a name is looked up in the catalog's lexical index exactly or by prefix
(``tools/catalog/lexical.py``). A name the catalog lacks is *absent*: the answer says so
and may offer near misses as "did you mean", but never uses one silently (difflib once
turned "Kid A" into "Kind Lagoon").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linernotes.tools.reason.vocabulary import COMMON, Vocabulary

CAP = r"[A-Z0-9][\w'&.!-]*"
NAME = rf"{CAP}(?:\s+(?:{CAP}|(?:of|the|and|a|in|on|to|for|&|de|la|le)(?=\s+{CAP})))*"
PLAY_BY = re.compile(
    r"\b(?:play|put on|queue(?: up)?|listen to|hear|i want|have you got|do you have|got)\s+"
    r"(?P<t>.+?)\s+by\s+(?P<a>.+?)\s*[.!?]*\s*$",
    re.I,
)
TITLE_BY = re.compile(r"^\s*(?P<t>[^,;:]+?)\s+by\s+(?P<a>[^,;:]+?)\s*[.!?]*\s*$", re.I)
"""A whole message "<title> by <artist>", typed in any case ("kid a by radiohead")."""
BY = re.compile(rf"\b(?:by|from)\s+(?:the\s+band\s+|the\s+artist\s+)?(?P<a>{NAME})")
LIKE = re.compile(rf"\b(?:like|than|similar to|style of|sounds? like)\s+(?P<n>{NAME})")
PLAY = re.compile(rf"^\s*(?:please\s+)?(?:play|put on|queue(?: up)?)\s+(?P<n>{NAME})\s*[.!?]*\s*$")
WHOLE = re.compile(rf"^\s*(?P<n>{NAME})\s*[.!?]*\s*$")
NUMBER = re.compile(r"\d+(?:ish|bpm)?")
"""A number, or a tempo typed as one word ("90bpm", "120ish"): never a name."""


@dataclass
class Names:
    """What names a message holds and which of them the catalog has."""

    anchor: str | None = None  # a title found: its track id
    artists: list[str] = field(default_factory=list)  # artists/albums found (their names)
    absent: list[str] = field(default_factory=list)
    did_you_mean: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # absent names, artists
    described: list[str] = field(default_factory=list)  # lower-case phrases searched as words


def _is_words(name: str, vocab: Vocabulary) -> bool:
    """True when every word of ``name`` is an everyday or music word (not a name)."""
    low = name.lower()
    if vocab.pattern.fullmatch(low):
        return True
    words = re.findall(r"[a-z0-9']+", low)
    return all(w in COMMON or w in vocab.words or NUMBER.fullmatch(w) for w in words)


def _title_by(text: str, vocab: Vocabulary) -> re.Match[str] | None:
    """A whole-message "<title> by <artist>" when neither side is everyday words.

    Lower case carries no capitals to tell a name by, so the words decide: "kid a by
    radiohead" names two things; "music by the pool" and "songs by the fire" stay words.
    """
    m = TITLE_BY.match(text)
    if m and not _is_words(m["t"], vocab) and not _is_words(m["a"], vocab):
        return m
    return None


def find_names(text: str, index: Any, vocab: Vocabulary) -> Names:
    """Names in ``text`` (original casing) resolved against a ``LexicalIndex``."""
    out = Names()
    found: list[tuple[str, str, int, int]] = []  # (name, role, start, end)
    m = PLAY_BY.search(text) or _title_by(text, vocab)
    if m:
        found.append((m["t"].strip(" \"'“”"), "title", m.start("t"), m.end("t")))
        found.append((m["a"].strip(" \"'“”"), "artist", m.start("a"), m.end("a")))
    else:
        for pat, role in ((BY, "artist"), (LIKE, "any"), (PLAY, "any"), (WHOLE, "any")):
            for m in pat.finditer(text):
                g = "a" if role == "artist" else "n"
                found.append((m[g].strip(" .!?"), role, m.start(g), m.end(g)))
    seen: set[str] = set()
    for name, role, start, end in found:
        if not name or name.lower() in seen or _is_words(name, vocab):
            continue
        seen.add(name.lower())
        field_ = "artist" if role == "artist" else None
        hits = index.lookup(name, field_) if index is not None else []
        if hits:
            exact = [h for h in hits if h.exact] or hits
            titles = [h for h in exact if h.field == "title"]
            if titles and out.anchor is None:
                out.anchor = titles[0].track_id  # the text keeps it: anchors read it too
            elif not titles:
                out.artists.append(exact[0].value)
                out.spans.append((start, end))
            continue
        out.absent.append(name)
        out.spans.append((start, end))
        if index is not None:
            for near in index.did_you_mean(name, n=2, field=field_):
                if near not in out.did_you_mean:
                    out.did_you_mean.append(near)
    return out
