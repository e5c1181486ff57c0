"""Per-track facts and per-dimension comparisons used by the offline judge.

The offline judge reasons only over what ingest stored: ``Track.measurements`` (numbers
from signal analysis) and ``Track.summary`` (words from a listener). This module turns a
track into a flat, typed bundle of those facts once, and scores every judge dimension
from two bundles, so the rules in ``judge/rules.py`` read like the judgement they
make rather than like field access. Everything here is plain arithmetic: the whole judge
must score 60 candidates in a few milliseconds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from linernotes.tools.analysis.scales import ENERGY_ORDER, VOICE_BOUNDS, energy_class, voiced
from linernotes.tools.listen.factcheck import octave_doubt
from linernotes.tools.schemas import Track

GENRE_FAMILIES: dict[str, tuple[str, ...]] = {
    "ambient": ("ambient", "drone", "new age", "soundscape", "downtempo"),
    "hip-hop": ("hip hop", "hip-hop", "hiphop", "rap", "lo-fi", "lofi", "trap", "boom bap"),
    "electronic": ("electronic", "house", "techno", "trance", "edm", "drum and bass", "dnb",
                   "dubstep", "synthwave", "synth", "electro", "idm", "breakbeat", "dance"),
    "rock": ("rock", "punk", "metal", "grunge", "shoegaze", "emo", "hardcore"),
    "jazz": ("jazz", "swing", "bossa", "bebop", "fusion", "blues"),
    "classical": ("classical", "orchestral", "baroque", "chamber", "cinematic", "score",
                  "piano solo", "string quartet", "neoclassical"),
    "folk": ("folk", "acoustic", "singer-songwriter", "country", "americana", "bluegrass"),
    "pop": ("pop", "r&b", "soul", "funk", "disco", "indie"),
    "latin": ("latin", "reggaeton", "salsa", "samba", "cumbia", "bachata"),
    "reggae": ("reggae", "dub", "ska", "dancehall"),
}  # fmt: skip
CENTRE_PULL = 0.2
"""Fit lost at the edge of a context's energy or tempo range, relative to its middle."""
_WORD = re.compile(r"[a-z]+")


def genre_family(genre: str | None) -> str | None:
    """Map a genre string to a broad family ('lo-fi hip hop' -> 'hip-hop'), or None."""
    if not genre:
        return None
    g = genre.lower()
    for family, words in GENRE_FAMILIES.items():
        if any(w in g for w in words):
            return family
    return g.strip() or None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the judge knows about one track, flattened from measurements and summary."""

    id: str
    title: str
    bpm: float
    duration: float
    tempo_conf: float
    energy: float
    level: str
    voice: float
    voiced: bool | None
    key: str
    mode: str
    key_conf: float
    bright: float
    perc: float
    loud: float
    dyn: float
    onset: float
    genre: str | None
    family: str | None
    instruments: frozenset[str]
    usages: frozenset[str]
    mood: frozenset[str]
    vocal_words: frozenset[str]
    octave_doubt: float | None = None
    """The tempo the onset density suggests instead (half or double), if it doubts ``bpm``."""
    voice_doubt: bool = False
    """The fact-check found the listener's vocals claim contradicting the measured voice."""

    @property
    def level_rank(self) -> int:
        """Position of the energy class in low < medium < high < very_high."""
        return ENERGY_ORDER.index(self.level)

    def vocals_phrase(self) -> str:
        """'is instrumental' / 'has vocals' / 'may have vocals' for explanations."""
        if self.voiced is None:
            return "may have vocals"
        return "has vocals" if self.voiced else "is instrumental"


def facts(track: Track) -> Facts:
    """Flatten a track into ``Facts`` (summary words win over re-derived labels).

    A fact the ingest fact-check found contradicted (``provenance.contradictions``: a
    listener that heard a voice the detector missed) is not a fact: vocals become unsure
    ("may have vocals"), and "instrumental only" leaves the track out.
    """
    m, s = track.measurements, track.summary
    heard = voiced(m.voice_probability)
    if s.vocals and "instrumental" in s.vocals.lower() and m.voice_probability < VOICE_BOUNDS[1]:
        heard = False  # the listener says instrumental and the measurement does not object
    doubt = any(c.startswith("vocals:") for c in track.provenance.contradictions)
    if doubt:
        heard = None  # the fact-check doubted the measurement: unsure, not a fact
    genre = s.genre or track.genre_tag
    return Facts(
        id=track.id,
        title=track.title,
        bpm=m.tempo_bpm,
        duration=m.duration_s,
        tempo_conf=m.tempo_confidence,
        energy=m.energy,
        level=s.energy_level or energy_class(m.energy),
        voice=m.voice_probability,
        voiced=heard,
        key=m.key,
        mode=m.mode,
        key_conf=m.key_confidence,
        bright=max(m.brightness_hz, 1.0),
        perc=m.percussiveness,
        loud=m.loudness_db,
        dyn=m.dynamics_db,
        onset=m.onset_rate,
        genre=genre.lower() if genre else None,
        family=genre_family(genre),
        instruments=frozenset(i.lower() for i in s.instruments),
        usages=frozenset(u.lower() for u in s.suitable_usages),
        mood=frozenset(_WORD.findall((s.mood or "").lower())),
        vocal_words=frozenset(_WORD.findall((s.vocals or "").lower())) - {"vocals", "vocal"},
        octave_doubt=octave_doubt(m),
        voice_doubt=doubt,
    )


