"""Drum patterns: kick and snare (or ride, or hats) on the beat.

They put the beat where a beat tracker hears it, so the labelled tempo is the tempo a
listener (and ``tools.analysis.measure``) measures.
"""

from __future__ import annotations

from linernotes.tools.demo.bar import (
    CLAP,
    E_SNARE,
    HAT,
    KICK,
    OPEN_HAT,
    PEDAL_HAT,
    RIDE,
    RIM,
    SHAKER,
    SNARE,
    TAMB,
    BarContext,
    _drums,
    _eighths,
    _fill,
)


def boom_bap(ctx: BarContext) -> None:
    """Hip-hop: kick 1 and the and-of-3, snare 2 and 4, swung eighth hats."""
    grid = {KICK: [(0, 1.0), (7, 0.6), (10, 0.9)], SNARE: [(4, 1.0), (12, 1.0)]}
    _drums(grid | _eighths(HAT, 0.7, 0.5), ctx)


def boom_bap_soft(ctx: BarContext) -> None:
    """Soft hip-hop: kick, rim click on 2 and 4, quarter hats, all quiet."""
    grid = {
        KICK: [(0, 0.7), (10, 0.6)],
        RIM: [(4, 0.7), (12, 0.7)],
        HAT: [(0, 0.5), (4, 0.4), (8, 0.5), (12, 0.4)],
    }
    _drums(grid, ctx)


def four_floor(ctx: BarContext) -> None:
    """Dance: kick every beat, clap 2 and 4, sixteenth hats, off-beat open hats."""
    grid = {
        KICK: [(s, 1.0) for s in (0, 4, 8, 12)],
        CLAP: [(4, 0.9), (12, 0.9)],
        HAT: [(s, 0.6 if s % 4 else 0.75) for s in range(16) if s % 4 != 2],
        OPEN_HAT: [(s, 0.7) for s in (2, 6, 10, 14)],
    }
    _drums(grid, ctx)
    if ctx.energy == "high" and ctx.phrase_end:
        for s in (13, 14, 15):
            ctx.hit(s, 1, CLAP, 0.7)


def four_floor_min(ctx: BarContext) -> None:
    """Minimal dance: kick every beat, off-beat hats, a soft clap on 2 and 4."""
    grid = {
        KICK: [(s, 1.0) for s in (0, 4, 8, 12)],
        CLAP: [(4, 0.6), (12, 0.6)],
        HAT: [(s, 0.6) for s in (2, 6, 10, 14)],
    }
    _drums(grid, ctx)


def pop(ctx: BarContext) -> None:
    """Pop backbeat: kick 1, 3 and the and-of-3, snare 2 and 4, eighth hats."""
    grid = {KICK: [(0, 1.0), (8, 0.95), (10, 0.7)], E_SNARE: [(4, 1.0), (12, 1.0)]}
    _drums(grid | _eighths(HAT, 0.75, 0.55), ctx)


def punk(ctx: BarContext) -> None:
    """Punk: kick 1 and 3, snare 2 and 4, loud eighth hats, fills every fourth bar."""
    grid = {KICK: [(0, 1.0), (8, 1.0)], SNARE: [(4, 1.0), (12, 1.0)]}
    _drums(grid | _eighths(HAT, 0.9, 0.7), ctx)
    if ctx.phrase_end:
        _fill(ctx, toms=False)


def metal(ctx: BarContext) -> None:
    """Metal: double-kick sixteenths (eighths when fast), snare 2 and 4, ride on beats."""
    kicks = range(16) if ctx.bpm <= 130 else range(0, 16, 2)
    grid = {
        KICK: [(s, 0.9 if s % 4 == 0 else 0.75) for s in kicks],
        SNARE: [(4, 1.0), (12, 1.0)],
        RIDE: [(s, 1.0) for s in (0, 4, 8, 12)],
    }
    _drums(grid, ctx)
    if ctx.phrase_end:
        _fill(ctx)


def dnb(ctx: BarContext) -> None:
    """Drum and bass two-step: kick 1 and the and-of-3, snare 2 and 4, eighth hats."""
    grid = {
        KICK: [(0, 1.0), (10, 0.6)],
        SNARE: [(4, 0.85), (12, 0.85)],
        RIDE: [(s, 1.0) for s in (0, 4, 8, 12)],
        PEDAL_HAT: [(8, 0.8)],
    }
    _drums(grid | _eighths(HAT, 0.9, 0.4), ctx)
    if ctx.energy == "high" and ctx.phrase_end:
        _fill(ctx, toms=False)


def one_drop(ctx: BarContext) -> None:
    """Reggae: kick and rim on 3, hi-hat on every beat (soft off-beats), open hat on 4-and."""
    grid = {
        KICK: [(8, 1.0)],
        RIM: [(8, 0.9), (4, 0.5), (12, 0.5)],
        HAT: [(s, 0.85 if s % 4 == 0 else 0.3) for s in range(0, 16, 2)],
        OPEN_HAT: [(14, 0.4)],
    }
    _drums(grid, ctx)


def jazz_swing(ctx: BarContext) -> None:
    """Swing: ride 'ding ding-a', hi-hat foot on 2 and 4, feathered kick, ghost snares."""
    grid = {
        RIDE: [(0, 0.8), (4, 0.9), (6, 0.6), (8, 0.8), (12, 0.9), (14, 0.6)],
        PEDAL_HAT: [(4, 0.7), (12, 0.7)],
        KICK: [(s, 0.3) for s in (0, 4, 8, 12)],
    }
    _drums(grid, ctx)
    for step in (2, 10, 14):
        if ctx.rng.random() < 0.35:
            ctx.hit(step, 1, SNARE, 0.35)


def jazz_brush(ctx: BarContext) -> None:
    """Brushes: soft ride pattern, taps on 2 and 4, hi-hat foot."""
    grid = {
        RIDE: [(0, 0.55), (4, 0.6), (6, 0.4), (8, 0.55), (12, 0.6), (14, 0.4)],
        SNARE: [(4, 0.5), (12, 0.5)],
        PEDAL_HAT: [(4, 0.5), (12, 0.5)],
        KICK: [(0, 0.3), (8, 0.3)],
    }
    _drums(grid, ctx)


def folk_perc(ctx: BarContext) -> None:
    """Folk: soft kick 1 and 3, side-stick 2 and 4, tambourine backbeat, shaker eighths."""
    grid = {KICK: [(0, 0.7), (8, 0.65)], RIM: [(4, 0.7), (12, 0.7)], TAMB: [(4, 0.6), (12, 0.6)]}
    _drums(grid | _eighths(SHAKER, 0.5, 0.35), ctx)


def orch_perc(ctx: BarContext) -> None:
    """Orchestral kit: bass drum 1 and 3, snare eighths, cymbal clash each phrase."""
    grid = {
        KICK: [(0, 1.0), (8, 0.9)],
        SNARE: [(s, 0.7 if s % 4 else 0.85) for s in range(0, 16, 2)],
    }
    _drums(grid, ctx)
