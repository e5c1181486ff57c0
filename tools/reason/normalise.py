"""Turn a message as typed into the text the reader reads.

People type in other languages, with emoji, chat shorthand ("w/o vocals"), spelled-out
numbers ("ninety bpm") and typos ("vocls"). Each is turned into plain lower-case English
here, and what was changed is said back (the ``preface``), so the reader
(``tools.reason.reading``) deals with one kind of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linernotes.tools.reason.bounds import spelled_numbers
from linernotes.tools.reason.vocabulary import COMMON, Vocabulary


@dataclass
class Normalised:
    """A message made plain: the text read, its capitals where kept, language, what changed."""

    text: str  # lower case, English, typos fixed
    cased: str | None  # the same with the typed capitals (None once glossed or re-cased)
    language: str | None = None
    preface: list[str] = field(default_factory=list)  # glosses and typo fixes, said first


def normalise(text: str, vocab: Vocabulary) -> Normalised:
    """``text`` as the reader reads it (see the module docstring)."""
    text = _ish(_emoji(text.replace("’", "'"), vocab), vocab)
    text, negated = _after_negation(_rewrite(text, (*_SHORTHAND, *_SYMBOLS)))
    cased: str | None = " ".join(spelled_numbers(text).split())
    low = cased.lower() if cased is not None else ""
    if len(low) != len(cased or ""):
        cased = None  # lower() changed lengths (rare scripts): no case check then
    out = Normalised(text=low, cased=cased, preface=negated)
    lang = detect_language(low, vocab)
    if lang:
        low, picked = _gloss(low, lang, vocab)
        out.language, out.preface, out.cased = lang, picked, None
    out.text, fixes = _fix_typos(low, vocab, out.cased)
    out.preface += fixes
    return out


LANGUAGE_NAMES = {  # the languages of ``languages`` in tools/data/request_vocab.yaml
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
}


def detect_language(text: str, vocab: Vocabulary) -> str | None:
    """'de'/'es'/'fr' when the message is mostly that language's function words."""
    words = re.findall(r"[\wäöüßéèêàçñáíóú']+", text.lower())
    if len(words) < 2:
        return None
    english = sum(w in COMMON for w in words)
    best, hits = None, 0
    for lang, spec in vocab.data.get("languages", {}).items():
        n = len(set(words) & set(spec.get("markers", [])))  # distinct: "la la land" is one
        if n > hits:
            best, hits = lang, n
    if best and hits >= 2 and hits > english:
        return best
    return None


def _gloss(text: str, lang: str, vocab: Vocabulary) -> tuple[str, list[str]]:
    """Replace the language's known use words by English; return text and what was read."""
    glosses = vocab.data["languages"][lang].get("glosses", {})
    picked: list[str] = []
    for phrase in sorted(glosses, key=len, reverse=True):
        pat = re.compile(rf"(?<![\w]){re.escape(phrase)}(?![\w])", re.I)
        if pat.search(text):
            text = pat.sub(f" {glosses[phrase]} ", text)
            picked.append(f"“{phrase}” → {glosses[phrase]}")
    return " ".join(text.split()), picked


def _fix_typos(text: str, vocab: Vocabulary, cased: str | None) -> tuple[str, list[str]]:
    """Words one typo away from a vocabulary word, corrected.

    ``cased`` is the same text with its original capitals: a capitalised word may be a
    name ("Neon Rain") and stays as it is.
    """
    fixes: list[str] = []

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if cased is not None and cased[m.start()].isupper():
            return word
        if "'" in word:  # a contraction ("doesn't") is not "does" misspelt
            return word
        right = vocab.correct(word.lower())
        if right is None:
            return word
        fixes.append(f"“{word}” read as “{right}”")
        return right

    return re.sub(r"[A-Za-z]+(?:'[A-Za-z]+)?", fix, text), fixes


_SHORTHAND = (
    (re.compile(r"(?<![\w/])w/o(?![\w/])|(?<![\w/])w/out\b", re.I), "without"),
    (re.compile(r"(?<![\w/])w/(?=\s|[a-z])", re.I), "with "),
)
"""Chat shorthand that carries meaning: "w/o vocals" is without them ("w/" was read as
nothing and "vocals" as asked for, the negation reversed)."""


def _ish(text: str, vocab: Vocabulary) -> str:
    """The word itself for "slow-ish", "calmish", where the vocabulary knows it."""

    def plain(m: re.Match[str]) -> str:
        word = m.group(1)
        return word if word.lower() in vocab.terms else m.group(0)

    return re.sub(r"\b([a-z]{3,}?)-?ish\b", plain, text, flags=re.I)


