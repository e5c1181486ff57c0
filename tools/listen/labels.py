"""The label vocabulary shared by the MIR captioner, the fact-checker and extraction.

Measurements are numbers; TrackSummary fields are words. Every place that turns one
into the other (writing a summary from measurements, checking a model's caption against
them, rule-based extraction) must use the same thresholds, or the fact-checker would
flag the offline captioner's own words. So the mapping lives here, once.

The scales themselves (energy, tempo and voice bounds) live in
``tools.analysis.scales``; ``energy_level`` and ``tempo_class`` are re-exported here.
"""

from __future__ import annotations

import re

from linernotes.tools.analysis.scales import energy_level, tempo_class, voiced
from linernotes.tools.schemas import EnergyLevel, Measurements, TempoClass

MIN_TEMPO_CONFIDENCE = 0.15  # below this the beat tracker is guessing: no tempo class
MIN_KEY_CONFIDENCE = 0.25  # below this the mode is not used for mood


def measured_tempo_class(m: Measurements) -> TempoClass | None:
    """Tempo class, or None when the tempo estimate is too unsure to name one."""
    if m.tempo_confidence < MIN_TEMPO_CONFIDENCE:
        return None
    return tempo_class(m.tempo_bpm)


def has_vocals(m: Measurements) -> bool | None:
    """True/False when the voice estimate is clear, None when it is in the unsure band."""
    return voiced(m.voice_probability)


def vocals_label(m: Measurements) -> str | None:
    """'instrumental', 'lead vocals', or None when uncertain (never a guess)."""
    voiced = has_vocals(m)
    if voiced is None:
        return None
    return "lead vocals" if voiced else "instrumental"


_MOODS: dict[tuple[str, EnergyLevel], str] = {
    ("minor", "low"): "melancholic, calm",
    ("minor", "medium"): "wistful, brooding",
    ("minor", "high"): "tense, driving",
    ("minor", "very_high"): "aggressive, intense",
    ("major", "low"): "peaceful, calm",
    ("major", "medium"): "warm, relaxed",
    ("major", "high"): "upbeat, energetic",
    ("major", "very_high"): "euphoric, energetic",
    ("", "low"): "calm",
    ("", "medium"): "steady",
    ("", "high"): "energetic",
    ("", "very_high"): "intense",
}


def mood_for(m: Measurements) -> str:
    """Mood words from mode, energy and tempo (mode ignored when the key is unsure)."""
    level = energy_level(m)
    mode = m.mode if m.key_confidence >= MIN_KEY_CONFIDENCE else ""
    mood = _MOODS[(mode, level)]
    tempo = measured_tempo_class(m)
    if mode == "major" and level == "medium" and tempo in ("fast", "very_fast"):
        mood = "cheerful, lively"
    if level == "low" and tempo == "slow" and mode == "minor":
        mood = "melancholic, calm"
    return mood


# Mood words that contradict an energy level: used by the fact-checker.
CALM_WORDS = frozenset({"calm", "peaceful", "relaxed", "serene", "mellow", "soothing", "gentle"})
INTENSE_WORDS = frozenset({"aggressive", "intense", "energetic", "euphoric", "frantic", "furious"})

USAGES = (
    "studying",
    "focus",
    "sleep",
    "meditation",
    "relaxing",
    "background",
    "dinner",
    "driving",
    "running",
    "workout",
    "party",
    "dancing",
)
CALM_USAGES = frozenset({"studying", "focus", "sleep", "meditation", "relaxing", "background"})
ACTIVE_USAGES = frozenset({"running", "workout", "party", "dancing"})


