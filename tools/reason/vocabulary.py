"""The request vocabulary (``tools/data/request_vocab.yaml``) and what a catalog holds.

The parser (``tools/reason/reading.py``) never hard-codes a music word: every genre,
instrument, feel, negator and off-topic word is one line of YAML, loaded here into
``Term`` records and one longest-first regex. ``Grounding`` says which of those words
this catalog can honour (its genre tags, the instruments its records name or its
genres imply), so the answer can say "no track here has a saxophone" instead of
quietly ignoring the word.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from linernotes.tools.errors import ConfigError, LinernotesError

VOCAB_FILE = "request_vocab.yaml"


def edits(a: str, b: str) -> int:
    """Optimal string alignment distance.

    Insertions, deletions, substitutions and adjacent transpositions count one each
    ("reggea" -> "reggae" is one edit).
    """
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@functools.cache
def _data() -> dict[str, Any]:
    try:
        text = (resources.files("linernotes.tools") / "data" / VOCAB_FILE).read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the request vocabulary {VOCAB_FILE}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{VOCAB_FILE} must be a mapping, got {type(data).__name__}")
    return data


COMMON: frozenset[str] = frozenset(str(w) for w in _data().get("everyday", []))
"""Everyday words that are never typo-corrected or reported as "not understood"."""


@functools.cache
def english_words() -> frozenset[str]:
    """Whole English words of the MiniLM tokenizer's vocabulary (a core dependency).

    A real word is never "corrected" into a music word: "something I haven't heard"
    must not become "hard". Typos ("vocls", "tecno", "somthing") are not in it. Empty
    (every word correctable, as before) when the package is missing.
    """
    try:
        from linernotes.tools.embed.minilm_onnx import model_dir

        lines = (model_dir() / "vocab.txt").read_text(encoding="utf-8").split()
    except (LinernotesError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 4)


@dataclass(frozen=True)
class Term:
    """One phrase of the vocabulary and what it means."""

    phrase: str
    kind: str  # genre | instrument | feel | voice | instrumental | negator | music | off_topic
    value: str  # the genre, family or feel it names ("" for negators and music words)


@dataclass
class Vocabulary:
    """Every phrase of the YAML, one regex over them (longest first), and the raw data."""

    data: dict[str, Any]
    terms: dict[str, Term] = field(default_factory=dict)
    pattern: re.Pattern[str] = re.compile(r"(?!x)x")
    words: frozenset[str] = frozenset()
    styles: frozenset[str] = frozenset()  # genre and instrument phrases (3-letter typos)

    def __post_init__(self) -> None:
        d = self.data

        def add(phrase: str, kind: str, value: str) -> None:
            self.terms.setdefault(str(phrase).lower(), Term(str(phrase).lower(), kind, value))

        # Order matters only for duplicates: the first meaning listed wins.
        for phrase in d.get("negators", []):
            add(phrase, "negator", "")
        for kind in ("voice", "instrumental"):
            for phrase in d.get("vocals", {}).get(kind, []):
                add(phrase, kind, kind)
        for name, words in d.get("genres", {}).items():
            for phrase in [name, *words]:
                add(phrase, "genre", name)
        for name, spec in d.get("instruments", {}).items():
            for phrase in spec.get("words", []):
                add(phrase, "instrument", name)
        for name, spec in d.get("feels", {}).items():
            for phrase in spec.get("words", []):
                add(phrase, "feel", name)
        for phrase in d.get("off_topic", []):
            add(phrase, "off_topic", "")
        for phrase in d.get("music_words", []):
            add(phrase, "music", "")
        phrases = sorted(self.terms, key=len, reverse=True)
        self.pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])"
        )
        self.words = frozenset(w for p in self.terms for w in re.findall(r"[a-z]+", p))
        self.styles = frozenset(
            p for p, t in self.terms.items() if t.kind in ("genre", "instrument")
        )

    def with_genres(self, genres: set[str]) -> Vocabulary:
        """This vocabulary plus a catalog's own genre tags as genre phrases."""
        new = [g for g in genres if g and g not in self.terms]
        if not new:
            return self
        data = {**self.data, "genres": {**self.data.get("genres", {})}}
        for g in new:
            data["genres"].setdefault(g, [])
        return Vocabulary(data)

    def correct(self, word: str) -> str | None:
        """The vocabulary word a typo most likely meant ("vocls" -> "vocals"), or None."""
        if len(word) < 3 or word in self.words or word in COMMON or word in english_words():
            return None
        from linernotes.tools.reason.contexts import keyword_words  # no cycle at import time

        if word in keyword_words():  # "commute" is a context's own word, not a typo
            return None
        # Typos keep the first letter far more often than not; requiring it keeps
        # "hello" from becoming "cello". One edit (a transposition counts as one) for
        # short words, two from `typo_long` letters on: "rain" never becomes "racing".
        budget = 2 if len(word) >= int(self.data.get("typo_long", 8)) else 1

        pool = self.styles if len(word) == 3 else self.words | COMMON | keyword_words()  # "son"
        cands = [
            w for w in pool
            if len(w) >= 4 and w[0] == word[0] and abs(len(w) - len(word)) <= budget
        ]  # fmt: skip
        if len(word) < 5:  # a short word may be a real one: only a dropped letter ("metl",
            # "jaz": three letters only into a genre or instrument) or two letters swapped
            # ("slwo", "wnat": "dont wnat drums" asked for drums)
            cands = [
                w for w in cands
                if len(w) == len(word) + 1 or (len(word) >= 4 and sorted(w) == sorted(word))
            ]  # fmt: skip
        # Everyday words compete too, and win ties: "somthing" is "something", which
        # means nothing, not "soothing", which would cap the energy of "for running".
        scored = sorted((edits(word, w), w not in COMMON, w) for w in cands)
        return scored[0][2] if scored and scored[0][0] <= budget else None

    def feel(self, name: str) -> dict[str, dict[str, Any]]:
        """The ``asked``/``negated`` constraint values of a feel."""
        spec = self.data.get("feels", {}).get(name, {})
        return {"asked": dict(spec.get("asked", {})), "negated": dict(spec.get("negated", {}))}


