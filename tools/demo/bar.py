"""One bar being written: the drum-map constants, ``Note`` and ``BarContext``.

Every pattern is ``fn(bar_ctx) -> None`` and adds notes through ``BarContext.hit``. Times
are in sixteenth steps (0..15 in 4/4); swing delays the off-beat eighths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from linernotes.tools.demo.theory import Chord, nearest, voicing

KICK, RIM, SNARE, CLAP, E_SNARE = 36, 37, 38, 39, 40
HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 42, 44, 46, 49, 51
TAMB, SHAKER, TOM_L, TOM_M, TOM_H = 54, 70, 45, 47, 50
BASE_VELOCITY = {"low": 58, "medium": 88, "high": 114}

Note = tuple[float, float, int, int]  # start_s, end_s, pitch, velocity


@dataclass
class BarContext:
    """What a pattern knows while it writes one bar of one part."""

    bar: int
    n_bars: int
    chord: Chord
    next_chord: Chord
    tonic: int
    scale: tuple[int, ...]
    center: int
    energy: str
    bpm: float
    swing: float
    humanize_s: float
    rng: np.random.Generator
    notes: list[Note] = field(default_factory=list)

    @property
    def step_s(self) -> float:
        """Length of a sixteenth in seconds."""
        return 15.0 / self.bpm

    def time(self, step: float) -> float:
        """Seconds at ``step`` sixteenths into this bar, swing applied."""
        t = (self.bar * 16 + step) * self.step_s
        if self.swing and step % 4 == 2:
            t += self.swing * self.step_s
        return t

    def hit(self, step: float, length: float, pitch: int, accent: float = 1.0) -> None:
        """Add a note ``length`` sixteenths long, its velocity set by energy and accent."""
        jitter = self.rng.normal(0.0, self.humanize_s) if self.humanize_s else 0.0
        start = max(0.0, self.time(step) + jitter)
        end = start + max(length * self.step_s, 0.03)
        vel = BASE_VELOCITY[self.energy] * accent + self.rng.normal(0.0, 4.0)
        self.notes.append((start, end, int(pitch), int(np.clip(vel, 12, 127))))

    def chord_notes(self, size: int = 4, center: int | None = None) -> list[int]:
        """A close voicing of the bar's chord around ``center`` (default: the part's)."""
        return voicing(self.chord, self.center if center is None else center, size)

    def bass(self, pc: int) -> int:
        """Pitch of pitch class ``pc`` in the part's (bass) register."""
        return nearest(pc, self.center)

    @property
    def phrase_end(self) -> bool:
        """Last bar of a four-bar phrase (where drummers fill)."""
        return self.bar % 4 == 3


def _drums(grid: dict[int, list[tuple[int, float]]], ctx: BarContext) -> None:
    for pitch, hits in grid.items():
        for step, accent in hits:
            ctx.hit(step, 1.0, pitch, accent)
    if ctx.energy == "high" and ctx.bar % 4 == 0:
        ctx.hit(0, 8.0, CRASH, 1.0)


def _eighths(pitch: int, on: float, off: float) -> dict[int, list[tuple[int, float]]]:
    return {pitch: [(s, on if s % 4 == 0 else off) for s in range(0, 16, 2)]}


def _fill(ctx: BarContext, toms: bool = True) -> None:
    """Replace the bar's last beat with a sixteenth-note fill."""
    ctx.notes[:] = [n for n in ctx.notes if n[0] < ctx.time(12) - 1e-6]
    ctx.hit(12, 1, SNARE, 0.9)  # keep the backbeat on beat 4
    for step, pitch in zip(
        (13, 14, 15), (TOM_H, TOM_M, TOM_L) if toms else (SNARE,) * 3, strict=True
    ):
        ctx.hit(step, 1, pitch, 0.8)
