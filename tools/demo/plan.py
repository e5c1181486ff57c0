"""The demo catalog's plan: every track's style, labels, length and instrumentation.

The plan is decided before any audio is made, from ``(n_tracks, seed)`` alone, so the
labels are facts of the composition and tests can check them without rendering.

Labels (the manifest's columns) and how they are defined:

- ``bpm``: the tempo the track is sequenced at (every beat is played by drums, bass or
  chords). ``key``/``mode``: the key the harmony is diatonic to (tonic names use sharps,
  e.g. ``F#``), with tonic-first progressions, a cadence and a final tonic chord.
- ``energy`` (low|medium|high): the arrangement level: which drum pattern plays (none or
  soft at low, full at medium, dense with crashes and saturation at high), note density,
  velocities, and the loudness target the track is mastered to (see ``mix.LOUDNESS_DB``).
- ``has_voice`` (0|1): 1 when a formant-synthesised singer carries the melody (vibrato,
  vowel formants, syllables), sometimes doubled by a GM voice program.
- ``study_ok`` (0|1): ``has_voice == 0 and (energy == low or (energy == medium and
  bpm <= 110))``: instrumental, calm and not fast.
- ``workout_ok`` (0|1): ``energy == high or (energy == medium and bpm >= 120 and the
  style is not swung)``: intense, or a straight fast beat.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pretty_midi

from linernotes.tools.demo.styles import STYLES, VOICE_DOUBLES, Style
from linernotes.tools.demo.theory import PITCH_NAMES

TAIL_S = 1.5
"""Seconds after the last bar: the final chord rings out."""
DURATION_RANGE_S = (20.0, 30.0)

_ADJECTIVES = (
    "Amber",
    "Blue",
    "Copper",
    "Distant",
    "Electric",
    "Faded",
    "Golden",
    "Hollow",
    "Iron",
    "Jade",
    "Kind",
    "Late",
    "Midnight",
    "Northern",
    "Open",
    "Paper",
    "Quiet",
    "Restless",
    "Silver",
    "Tidal",
    "Upper",
    "Velvet",
    "Wild",
    "Young",
    "Crimson",
    "Dusty",
    "Early",
    "Frozen",
    "Glass",
    "Hidden",
    "Lunar",
    "Marble",
    "Neon",
    "Olive",
    "Pale",
    "Rusty",
    "Salt",
    "Slow",
    "Sudden",
    "Warm",
)
_NOUNS = (
    "Harbor",
    "Window",
    "Orchard",
    "Signal",
    "River",
    "Lantern",
    "Meadow",
    "Engine",
    "Comet",
    "Garden",
    "Highway",
    "Island",
    "Mirror",
    "Canyon",
    "Letter",
    "Station",
    "Forest",
    "Ember",
    "Circuit",
    "Tide",
    "Valley",
    "Avenue",
    "Bridge",
    "Cloud",
    "Desert",
    "Echo",
    "Field",
    "Horizon",
    "Kite",
    "Lagoon",
    "Market",
    "Notebook",
    "Ocean",
    "Pocket",
    "Quarry",
    "Rooftop",
    "Shadow",
    "Thunder",
    "Voyage",
    "Winter",
)


@dataclass(frozen=True)
class PartChoice:
    """One layer as played in one track: the style layer, the program and its mix."""

    layer: int
    role: str
    program: int
    is_drum: bool
    pattern: str
    center: int
    gain_db: float
    pan: float
    send: float
    drive: float
    lowpass_hz: float | None = None


@dataclass(frozen=True)
class VoiceChoice:
    """The singer: register centre, vowel-formant scale and an optional GM double."""

    center: int
    formant_scale: float
    double_program: int | None


@dataclass(frozen=True)
class TrackSpec:
    """Everything needed to compose, render and label one track."""

    index: int
    style: str
    title: str
    artist: str
    album: str
    filename: str
    bpm: int
    tonic: int
    mode: str
    energy: str
    n_bars: int
    parts: tuple[PartChoice, ...]
    voice: VoiceChoice | None
    seed: tuple[int, ...]

    @property
    def key(self) -> str:
        """Tonic name, e.g. ``F#``."""
        return PITCH_NAMES[self.tonic]

    @property
    def has_voice(self) -> bool:
        """Whether a singer carries the melody."""
        return self.voice is not None

    @property
    def duration_s(self) -> float:
        """Length of the rendered file in seconds."""
        return self.n_bars * 240.0 / self.bpm + TAIL_S

    @property
    def swung(self) -> bool:
        """Whether the style swings its off-beat eighths."""
        return style_named(self.style).swing > 0

    @property
    def study_ok(self) -> bool:
        """Instrumental, calm and not fast (see the module docstring)."""
        calm = self.energy == "low" or (self.energy == "medium" and self.bpm <= 110)
        return not self.has_voice and calm

    @property
    def workout_ok(self) -> bool:
        """Intense, or a straight fast beat (see the module docstring)."""
        driving = self.energy == "medium" and self.bpm >= 120 and not self.swung
        return self.energy == "high" or driving

    @property
    def instruments(self) -> list[str]:
        """Readable instrument names, drums and voice included, in arrangement order."""
        names: list[str] = []
        for part in self.parts:
            name = (
                "drums"
                if part.is_drum
                else pretty_midi.program_to_instrument_name(part.program).lower()
            )
            if name not in names:
                names.append(name)
        if self.voice is not None:
            names.append("voice")
        return names


def style_named(name: str) -> Style:
    """The style called ``name``; KeyError names it when unknown."""
    for style in STYLES:
        if style.name == name:
            return style
    raise KeyError(f"unknown demo style {name!r}")


