"""Compose one planned track as MIDI: a ``pretty_midi.PrettyMIDI`` plus its mix settings.

Bars are written by the patterns in ``patterns.py`` over a chord plan from
``theory.chord_plan``; melodies (instrumental or sung) come from ``theory.melody``. The
last bar is the same for every style: the tonic chord over the tonic in the bass, one
drum hit, and the melody landing on the tonic, so every track ends with a cadence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from linernotes.tools.demo.patterns import BASE_VELOCITY, CRASH, KICK, PATTERNS, BarContext, Note
from linernotes.tools.demo.plan import PartChoice, TrackSpec, style_named
from linernotes.tools.demo.theory import Chord, chord_plan, melody, nearest, scale_pcs, voicing

LEAD_DENSITY = {"low": 0.6, "medium": 1.0, "high": 1.3}
"""Notes per beat of an instrumental lead at 100 BPM (scaled for other tempos)."""
VOICE_NOTES_PER_S = 1.5
"""Syllables per second the singer aims at (clamped to a quarter..eighth grid)."""


@dataclass(frozen=True)
class Composition:
    """A composed track.

    Attributes:
        midi: one instrument per synthesised part, aligned with ``parts``.
        parts: mix settings of each instrument in ``midi.instruments``.
        sung: the sung line (rendered by the formant singer, not the SoundFont), or None.
        duration_s: length of the audio to render.
    """

    midi: pretty_midi.PrettyMIDI
    parts: tuple[PartChoice, ...]
    sung: pretty_midi.Instrument | None
    duration_s: float


def compose(spec: TrackSpec) -> Composition:
    """Write every part of ``spec`` as MIDI notes (deterministic in ``spec.seed``)."""
    style = style_named(spec.style)
    rng = np.random.default_rng(list(spec.seed))
    scale = scale_pcs(spec.tonic, spec.mode)
    chords = chord_plan(style.harmony, spec.tonic, spec.mode, spec.n_bars, style.chord_bars, rng)
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(spec.bpm))
    parts = list(spec.parts)
    for part in spec.parts:
        part_rng = np.random.default_rng([*spec.seed, 100 + part.layer])
        if part.pattern in ("melody", "sparse"):
            notes = _lead(spec, part, chords, scale, style.swing, part_rng)
        else:
            notes = _bars(spec, part, chords, scale, style.swing, style.humanize_s, part_rng)
        midi.instruments.append(_instrument(part.program, part.is_drum, part.role, notes))
    sung = None
    if spec.voice is not None:
        voice_rng = np.random.default_rng([*spec.seed, 99])
        density = float(np.clip(VOICE_NOTES_PER_S * 60.0 / spec.bpm, 0.35, 1.4))
        beats = melody(
            voice_rng,
            chords,
            scale,
            spec.tonic,
            spec.voice.center,
            density=density,
            rest_beats=2.0 if spec.bpm > 140 else 1.5,
        )
        notes = _to_seconds(spec, beats, style.swing, 96)
        sung = _instrument(53, False, "sung voice", notes)
        if spec.voice.double_program is not None:
            double = PartChoice(
                layer=-1,
                role="voice double",
                program=spec.voice.double_program,
                is_drum=False,
                pattern="melody",
                center=spec.voice.center,
                gain_db=-10.0,
                pan=0.0,
                send=0.4,
                drive=0.0,
            )
            parts.append(double)
            midi.instruments.append(_instrument(double.program, False, double.role, notes))
    return Composition(midi, tuple(parts), sung, spec.duration_s)


def _instrument(
    program: int, is_drum: bool, name: str, notes: list[Note]
) -> pretty_midi.Instrument:
    inst = pretty_midi.Instrument(program=program, is_drum=is_drum, name=name)
    inst.notes = [pretty_midi.Note(velocity=v, pitch=p, start=s, end=e) for s, e, p, v in notes]
    return inst


def _bars(
    spec: TrackSpec,
    part: PartChoice,
    chords: list[Chord],
    scale: tuple[int, ...],
    swing: float,
    humanize_s: float,
    rng: np.random.Generator,
) -> list[Note]:
    """Play the part's pattern in every bar but the last, then the part's ending."""
    pattern = PATTERNS[part.pattern]
    notes: list[Note] = []
    for bar in range(spec.n_bars):
        ctx = BarContext(
            bar=bar,
            n_bars=spec.n_bars,
            chord=chords[bar],
            next_chord=chords[min(bar + 1, spec.n_bars - 1)],
            tonic=spec.tonic,
            scale=scale,
            center=part.center,
            energy=spec.energy,
            bpm=float(spec.bpm),
            swing=swing,
            humanize_s=humanize_s,
            rng=rng,
        )
        if bar < spec.n_bars - 1:
            pattern(ctx)
        else:
            _ending(ctx, part)
        notes.extend(ctx.notes)
    return notes


def _ending(ctx: BarContext, part: PartChoice) -> None:
    """Final bar: one drum hit, the tonic in the bass, the tonic chord held."""
    ring = 16.0 + 1.0 * ctx.bpm / 15.0  # through the tail
    if part.is_drum:
        ctx.hit(0, 4, KICK, 1.0)
        if ctx.energy != "low":
            ctx.hit(0, 16, CRASH, 0.9)
    elif part.role == "perc":
        ctx.hit(0, 4, nearest(ctx.tonic, part.center), 1.0)
    elif part.role == "bass":
        ctx.hit(0, ring, nearest(ctx.tonic, part.center), 1.0)
    else:
        for p in voicing(ctx.chord, part.center, 4):
            ctx.hit(0, ring, p, 0.9)


def _lead(
    spec: TrackSpec,
    part: PartChoice,
    chords: list[Chord],
    scale: tuple[int, ...],
    swing: float,
    rng: np.random.Generator,
) -> list[Note]:
    """An instrumental melody: busier at higher energy, sparse for ambient leads."""
    if part.pattern == "sparse":
        density = 0.3
    else:
        density = float(np.clip(LEAD_DENSITY[spec.energy] * 100.0 / spec.bpm, 0.3, 1.8))
    beats = melody(rng, chords, scale, spec.tonic, part.center, density=density)
    return _to_seconds(spec, beats, swing, BASE_VELOCITY[spec.energy], rng)


def _to_seconds(
    spec: TrackSpec,
    beats: list[tuple[float, float, int]],
    swing: float,
    velocity: int,
    rng: np.random.Generator | None = None,
) -> list[Note]:
    """Turn ``(start_beat, length_beats, pitch)`` into timed notes, swinging off-beats."""
    beat_s = 60.0 / spec.bpm
    out: list[Note] = []
    for start, length, pitch in beats:
        t = start * beat_s
        if swing and abs(start % 1 - 0.5) < 1e-6:
            t += swing * beat_s / 4
        accent = 1.0 if start % 1 == 0 else 0.85
        jitter = 0.0 if rng is None else float(rng.normal(0, 4))
        vel = int(np.clip(velocity * accent + jitter, 20, 127))
        out.append((t, t + length * beat_s, int(pitch), vel))
    return out
