"""Keys, diatonic chords, progressions and melodies for the demo composer.

Everything here is diatonic to the labelled key, and built to make the key easy to hear:
progressions start on the tonic and return to it, the next-to-last bar is a cadence chord
and the last bar is the tonic, so a chroma/key-profile estimator finds the labelled key
and mode. Minor keys in classical, jazz and folk styles use the harmonic-minor dominant
(the raised seventh), as that music does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PITCH_NAMES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
STEPS: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}

# Scale degrees (0 = tonic) per family and mode; each cycle leans on the tonic.
PROGRESSIONS: dict[str, dict[str, tuple[tuple[int, ...], ...]]] = {
    "pop": {
        "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 0, 4), (0, 0, 3, 4)),
        "minor": ((0, 5, 6, 0), (0, 3, 0, 6), (0, 0, 5, 6), (0, 3, 5, 4)),
    },
    "folk": {
        "major": ((0, 3, 0, 4), (0, 3, 4, 0), (0, 4, 5, 3), (0, 0, 3, 4)),
        "minor": ((0, 6, 0, 4), (0, 3, 0, 4), (0, 5, 6, 0)),
    },
    "classical": {
        "major": ((0, 3, 4, 0), (0, 1, 4, 0), (0, 5, 4, 0), (0, 3, 0, 4)),
        "minor": ((0, 3, 4, 0), (0, 5, 4, 0), (0, 3, 0, 4)),
    },
    "jazz": {
        "major": ((0, 5, 1, 4), (0, 3, 1, 4), (0, 0, 1, 4)),
        "minor": ((0, 3, 1, 4), (0, 5, 3, 4), (0, 0, 3, 4)),
    },
    "modal": {
        "major": ((0, 0, 3, 0), (0, 3, 0, 4), (0, 0, 5, 3)),
        "minor": ((0, 0, 5, 0), (0, 0, 3, 0), (0, 3, 0, 6), (0, 5, 0, 6)),
    },
    "rock": {
        "major": ((0, 3, 4, 0), (0, 4, 5, 3), (0, 0, 3, 4), (0, 3, 0, 4)),
        "minor": ((0, 5, 6, 0), (0, 3, 0, 6), (0, 0, 5, 6)),
    },
    "metal": {
        "major": ((0, 3, 4, 0), (0, 0, 3, 4)),
        "minor": ((0, 0, 5, 6), (0, 5, 6, 0), (0, 0, 3, 5), (0, 3, 0, 5)),
    },
}
HARMONIC_MINOR_FAMILIES = frozenset({"classical", "jazz", "folk"})
SEVENTH_FAMILIES = frozenset({"jazz"})


@dataclass(frozen=True)
class Chord:
    """A diatonic chord: its scale degree, root pitch class and pitch classes (root first)."""

    degree: int
    root: int
    pcs: tuple[int, ...]

    @property
    def fifth(self) -> int:
        """Pitch class of the chord's fifth (a diatonic fifth, as power chords use)."""
        return self.pcs[2]


def scale_pcs(tonic: int, mode: str) -> tuple[int, ...]:
    """Pitch classes of the key's diatonic (natural) scale, tonic first."""
    return tuple((tonic + s) % 12 for s in STEPS[mode])


def make_chord(tonic: int, mode: str, degree: int, *, seventh: bool, harmonic: bool) -> Chord:
    """Stack diatonic thirds on ``degree``; raise the leading tone in a harmonic-minor V."""
    scale = scale_pcs(tonic, mode)
    pcs = [scale[(degree + k) % 7] for k in ((0, 2, 4, 6) if seventh else (0, 2, 4))]
    if harmonic and mode == "minor" and degree == 4:
        pcs[1] = (pcs[1] + 1) % 12  # leading tone
    return Chord(degree, pcs[0], tuple(pcs))