@functools.cache
def load_vocabulary() -> Vocabulary:
    """The packaged vocabulary (read once per process).

    Raises:
        ConfigError: the packaged YAML is missing or malformed.
    """
    return Vocabulary(_data())


@dataclass(frozen=True)
class Grounding:
    """What one catalog holds, in the vocabulary's terms."""

    genres: frozenset[str]  # lower-case genre tags of its tracks
    families: frozenset[str]  # instrument families at least one track is known to have

    def genres_for(self, value: str, typed: str, vocab: Vocabulary) -> list[str]:
        """Catalog genres a genre word asks for: itself, its family, or tags containing it."""
        if value in self.genres:
            return [value]
        family = [
            g for g in vocab.data.get("genre_families", {}).get(value, []) if g in self.genres
        ]
        if family:
            return family
        words = set(re.findall(r"[a-z]+", typed))
        return sorted(g for g in self.genres if words and words <= set(re.findall(r"[a-z]+", g)))


def track_families(instruments: Any, genre: str | None, vocab: Vocabulary) -> set[str]:
    """Instrument families a track is known to have.

    Named in its record, or implied by its genre (``instruments.<family>.genres``).
    """
    out: set[str] = set()
    named = " ".join(str(i).lower() for i in instruments or ())
    g = (genre or "").lower()
    for family, spec in vocab.data.get("instruments", {}).items():
        words = [family, *spec.get("words", [])]
        by_genre = bool(g) and g in [x.lower() for x in spec.get("genres", [])]
        if by_genre or any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", named) for w in words):
            out.add(family)
    return out


_GROUNDING: dict[tuple[int, int], Grounding] = {}


def grounding_for(catalog: Any, vocab: Vocabulary | None = None) -> Grounding:
    """The catalog's genres and instrument families (computed once per catalog state).

    Read from the lexical index's facets (distinct genre/instrument combinations), so a
    large catalog is not loaded whole to answer one request.
    """
    from linernotes.tools.catalog.lexical import lexical_for

    key = (id(catalog), len(catalog))
    if key not in _GROUNDING:
        vocab = vocab or load_vocabulary()
        genres: set[str] = set()
        families: set[str] = set()
        for tag, said, instruments in lexical_for(catalog).facets():
            genres |= {g for g in (tag, said) if g}
            families |= track_families(instruments, said or tag or None, vocab)
        _GROUNDING[key] = Grounding(frozenset(genres), frozenset(families))
    return _GROUNDING[key]
