"""Read the checkable claims a free-text caption makes: tempo, energy, vocals, mode, drums.

Both the fact-checker (does the caption contradict the measurements?) and the rule-based
extraction fallback (caption -> TrackSummary when no LLM is available) need the same
reading of a caption, so the keyword patterns live here once. Quoted spans (file tags,
titles) and the offline captioner's own hedges are removed first: they are not claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linernotes.tools.schemas import EnergyLevel, TempoClass

_I = re.IGNORECASE
TEMPO_WORDS: list[tuple[TempoClass, re.Pattern[str]]] = [
    ("very_fast", re.compile(r"\bvery[ _-]fast\b|\bfrantic\b|\bbreakneck\b", _I)),
    ("fast", re.compile(r"\bfast(?:-paced)?\b|\bup-?tempo\b|\bbrisk\b|\brapid\b", _I)),
    ("moderate", re.compile(r"\bmid-?tempo\b|\bmoderate(?:ly paced)? tempo\b|\bmedium tempo", _I)),
    ("slow", re.compile(r"\bslow(?:-paced)?\b|\bdown-?tempo\b|\bleisurely\b|\bunhurried\b", _I)),
]
ENERGY_CLASS = re.compile(
    r"\b(very high|high|medium|moderate|low)[- _]energy\b"
    r"|\benergy is (very high|high|medium|low)\b",
    _I,
)
CALM_WORDS = re.compile(
    r"\bcalm\b|\bquiet\b|\bgentle\b|\bmellow\b|\bserene\b|\bsoothing\b|\bsubdued\b"
    r"|\bpeaceful\b|\brelaxed\b|\btranquil\b|\bhushed\b",
    _I,
)
INTENSE_WORDS = re.compile(
    r"\benergetic\b|\bintense\b|\baggressive\b|\bloud\b|\bexplosive\b|\bpowerful\b"
    r"|\bfrenetic\b|\beuphoric\b|\bpounding\b|\bhigh-octane\b",
    _I,
)
NO_VOCALS = re.compile(
    r"\binstrumental\b|\bno vocals?\b|\bwithout (?:any )?(?:vocals?|singing|voice)\b"
    r"|\bvocal-?less\b|\bno singing\b|\bno voice\b",
    _I,
)
VOCALS = re.compile(
    r"\bvocals?\b|\bsinger\b|\bsinging\b|\bsung\b|\bvocalist\b|\brapp(?:ing|ed|er)\b|\blyrics\b",
    _I,
)
_HEDGES = re.compile(r"voice probability|whether it has vocals is unclear", _I)
_KEY = re.compile(r"\b[A-G](?:#|b|♯|♭)?\s*(major|minor)\b")
_MODE_WORDS = re.compile(r"\b(major|minor)[- ](?:key|tonality|mode|scale)\b", _I)
_BPM = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute)", _I)
NO_DRUMS = re.compile(
    r"\bno (?:drums|percussion)\b|\bwithout (?:drums|percussion)\b|\bbeatless\b|\bdrumless\b",
    _I,
)
DRUMS = re.compile(r"\bdrums?\b|\bdrum kit\b|\bpercussion\b|\bdrum machine\b", _I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
USAGE_WORDS: dict[str, re.Pattern[str]] = {
    "sleep": re.compile(r"\bsleep(?:ing)?\b|\blullaby\b", _I),
    "studying": re.compile(r"\bstudy(?:ing)?\b", _I),
    "focus": re.compile(r"\bfocus(?:ed|ing)? work\b|\bconcentrat(?:ion|ing)\b", _I),
    "meditation": re.compile(r"\bmeditat(?:ion|ing|ive)\b", _I),
    "relaxing": re.compile(r"\brelaxing\b|\bunwind(?:ing)?\b", _I),
    "running": re.compile(r"\brunning\b|\bjogging\b", _I),
    "workout": re.compile(r"\bwork-?outs?\b|\bgym\b|\bfitness\b|\btraining\b", _I),
    "party": re.compile(r"\bpart(?:y|ies)\b|\bclub\b", _I),
    "dancing": re.compile(r"\bdanc(?:e|ing)[- ]?floor\b|\bdancing\b", _I),
    "driving": re.compile(r"\b(?:for|while) driving\b|\broad trips?\b", _I),
}


@dataclass
class Claims:
    """What a text asserts, per dimension; empty/None where it says nothing."""

    tempos: list[TempoClass] = field(default_factory=list)
    bpms: list[float] = field(default_factory=list)
    energy_classes: list[EnergyLevel] = field(default_factory=list)
    calm_words: list[str] = field(default_factory=list)
    intense_words: list[str] = field(default_factory=list)
    usages: set[str] = field(default_factory=set)
    vocals: bool | None = None
    mode: str | None = None
    drums: bool | None = None


def strip_non_claims(text: str) -> str:
    """Remove quoted spans and known hedges: a tag or title is data, not a claim."""
    return _HEDGES.sub(" ", _QUOTED.sub(" ", text))


def read_claims(text: str) -> Claims:
    """Find the claims in ``text`` by keyword.

    Tempo words are consumed longest first ("very fast" is not also "fast"). Vocals are
    claimed only when the text says one thing (not both "instrumental" and "vocals");
    the mode only when a single mode is named.
    """
    text = strip_non_claims(text)
    c = Claims()
    rest = text
    for cls, rx in TEMPO_WORDS:
        if rx.search(rest):
            c.tempos.append(cls)
            rest = rx.sub(" ", rest)
    c.bpms = [float(b) for b in _BPM.findall(text)]
    for a, b in ENERGY_CLASS.findall(text):
        word = (a or b).lower().replace(" ", "_").replace("moderate", "medium")
        c.energy_classes.append(word)  # type: ignore[arg-type]
    c.calm_words = [w.lower() for w in CALM_WORDS.findall(text)]
    c.intense_words = [w.lower() for w in INTENSE_WORDS.findall(text)]
    c.usages = {name for name, rx in USAGE_WORDS.items() if rx.search(text)}
    no_vocals = bool(NO_VOCALS.search(text))
    vocals = bool(VOCALS.search(NO_VOCALS.sub(" ", text)))
    if no_vocals != vocals:
        c.vocals = vocals
    modes = {k.lower() for k in _KEY.findall(text) + _MODE_WORDS.findall(text)}
    if len(modes) == 1:
        c.mode = modes.pop()
    if NO_DRUMS.search(text):
        c.drums = False
    elif DRUMS.search(text):
        c.drums = True
    return c