def chord_plan(
    family: str, tonic: int, mode: str, n_bars: int, chord_bars: int, rng: np.random.Generator
) -> list[Chord]:
    """One chord per bar: a looped progression, a cadence chord, then the tonic."""
    options = PROGRESSIONS[family][mode]
    cycle = options[int(rng.integers(len(options)))]
    harmonic = family in HARMONIC_MINOR_FAMILIES
    seventh = family in SEVENTH_FAMILIES
    degrees = [cycle[(bar // chord_bars) % len(cycle)] for bar in range(n_bars)]
    if n_bars >= 3:
        natural_minor = mode == "minor" and not harmonic
        degrees[-2] = 6 if natural_minor and family in ("modal", "rock", "metal") else 4
    degrees[-1] = 0
    return [make_chord(tonic, mode, d, seventh=seventh, harmonic=harmonic) for d in degrees]


def nearest(pc: int, center: float) -> int:
    """The MIDI pitch of pitch class ``pc`` closest to ``center``."""
    base = int(round(center)) - 6
    return base + (pc - base) % 12


def voicing(chord: Chord, center: int, size: int = 3) -> list[int]:
    """Close voicing of ``size`` notes from the root nearest a fifth below ``center``.

    A fourth note on a triad doubles the third (not the root): the third carries the
    mode, and bright timbres' harmonics already reinforce roots and fifths.
    """
    root = nearest(chord.root, center - 5)
    pcs = chord.pcs if len(chord.pcs) > 3 else (*chord.pcs, chord.pcs[1])
    notes = [root]
    k = 1
    while len(notes) < size:
        pc = pcs[k % len(pcs)]
        notes.append(notes[-1] + 1 + (pc - notes[-1] - 1) % 12)
        k += 1
    return notes


def melody(
    rng: np.random.Generator,
    chords: list[Chord],
    scale: tuple[int, ...],
    tonic: int,
    center: int,
    *,
    density: float,
    start_bar: int = 1,
    rest_beats: float = 1.0,
) -> list[tuple[float, float, int]]:
    """Compose a phrased melody: ``(start_beat, length_beats, pitch)`` triples.

    Two-bar phrases reuse one or two rhythmic motifs (so the line sounds composed and its
    rhythm agrees with the beat), strong beats take chord tones, other notes move by
    step, phrases breathe for ``rest_beats`` and the last note is the tonic.

    Args:
        rng: the track's random generator.
        chords: chord per bar.
        scale: pitch classes of the key.
        tonic: tonic pitch class.
        center: centre of the register (MIDI pitch); the line stays within about a tenth.
        density: average notes per beat (0.25 sparse .. 2 busy).
        start_bar: first bar with melody (the intro is left to the band).
        rest_beats: silence at the end of each phrase.
    """
    n_bars = len(chords)
    pool = [p for p in range(center - 8, center + 10) if p % 12 in scale]
    motifs = [_motif(rng, density, 8.0 - rest_beats) for _ in range(2)]
    notes: list[tuple[float, float, int]] = []
    prev = nearest(tonic, center)
    anchors = (tonic, scale[2])
    for phrase, bar0 in enumerate(range(start_bar, n_bars - 1, 2)):
        rhythm = motifs[0] if phrase % 4 != 2 else motifs[1]
        for onset, length in rhythm:
            bar = bar0 + int(onset // 4)
            if bar >= n_bars - 1:
                break
            chord = chords[bar]
            strong = onset % 2 == 0
            if strong:  # chord tones, leaning on the key's tonic and third (its mode)
                targets = [p for p in pool if p % 12 in chord.pcs] or pool
            else:
                i = min(range(len(pool)), key=lambda j: abs(pool[j] - prev))
                step = int(rng.choice((-2, -1, -1, 1, 1, 2)))
                targets = [pool[min(max(i + step, 0), len(pool) - 1)]]
            weights = (
                np.array(
                    [(2.0 if p % 12 in anchors else 1.0) / (1.0 + abs(p - prev)) for p in targets]
                )
                ** 1.5
            )
            prev = int(targets[int(rng.choice(len(targets), p=weights / weights.sum()))])
            notes.append((bar0 * 4.0 + onset, length, prev))
    final = nearest(tonic, center)
    notes.append(((n_bars - 1) * 4.0, 3.5, final))
    return notes


def _motif(rng: np.random.Generator, density: float, span: float) -> list[tuple[float, float]]:
    """A rhythm over two bars: ``(onset_beat, length_beats)`` on an eighth-note grid."""
    grid = np.arange(0.0, span, 0.5)
    p_on = np.clip(density / 2.0, 0.1, 0.95)
    on = [0.0] + [
        float(t) for t in grid[1:] if rng.random() < (p_on * (1.4 if t % 1 == 0 else 0.7))
    ]
    out = []
    for i, t in enumerate(on):
        end = on[i + 1] if i + 1 < len(on) else span
        out.append((t, min(end - t, 2.0) * 0.92))
    return out