def plan_catalog(n_tracks: int, seed: int = 0) -> list[TrackSpec]:
    """Plan ``n_tracks`` tracks spread evenly over the styles, deterministic in ``seed``.

    Styles take turns (track 1 is style 1, track 2 style 2...), so any prefix of the
    catalog covers as many styles as it can. Energy levels and singers are apportioned
    per style by its shares, then shuffled, so a style is never all one way.
    """
    if n_tracks < 1:
        raise ValueError(f"n_tracks must be at least 1, got {n_tracks}")
    rng = np.random.default_rng([seed, 0xDE30])
    n_styles = len(STYLES)
    counts = [n_tracks // n_styles + (1 if s < n_tracks % n_styles else 0) for s in range(n_styles)]
    energies = [_apportion(style.energy, counts[s], rng) for s, style in enumerate(STYLES)]
    voices = [_voices(style.voice, counts[s], rng) for s, style in enumerate(STYLES)]
    order = [(s, k) for k in range(max(counts)) for s in range(n_styles) if k < counts[s]]
    specs: list[TrackSpec] = []
    titles: set[str] = set()
    for index, (s, k) in enumerate(order):
        title = _title(rng, titles)
        specs.append(_track(index, STYLES[s], s, k, energies[s][k], voices[s][k], title, seed))
    return specs


def _track(
    index: int, style: Style, s: int, k: int, energy: str, voiced: bool, title: str, seed: int
) -> TrackSpec:
    """Draw one track's tempo, key, length, parts and singer."""
    rng = np.random.default_rng([seed, index, s, 1])
    lo, hi = _tempo_range(style, energy)
    bpm = int(rng.integers(lo, hi + 1))
    tonic = int(rng.integers(12))
    mode = "minor" if rng.random() < style.minor else "major"
    bar_s = 240.0 / bpm
    target = rng.uniform(21.5, 28.0)
    n_bars = max(2, round((target - TAIL_S) / bar_s))
    while n_bars * bar_s + TAIL_S > DURATION_RANGE_S[1] - 0.5:
        n_bars -= 1
    while n_bars * bar_s + TAIL_S < DURATION_RANGE_S[0] + 0.5:
        n_bars += 1
    parts: list[PartChoice] = []
    for i, layer in enumerate(style.layers):
        pattern = layer.pattern_for(energy)
        keep = rng.random() < layer.prob
        program = int(rng.choice(layer.programs))
        jitter = rng.uniform(-1.5, 1.5), rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.0)
        if pattern is None or not keep or (layer.solo_only and voiced):
            continue
        parts.append(
            PartChoice(
                layer=i,
                role=layer.role,
                program=program,
                is_drum=layer.role == "drums",
                pattern=pattern,
                center=layer.center,
                gain_db=layer.gain_db + float(jitter[0]),
                pan=layer.pan * float(jitter[1]),
                send=layer.send * float(rng.uniform(0.7, 1.3)),
                drive=layer.drive,
                lowpass_hz=layer.lowpass_hz,
            )
        )
    voice = None
    if voiced:
        center = int(rng.integers(style.voice_center[0], style.voice_center[1] + 1))
        double = int(rng.choice(VOICE_DOUBLES)) if rng.random() < 0.4 else None
        voice = VoiceChoice(center, 1.0 if center < 62 else 1.17, double)
    band = s * 3 + k % 3 + 1
    return TrackSpec(
        index=index,
        style=style.name,
        title=title,
        artist=f"linernotes demo band {band}",
        album=f"Demo Sessions {band}",
        filename=f"{index + 1:03d}-{_slug(title)}.flac",
        bpm=bpm,
        tonic=tonic,
        mode=mode,
        energy=energy,
        n_bars=n_bars,
        parts=tuple(parts),
        voice=voice,
        seed=(seed, index, s, 2),
    )


def _tempo_range(style: Style, energy: str) -> tuple[int, int]:
    """The part of the style's tempo range an energy level uses (calmer = slower).

    With several energy levels, each takes 60% of the range, from the bottom for the
    calmest to the top for the most intense, as players do.
    """
    levels: list[str] = [lv for lv in ("low", "medium", "high") if lv in style.energy]
    lo, hi = style.bpm
    if len(levels) == 1:
        return lo, hi
    width = 0.6 * (hi - lo)
    start = lo + (hi - lo - width) * levels.index(energy) / (len(levels) - 1)
    return round(start), round(start + width)


def _apportion(shares: dict[str, float], count: int, rng: np.random.Generator) -> list[str]:
    """Split ``count`` tracks over energy levels by largest remainder, then shuffle."""
    levels = list(shares)
    exact = np.array([shares[lv] * count for lv in levels])
    n = np.floor(exact).astype(int)
    remainder = exact - n + rng.uniform(0, 1e-6, len(levels))  # random tie-break
    for j in np.argsort(-remainder)[: count - int(n.sum())]:
        n[j] += 1
    out = [lv for lv, c in zip(levels, n, strict=True) for _ in range(int(c))]
    rng.shuffle(out)
    return out


def _voices(share: float, count: int, rng: np.random.Generator) -> list[bool]:
    """``round(share * count)`` singers among ``count`` tracks, shuffled."""
    n = math.floor(share * count + 0.5)
    out = [True] * n + [False] * (count - n)
    rng.shuffle(out)
    return out


def _title(rng: np.random.Generator, taken: set[str]) -> str:
    """A fresh two-word title (a number is added once the word pairs run out)."""
    for _ in range(50):
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        if title not in taken:
            taken.add(title)
            return title
    title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {len(taken) + 1}"
    taken.add(title)
    return title


def _slug(text: str) -> str:
    """File-name-safe lower-case form of ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
