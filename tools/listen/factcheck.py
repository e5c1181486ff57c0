"""Check what a caption or TrackSummary claims against what was measured.

Audio LLMs sometimes describe a different song than the one they heard (the relevance
article's Qwen2-Audio caption called a fast punk track "slow synth pop"). A judge that
trusts such a caption makes confident, wrong picks. So every caption is compared with
the signal measurements on the dimensions a measurement can settle: tempo (class and
BPM), energy (class, value, mood and usage words), vocals vs instrumental, mode, and
whether there are drums at all. The measurements are checked against each other too:
a beat tracker that locks onto half the tempo of a fast, busy track (drum and bass at
170 BPM read as 85) leaves twice as many onsets per beat as music at that tempo has, so
``octave_doubt`` flags it and the check counts it as a tempo contradiction, whatever
the caption (which the offline captioner writes from the same wrong number) says.
Each contradiction is a readable sentence naming the
claim and the measurement; the consistency score is the share of checked dimensions
without one.

The checker is deliberately lenient where measurements are unsure: it skips tempo when
the beat tracker is unsure, vocals in the unsure voice band, mode when the key estimate
is weak, and it tolerates a class next door when the value sits near the boundary. It
uses the same vocabulary (``tools/listen/labels.py``) as the offline captioner, so that
captioner's own captions never contradict themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from linernotes.tools.analysis.scales import ENERGY_BOUNDS, ENERGY_ORDER, TEMPO_BOUNDS, TEMPO_ORDER
from linernotes.tools.listen.claims import (
    CALM_WORDS,
    DRUMS,
    INTENSE_WORDS,
    NO_VOCALS,
    USAGE_WORDS,
    read_claims,
)
from linernotes.tools.listen.labels import (
    ACTIVE_USAGES,
    CALM_USAGES,
    MIN_TEMPO_CONFIDENCE,
    energy_level,
    has_vocals,
    tempo_class,
)
from linernotes.tools.schemas import Measurements, TrackSummary

if TYPE_CHECKING:
    from linernotes.tools.listen.base import ListenResult

TEMPO_MARGIN_BPM = 8.0  # a neighbouring class is fine this close to the boundary
ENERGY_MARGIN = 0.07
ENERGY_VALUE_TOLERANCE = 0.25
MIN_MODE_CONFIDENCE = 0.5
OCTAVE_ONSETS_PER_BEAT = 1.75
"""Onsets per beat from which a slow tempo reading is doubted: midway between the busiest
music truly under 100 BPM in the seed-0 demo (~1.5 per beat) and a note on every half
beat (2). (Was 1.8; a held-out track at 1.80 showed the edge was cut too fine.)"""
OCTAVE_MAX_PER_BEAT = 3.2
"""Above this even double time leaves too many onsets per beat to explain: not an octave."""
OCTAVE_BELOW_BPM = 100.0
"""Only readings this slow are doubted: doubling them gives a plausible fast tempo."""
LOW_PERCUSSION = 0.12  # below this (and few onsets) there are no drums to hear
HIGH_PERCUSSION = 0.6


@dataclass
class FactCheck:
    """The outcome: consistency 0-1 (None when nothing could be checked) and why.

    Attributes:
        consistency: Share of checked dimensions with no contradiction.
        contradictions: One sentence per contradicted claim, naming claim and measurement.
        checked: The dimensions that could be checked (measurement sure enough, claim made).
    """

    consistency: float | None
    contradictions: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """True when at least one claim contradicts the measurements."""
        return bool(self.contradictions)


def _class_conflict(claimed: str, value: float, order: tuple, bounds: tuple, margin: float):
    """True when ``claimed`` is two classes off, or one off with ``value`` clear of the edge.

    Everyday words are coarser than the classes: a 175 BPM punk song is "fast" and a
    very loud one "high-energy" in any caption, so the second-highest class is accepted
    for the highest.
    """
    i = order.index(claimed)
    j = next((k for k, b in enumerate(bounds) if value < b), len(bounds))
    if abs(i - j) >= 2:
        return True
    if i == j or (i == len(order) - 2 and j == len(order) - 1):
        return False  # same class; or "fast"/"high" said of the top class, as people do
    return abs(value - bounds[min(i, j)]) > margin


def octave_doubt(m: Measurements) -> float | None:
    """The double tempo when the onset density says the beat tracker halved it, else None.

    A track read at 85 BPM with 2.7 onsets per second has ~1.9 onsets per beat, which is
    what a 170 BPM track with a note on every beat has; music truly at 85 BPM seldom
    fills every half-beat. Only slow readings of busy tracks are doubted.
    """
    if m.tempo_bpm <= 0 or m.tempo_bpm >= OCTAVE_BELOW_BPM or m.percussiveness < LOW_PERCUSSION:
        return None
    per_beat = m.onset_rate * 60.0 / m.tempo_bpm
    doubled = OCTAVE_ONSETS_PER_BEAT <= per_beat <= OCTAVE_MAX_PER_BEAT
    return m.tempo_bpm * 2 if doubled else None


class _Checker:
    """Collects claims per dimension and turns conflicts into sentences."""

    def __init__(self, m: Measurements):
        self.m = m
        self.checked: set[str] = set()
        self.bad: dict[str, list[str]] = {}

    def verdict(self, dim: str, conflict: bool, message: str) -> None:
        """Record that ``dim`` was checked and, if ``conflict``, why it failed."""
        self.checked.add(dim)
        if conflict and message not in self.bad.setdefault(dim, []):
            self.bad[dim].append(message)

    # --- one method per dimension --------------------------------------------------
    def tempo_class(self, claimed: str, source: str) -> None:
        """Compare a claimed tempo class with the measured BPM (octave-lenient if unsure)."""
        m = self.m
        if m.tempo_confidence < MIN_TEMPO_CONFIDENCE:
            return
        conflict = _class_conflict(
            claimed, m.tempo_bpm, TEMPO_ORDER, TEMPO_BOUNDS, TEMPO_MARGIN_BPM
        )
        octave = claimed in (tempo_class(m.tempo_bpm / 2), tempo_class(m.tempo_bpm * 2))
        if conflict and m.tempo_confidence < 0.5:  # half/double-time ambiguity
            conflict = not octave
        measured = tempo_class(m.tempo_bpm)
        hint = " (fits half/double time: maybe a beat-tracking octave error)" if octave else ""
        self.verdict(
            "tempo",
            conflict,
            f"tempo: {source} says '{claimed.replace('_', ' ')}' "
            f"but measured {m.tempo_bpm:.0f} BPM ({measured.replace('_', ' ')}){hint}",
        )

    def tempo_bpm(self, claimed: float, source: str) -> None:
        """Compare a claimed BPM, accepting half or double time."""
        m = self.m
        if m.tempo_confidence < MIN_TEMPO_CONFIDENCE or m.tempo_bpm <= 0:
            return
        r = claimed / m.tempo_bpm
        ok = abs(r - 1) <= 0.12 or abs(r - 2) <= 0.2 or abs(r - 0.5) <= 0.06
        self.verdict(
            "tempo",
            not ok,
            f"tempo: {source} says {claimed:.0f} BPM but measured {m.tempo_bpm:.0f} BPM",
        )

    def energy_class(self, claimed: str, source: str) -> None:
        """Compare a claimed energy class with the measured energy value."""
        m = self.m
        conflict = _class_conflict(claimed, m.energy, ENERGY_ORDER, ENERGY_BOUNDS, ENERGY_MARGIN)
        self.verdict(
            "energy",
            conflict,
            f"energy: {source} says '{claimed.replace('_', ' ')}' "
            f"but measured energy {m.energy:.2f} ({energy_level(m).replace('_', ' ')})",
        )

    def energy_words(self, calm: list[str], intense: list[str], source: str) -> None:
        """Calm words on a loud track, or intense words on a quiet one, contradict."""
        m = self.m
        if calm:
            self.verdict(
                "energy",
                m.energy >= ENERGY_BOUNDS[1] + ENERGY_MARGIN,
                f"energy: {source} calls it '{calm[0].lower()}' but measured energy "
                f"{m.energy:.2f} ({energy_level(m).replace('_', ' ')})",
            )
        if intense:
            self.verdict(
                "energy",
                m.energy < ENERGY_BOUNDS[0],
                f"energy: {source} calls it '{intense[0].lower()}' but measured "
                f"energy {m.energy:.2f} (low)",
            )

    def usages(self, usages: set[str], source: str) -> None:
        """Calm contexts need calm music, active contexts need energy."""
        m = self.m
        for u in sorted(usages & CALM_USAGES):
            self.verdict(
                "usage",
                m.energy >= ENERGY_BOUNDS[1] + ENERGY_MARGIN,
                f"usage: {source} suggests '{u}' but measured energy {m.energy:.2f} "
                f"({energy_level(m).replace('_', ' ')})",
            )
        for u in sorted(usages & ACTIVE_USAGES):
            self.verdict(
                "usage",
                m.energy < ENERGY_BOUNDS[0],
                f"usage: {source} suggests '{u}' but measured energy {m.energy:.2f} (low)",
            )

    def vocals(self, voiced: bool, source: str) -> None:
        """Instrumental vs vocals, only when the voice estimate is clear."""
        measured = has_vocals(self.m)
        if measured is None:
            return
        claim = "vocals" if voiced else "instrumental"
        self.verdict(
            "vocals",
            voiced != measured,
            f"vocals: {source} says {claim} but "
            f"measured voice probability {self.m.voice_probability:.2f}",
        )

    def mode(self, claimed: str, source: str) -> None:
        """Major vs minor, only when the key estimate is confident."""
        m = self.m
        if m.key_confidence < MIN_MODE_CONFIDENCE:
            return
        self.verdict(
            "mode",
            claimed.lower() != m.mode,
            f"mode: {source} says {claimed.lower()} "
            f"but measured {m.key} {m.mode} (confidence {m.key_confidence:.2f})",
        )

    def drums(self, present: bool, source: str) -> None:
        """Drums claimed on a track with no percussive energy, or denied on a drum-heavy one."""
        m = self.m
        if present:
            conflict = m.percussiveness < LOW_PERCUSSION and m.onset_rate < 2.0
            msg = f"instruments: {source} mentions drums/percussion but measured percussive "
        else:
            conflict = m.percussiveness > HIGH_PERCUSSION
            msg = f"instruments: {source} says no drums but measured percussive "
        self.verdict("drums", conflict, msg + f"share {m.percussiveness:.2f}")

    def octave(self) -> None:
        """Cross-check the measured tempo with the onset density (octave errors)."""
        m = self.m
        double = octave_doubt(m)
        if double is None:  # nothing to say: a sound tempo is not a checked claim
            return
        per_beat = m.onset_rate * 60.0 / m.tempo_bpm
        self.verdict(
            "tempo",
            True,
            f"tempo: measured {m.tempo_bpm:.0f} BPM but {m.onset_rate:.1f} onsets/s "
            f"({per_beat:.1f} per beat) suggest double time, about {double:.0f} BPM",
        )

    def result(self) -> FactCheck:
        """Score: share of checked dimensions without a contradiction."""
        if not self.checked:
            return FactCheck(None)
        bad = [msg for dim in sorted(self.bad) for msg in self.bad[dim]]
        n_bad = sum(1 for d in self.checked if self.bad.get(d))
        return FactCheck(round(1 - n_bad / len(self.checked), 3), bad, sorted(self.checked))


def _check_summary(c: _Checker, s: TrackSummary) -> None:
    """Claims carried by the structured fields."""
    if s.tempo:
        c.tempo_class(s.tempo, "summary tempo")
    if s.tempo_bpm:
        c.tempo_bpm(s.tempo_bpm, "summary tempo_bpm")
    if s.energy_level:
        c.energy_class(s.energy_level, "summary energy_level")
    if s.energy is not None:
        e = c.m.energy
        c.verdict(
            "energy",
            abs(s.energy - e) > ENERGY_VALUE_TOLERANCE,
            f"energy: summary energy {s.energy:.2f} but measured {e:.2f}",
        )
    if s.vocals:
        c.vocals(not NO_VOCALS.search(s.vocals) and s.vocals.lower() != "none", "summary vocals")
    if s.key and (k := re.search(r"\b(major|minor)\b", s.key, re.IGNORECASE)):
        c.mode(k.group(1), "summary key")
    if s.mood:
        c.energy_words(CALM_WORDS.findall(s.mood), INTENSE_WORDS.findall(s.mood), "summary mood")
    usages = {name for u in s.suitable_usages for name, rx in USAGE_WORDS.items() if rx.search(u)}
    c.usages(usages, "summary suitable_usages")
    inst = " ".join(s.instruments)
    if DRUMS.search(inst):
        c.drums(True, "summary instruments")


def _check_text(c: _Checker, text: str, source: str) -> None:
    """Claims found by keyword in free text (quoted tags and titles are not claims)."""
    cl = read_claims(text)
    if cl.tempos:  # "slow intro, fast chorus": only a contradiction if no claim fits
        probe = _Checker(c.m)
        for t in cl.tempos:
            probe.tempo_class(t, source)
        if probe.checked and len(probe.bad.get("tempo", [])) == len(cl.tempos):
            c.verdict("tempo", True, probe.bad["tempo"][0])
        elif probe.checked:
            c.verdict("tempo", False, "")
    for bpm in cl.bpms:
        c.tempo_bpm(bpm, source)
    for level in cl.energy_classes:
        c.energy_class(level, source)
    c.energy_words(cl.calm_words, cl.intense_words, source)
    c.usages(cl.usages, source)
    if cl.vocals is not None:
        c.vocals(cl.vocals, source)
    if cl.mode:
        c.mode(cl.mode, source)
    if cl.drums is not None:
        c.drums(cl.drums, source)


def fact_check(
    m: Measurements, summary: TrackSummary | None = None, caption: str | None = None
) -> FactCheck:
    """Check a summary and/or caption against measurements.

    Returns:
        A ``FactCheck`` with a consistency score over the dimensions that could be checked
        and one readable sentence per contradiction.
    """
    c = _Checker(m)
    c.octave()
    if summary is not None:
        _check_summary(c, summary)
        _check_text(c, summary.description, "summary description")
    if caption:
        _check_text(c, caption, "caption")
    return c.result()


def check_result(result: ListenResult, m: Measurements) -> ListenResult:
    """Return ``result`` with its consistency score and contradictions filled in."""
    fc = fact_check(m, result.summary, result.caption)
    return replace(result, consistency=fc.consistency, contradictions=fc.contradictions)