def usages_for(m: Measurements) -> list[str]:
    """Listening contexts the measurements support, in a stable order.

    Conservative: a context is listed only when energy, tempo and vocals all fit it, so a
    judge can trust the list more than it would trust a model's free guess.
    """
    level = energy_level(m)
    tempo = measured_tempo_class(m)
    voiced = has_vocals(m)
    calm = level in ("low", "medium")
    unhurried = tempo in ("slow", "moderate", None)
    out: list[str] = []
    if calm and unhurried and voiced is False and m.percussiveness < 0.6:
        out.append("studying")
        if m.percussiveness < 0.45:
            out.append("focus")
    if level == "low" and tempo in ("slow", None) and voiced is not True:
        if m.percussiveness < 0.35 and m.onset_rate < 2.5:
            out.append("sleep")
        if voiced is False and m.onset_rate < 2.0:
            out.append("meditation")
    if calm and unhurried:
        out.append("relaxing")
    if level == "medium" and tempo in ("moderate", "fast"):
        out.append("background")
        if voiced is not True and m.percussiveness < 0.5:
            out.append("dinner")
    if level in ("medium", "high") and tempo in ("moderate", "fast"):
        out.append("driving")
    if level in ("high", "very_high") and tempo in ("fast", "very_fast"):
        out.append("running")
    if level in ("high", "very_high") and m.percussiveness >= 0.35:
        out.append("workout")
    if level in ("high", "very_high") and tempo in ("moderate", "fast") and m.percussiveness >= 0.4:
        out.extend(["party", "dancing"])
    return [u for u in USAGES if u in out]


def dominant_feature(m: Measurements) -> str:
    """Name the most salient measured feature, snake_case (how a listener would put it).

    Each candidate gets a salience in 0-1 from how far its measurement sits past a
    typical value; the highest wins. Ties go to the first listed (rhythm before timbre).
    """
    scores = {
        "driving_drums": min(m.percussiveness, m.energy) * 1.1 if m.percussiveness > 0.6 else 0,
        "steady_beat": m.percussiveness * m.tempo_confidence,
        "intense_energy": (m.energy - 0.75) * 4 if m.energy > 0.75 else 0,
        "prominent_vocals": (m.voice_probability - 0.7) * 3 if m.voice_probability > 0.7 else 0,
        "busy_rhythm": (m.onset_rate - 5.0) / 4 if m.onset_rate > 5.0 else 0,
        "sparse_texture": (2.0 - m.onset_rate) / 2 if m.onset_rate < 2.0 else 0,
        "bright_timbre": (m.brightness_hz - 2800) / 2500 if m.brightness_hz > 2800 else 0,
        "dark_timbre": (1400 - m.brightness_hz) / 1000 if m.brightness_hz < 1400 else 0,
        "wide_dynamics": (m.dynamics_db - 14) / 10 if m.dynamics_db > 14 else 0,
    }
    return max(scores, key=lambda k: scores[k])


_UNSAFE = re.compile(r"[^\w\s&/+'.,()-]", re.UNICODE)


def clean_tag_text(text: str | None, max_chars: int = 80) -> str | None:
    """Neutralise a file tag before it is quoted in generated text.

    Tags are written by whoever made the file, so they are data: quotes, brackets, braces
    and other markup are removed (a tag cannot close a fence or open a new instruction),
    whitespace is collapsed and the length is bounded.
    """
    if not text:
        return None
    text = " ".join(_UNSAFE.sub(" ", text).split())[:max_chars].strip()
    return text or None


_GENRE_OK = re.compile(r"^[\w][\w &/+'.-]*$", re.UNICODE)


def genre_from_tag(tag: str | None) -> str | None:
    """A genre only from the file's genre tag, and only if it looks like one.

    Long or sentence-like tags ("ignore previous instructions...") are refused rather than
    copied into the summary: the genre field must never carry arbitrary text.
    """
    if not tag or _UNSAFE.search(tag):  # markup in a genre tag: refuse, do not repair
        return None
    text = " ".join(tag.split())
    if len(text) > 40 or len(text.split()) > 5 or not _GENRE_OK.match(text):
        return None
    if not any(c.isalpha() for c in text):
        return None
    return text.lower()


INSTRUMENTS = (
    "piano",
    "acoustic guitar",
    "electric guitar",
    "guitar",
    "bass",
    "drums",
    "percussion",
    "synth",
    "strings",
    "violin",
    "cello",
    "saxophone",
    "trumpet",
    "flute",
    "organ",
    "harp",
    "choir",
)
_INSTRUMENT_RE = {
    name: re.compile(rf"\b{re.escape(name)}s?\b", re.IGNORECASE) for name in INSTRUMENTS
}


def instruments_in(text: str | None) -> list[str]:
    """Instrument names found as words in ``text`` (the most specific name wins).

    'electric guitar' suppresses the bare 'guitar' it contains, so the list does not
    name one instrument twice.
    """
    if not text:
        return []
    found = [name for name, rx in _INSTRUMENT_RE.items() if rx.search(text)]
    return [n for n in found if not any(n != o and n in o for o in found)]