def _lin(diff: float, scale: float) -> float:
    """1 at no difference, falling linearly to 0 at ``scale``."""
    return max(0.0, 1.0 - abs(diff) / scale)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float | None:
    return len(a & b) / len(a | b) if a and b else None


def tempo_similarity(a: float, b: float) -> float:
    """Tempo closeness on a log scale; half/double time counts, a little less."""
    if a <= 0 or b <= 0:
        return 0.5
    best = 0.0
    for factor, weight in ((1.0, 1.0), (2.0, 0.8), (0.5, 0.8)):
        best = max(best, weight * _lin(math.log(b * factor / a), 0.35))
    return best


def timbre(a: Facts, b: Facts, audio_sim: float | None) -> float:
    """Brightness, percussiveness, instrumentation and (if known) audio similarity.

    ``audio_sim`` is already scaled to 0-1 by the caller (a rank among the candidates,
    since raw cosines mean different things in different embedding spaces).
    """
    parts = [(_lin(math.log(b.bright / a.bright), 0.9), 1.0), (_lin(b.perc - a.perc, 0.5), 1.0)]
    jac = _jaccard(a.instruments, b.instruments)
    if jac is not None:
        parts.append((jac, 1.0))
    if audio_sim is not None:
        parts.append((audio_sim, 1.5))
    return sum(v * w for v, w in parts) / sum(w for _, w in parts)


def production(a: Facts, b: Facts) -> float:
    """Loudness, dynamic range, percussive share and density of onsets."""
    return (
        _lin(b.loud - a.loud, 12.0)
        + _lin(b.dyn - a.dyn, 10.0)
        + _lin(b.perc - a.perc, 0.5)
        + _lin(math.log((b.onset + 0.5) / (a.onset + 0.5)), 1.2)
    ) / 4


def genre(a: Facts, b: Facts, timbre_score: float) -> float:
    """Same genre 1, same family 0.6, else low; timbre stands in when either is unknown."""
    if a.family and b.family:
        if a.genre == b.genre:
            return 1.0
        return 0.6 if a.family == b.family else 0.1
    return 0.9 * timbre_score


def vocal_role(a: Facts, b: Facts) -> float:
    """Whether both are sung or both instrumental (voice probability distance)."""
    if a.voiced is not None and b.voiced is not None:
        return 1.0 - 0.3 * abs(a.voice - b.voice) if a.voiced == b.voiced else 0.1
    return _lin(a.voice - b.voice, 0.8)


def vocal_delivery(a: Facts, b: Facts, role: float) -> float:
    """How the voice is used: both instrumental is a match; else description overlap."""
    if a.voiced is False and b.voiced is False:
        return 1.0
    if a.voiced and b.voiced:
        jac = _jaccard(a.vocal_words, b.vocal_words)
        return 0.6 + 0.4 * jac if jac is not None else 0.7
    return role


def mood(a: Facts, b: Facts) -> float:
    """Mode (when the key is sure), mood words and energy closeness."""
    parts = [_lin(b.energy - a.energy, 0.6)]
    if min(a.key_conf, b.key_conf) >= 0.25:
        parts.append(1.0 if a.mode == b.mode else 0.35)
    jac = _jaccard(a.mood, b.mood)
    if jac is not None:
        parts.append(0.3 + 0.7 * jac)
    return sum(parts) / len(parts)


def energy(a: Facts, b: Facts) -> float:
    """Measured energy closeness."""
    return _lin(b.energy - a.energy, 0.5)


def tempo_fit(bpm: float, lo: float, hi: float, readings: tuple[tuple[float, float], ...]) -> float:
    """Best fit of a tempo to [lo, hi] over (factor, weight) readings (half/double time)."""
    best = 0.0
    for factor, weight in readings:
        x = bpm * factor
        out = max(lo - x, x - hi, 0.0)
        best = max(best, weight * math.exp(-((out / 20.0) ** 2)) * centred(x, lo, hi))
    return best


def centred(x: float, lo: float, hi: float) -> float:
    """1 at the middle of [lo, hi], falling to ``1 - CENTRE_PULL`` at its edges and beyond."""
    half = (hi - lo) / 2
    if half <= 0:
        return 1.0
    off = min(1.0, abs(x - (lo + hi) / 2) / half)
    return 1.0 - CENTRE_PULL * off**2


def sigmoid(x: float) -> float:
    """Logistic function, for soft 'calmer than' / 'faster than' preferences."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))