def _emoji(text: str, vocab: Vocabulary) -> str:
    """Emoji read as the words they stand for ("😴 music" is music for sleep)."""
    for mark, words in vocab.data.get("emoji", {}).items():
        if mark in text:
            text = text.replace(mark, words)
    return text


_SYMBOLS = (
    (re.compile(r"<3(?!\d)"), " love "),  # "i <3 jazz"
    (re.compile(r"(?:>=|=>|≥)\s*"), " at least "),
    (re.compile(r"(?:<=|=<|≤)\s*"), " at most "),
    (re.compile(r"(?<![<>=-])>(?![>=])\s*(?=~?\d)"), " more than "),
    (re.compile(r"(?<![<>=-])<(?![<=])\s*(?=~?\d)"), " less than "),
    (re.compile(r"\s*(?:±|\+/-|\+-)\s*"), " give or take "),
    (re.compile(r"\s+&\s+"), " and "),
    (re.compile(r"\b(\d{2,3})\s*-?\s*ish\b", re.I), r"about \1"),  # "90-ish bpm"
    (
        re.compile(
            r"\benergy(?:\s+level)?\s*[:=]\s*(very low|low|medium|mid|moderate|high|very high)"
            r"\b",
            re.I,
        ),
        r"\1 energy",
    ),  # "energy: low", as in a form
    (re.compile(r"\b(?:no|not) more than\b", re.I), "at most"),  # "no" negated what followed
    (re.compile(r"\b(?:no|not) (?:less|fewer) than\b", re.I), "at least"),
    (re.compile(r"(?<=\d)\+(?=\s*(?:hours?|hrs?|minutes?|mins?)\b)"), ""),  # "2+ hours"
)
"""Comparison signs as words: "bpm > 120", "≥ 120 bpm", "120 ± 5 bpm", "120 & 140" were
read as no bound, "about 120", "5 bpm" and "140" alone; "no more than 3 punk songs" is "at
most 3" (its "no" excluded punk)."""


def _rewrite(text: str, table: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    """``text`` with each pattern of ``table`` replaced, in order (shorthand, then signs)."""
    for pattern, words in table:
        text = pattern.sub(words, text)
    return text


_REFUSED = (
    r"(?:is|are)\s+(?:excluded|off the table|out of the question|a no(?:[- ]go)?|not allowed|"
    r"banned|forbidden|not welcome|not wanted|unwanted|a deal ?breaker|out(?!\s+(?:of|there)))"
    r"|excluded|not allowed|banned|not welcome|not wanted|unwanted|off the table"
)
_CLAUSE = r"(?:(?!\b(?:but|though|although|however|also|plus{and_or})\b)[^,.;:!?])*?"
AFTER_NEGATION = re.compile(
    r"(?P<lead>(?:^|[,.;:!?])\s*(?:(?:but|and|though|although|however|also|plus)\s+)?|"
    r"\b(?:but|and|though|although|however|also|plus)\s+)(?:"
    rf"(?P<what>[a-z0-9]{_CLAUSE.format(and_or='|and|or')})\s*(?P<refused>{_REFUSED})\b"
    rf"|(?P<list>[a-z0-9]{_CLAUSE.format(and_or='')})\s*(?:are\s+(?:all\s+)?)"
    r"(?:excluded|off the table|banned|not allowed|not welcome|not wanted|a no(?:[- ]go)?)\b"
    rf"|(?P<asked>[a-z0-9]{_CLAUSE.format(and_or='')})\s*[?!.,:-]+\s*"
    r"(?:no thanks|no thank you|nope|nah|no way|pass|(?:no|none|off)(?=\s*(?:[,.;!?]|$)))\b)",
    re.I,
)
"""Negation said after what it refuses: "jazz excluded", "rock is off the table", "jazz?
no thanks". The reader's negators open a scope on what follows them, so these were read
as asking for jazz and rock; the clause is rewritten as "no <what>" and said back."""


NOT_REFUSABLE = re.compile(
    r"(?:no|not|nothing|without|that|this|it|these|those|they|the (?:last|first|second|third)|"
    r"number|track|song|pick|ok|okay|yes|yeah|hmm+|well|so|um+|uh+|sorry|thanks?|oh|ah)\b",
    re.I,
)
"""Clauses that already say no, or point at a pick (an edit: "that one is out")."""


def _after_negation(text: str) -> tuple[str, list[str]]:
    said: list[str] = []

    def turn(m: re.Match[str]) -> str:
        what = (m["list"] or m["what"] or m["asked"]).strip()
        if NOT_REFUSABLE.match(what):
            return m.group(0)  # "no jazz is allowed", "that one is out": not a style refused
        said.append(f"“{m.group(0)[len(m['lead']) :].strip()}” read as “no {what}”")
        return f"{m['lead']}no {what}"

    return AFTER_NEGATION.sub(turn, text), said
