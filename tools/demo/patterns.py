"""Bar patterns: what drums, bass and chord instruments play in one bar, by name.

Drum patterns live in ``drums.py``; this module holds the harmonic ones (diatonic
voicings of the bar's chord, bass lines on its root) and the ``PATTERNS`` registry that
the style table names.
"""

from __future__ import annotations

from collections.abc import Callable

from linernotes.tools.demo.bar import BASE_VELOCITY, CRASH, KICK, BarContext, Note
from linernotes.tools.demo.drums import (
    boom_bap,
    boom_bap_soft,
    dnb,
    folk_perc,
    four_floor,
    four_floor_min,
    jazz_brush,
    jazz_swing,
    metal,
    one_drop,
    orch_perc,
    pop,
    punk,
)
from linernotes.tools.demo.theory import nearest

__all__ = ["BASE_VELOCITY", "CRASH", "KICK", "PATTERNS", "BarContext", "Note"]

# ---- pitched patterns ------------------------------------------------------------------


def _repeat(ctx: BarContext, every: int, length: float, size: int = 4) -> None:
    notes = ctx.chord_notes(size)
    for step in range(0, 16, every):
        accent = 1.0 if step % 4 == 0 else 0.8
        for p in notes:
            ctx.hit(step, length, p, accent)


def pad(ctx: BarContext) -> None:
    """Sustained chord for the whole bar."""
    _repeat(ctx, 16, 16.4)


def half(ctx: BarContext) -> None:
    """Two half-note chords."""
    _repeat(ctx, 8, 7.6)


def quarters(ctx: BarContext) -> None:
    """Four detached quarter-note chords."""
    _repeat(ctx, 4, 3.2)


def eighths(ctx: BarContext) -> None:
    """Pulsing eighth-note chords, beats accented."""
    _repeat(ctx, 2, 1.6, size=3)


def tremolo(ctx: BarContext) -> None:
    """Sixteenth-note string ostinato (epic orchestral drive)."""
    _repeat(ctx, 1, 0.9, size=3)


def stabs(ctx: BarContext) -> None:
    """Short off-beat chords (techno, drum and bass)."""
    for step in (2, 6, 10, 14):
        for p in ctx.chord_notes(3):
            ctx.hit(step, 0.8, p, 0.85)


def skank(ctx: BarContext) -> None:
    """Reggae chop: short chords on beats 2 and 4."""
    for step in (4, 12):
        for p in ctx.chord_notes(3):
            ctx.hit(step, 1.0, p, 0.9)


def bubble(ctx: BarContext) -> None:
    """Reggae organ bubble: low and high chord tones on the off-beat sixteenths."""
    low, *high = ctx.chord_notes(3)
    for step in (2, 6, 10, 14):
        ctx.hit(step, 0.9, low, 0.6)
        for p in high:
            ctx.hit(step + 1, 0.9, p, 0.55)


def comp(ctx: BarContext) -> None:
    """Jazz comping: two or three syncopated chords from a handful of figures."""
    figures = (
        ((0, 6), (10, 4)),
        ((2, 4), (8, 6)),
        ((0, 3), (6, 2), (12, 4)),
        ((0, 4), (14, 2)),
        ((4, 4), (10, 4)),
    )
    for step, length in figures[int(ctx.rng.integers(len(figures)))]:
        for p in ctx.chord_notes(4):
            ctx.hit(step, length, p, 0.85)


def strum(ctx: BarContext, steps: tuple[int, ...] = (0, 4, 6, 10, 12, 14)) -> None:
    """Guitar strums (down on beats, up on off-beats), strings spread by 10 ms."""
    notes = ctx.chord_notes(5, ctx.center)
    for i, step in enumerate(steps):
        nxt = steps[i + 1] if i + 1 < len(steps) else 16
        order = notes if step % 4 == 0 else notes[::-1]
        accent = 1.0 if step % 8 == 0 else 0.85 if step % 4 == 0 else 0.65
        for j, p in enumerate(order):
            ctx.hit(step + j * 0.010 / ctx.step_s, nxt - step, p, accent)


def strum8(ctx: BarContext) -> None:
    """Eighth-note strums (punk rhythm guitar)."""
    strum(ctx, tuple(range(0, 16, 2)))


def power8(ctx: BarContext) -> None:
    """Power chords (root, fifth, octave) on every eighth, beats accented."""
    root = ctx.bass(ctx.chord.root)
    for step in range(0, 16, 2):
        for p in (
            root,
            root + 7 if ctx.chord.fifth == (ctx.chord.root + 7) % 12 else root + 6,
            root + 12,
        ):
            ctx.hit(step, 1.7, p, 1.0 if step % 4 == 0 else 0.85)


def riff(ctx: BarContext) -> None:
    """Metal riff: palm-muted sixteenth chugs on the root and accented power chords.

    A minor-third/sixth answer on the last eighth makes the mode audible.
    """
    root = ctx.bass(ctx.chord.root)
    third = root + (ctx.chord.pcs[1] - ctx.chord.root) % 12
    for step in range(14):
        if step % 4 == 0:
            for p in (root, root + 7, root + 12) if step != 8 else (root, third, root + 12):
                ctx.hit(step, 1.8, p, 1.0)
        elif step % 4 != 2 or ctx.bpm <= 130:
            ctx.hit(step, 0.7, root, 0.7)
    ctx.hit(14, 1.8, third + 12, 0.9)


def riff_bass(ctx: BarContext) -> None:
    """Bass under a metal riff: the root on the riff's chugs and accents."""
    root = ctx.bass(ctx.chord.root)
    for step in range(0, 14, 1 if ctx.bpm <= 130 else 2):
        ctx.hit(step, 0.9, root, 1.0 if step % 4 == 0 else 0.75)
    ctx.hit(14, 1.8, root, 0.8)


def fingerpick(ctx: BarContext) -> None:
    """Travis-style picking: alternating bass on the beats, chord tones between."""
    low = ctx.bass(ctx.chord.root) - 12
    basses = (low, nearest(ctx.chord.fifth, low + 5))
    upper = ctx.chord_notes(3, ctx.center + 7)
    for beat in range(4):
        ctx.hit(beat * 4, 7, basses[beat % 2], 1.0)
        ctx.hit(beat * 4 + 2, 5, upper[(beat + 1) % 3], 0.5)


def arpeggio(ctx: BarContext, every: int) -> None:
    """Chord tones rising over two octaves, one every ``every`` sixteenths."""
    tones = ctx.chord_notes(3)
    line = tones + [p + 12 for p in tones]
    for i, step in enumerate(range(0, 16, every)):
        accent = 1.0 if step == 0 else 0.8 if step % 4 == 0 else 0.6
        ctx.hit(step, every * 1.5, line[i % len(line)], accent)


def chord_line(ctx: BarContext, k: int) -> None:
    """One chord tone (third or fifth) for an inner string part, re-bowed each beat."""
    pitch = nearest(ctx.chord.pcs[k % len(ctx.chord.pcs)], ctx.center)
    every = 2 if ctx.energy != "low" and ctx.bpm >= 90 else 4
    for step in range(0, 16, every):
        ctx.hit(step, every * 0.9, pitch, 0.9 if step % 8 == 0 else 0.75)


# ---- bass patterns ---------------------------------------------------------------------


def _root_every(ctx: BarContext, every: int, length: float) -> None:
    root = ctx.bass(ctx.chord.root)
    for step in range(0, 16, every):
        ctx.hit(step, length, root, 1.0 if step % 4 == 0 else 0.85)


def octave_eighths(ctx: BarContext) -> None:
    """Synth-pop bass: root and its octave alternating on eighths."""
    root = ctx.bass(ctx.chord.root)
    for i, step in enumerate(range(0, 16, 2)):
        ctx.hit(step, 1.6, root + 12 * (i % 2), 1.0 if step % 4 == 0 else 0.8)


def root_fifth(ctx: BarContext) -> None:
    """Country/folk bass: root on 1, fifth below on 3."""
    root = ctx.bass(ctx.chord.root)
    ctx.hit(0, 7, root, 1.0)
    ctx.hit(8, 7, nearest(ctx.chord.fifth, root - 4), 0.9)


def walking(ctx: BarContext) -> None:
    """Walking bass: root, chord tone, chord tone, then a scale step into the next root."""
    root = ctx.bass(ctx.chord.root)
    target = ctx.bass(ctx.next_chord.root)
    pool = [p for p in range(root - 5, root + 13) if p % 12 in ctx.scale]
    tones = [p for p in pool if p % 12 in ctx.chord.pcs and p != root]
    line = [root, int(ctx.rng.choice(tones)), int(ctx.rng.choice(tones))]
    above = min((p for p in pool if p > target), default=target + 2)
    below = max((p for p in pool if p < target), default=target - 1)
    line.append(above if ctx.rng.random() < 0.5 else below)
    for beat, p in enumerate(line):
        ctx.hit(beat * 4, 3.6, p, 1.0 if beat % 2 == 0 else 0.9)


def lofi_bass(ctx: BarContext) -> None:
    """Hip-hop bass: root on 1, a syncopated root or fifth, a walk-up on the last eighth."""
    root = ctx.bass(ctx.chord.root)
    ctx.hit(0, 6, root, 1.0)
    ctx.hit(10, 3, root if ctx.rng.random() < 0.5 else nearest(ctx.chord.fifth, root + 3))
    ctx.hit(14, 2, nearest(ctx.chord.pcs[1], root + 2), 0.8)


def offbeat_bass(ctx: BarContext) -> None:
    """Techno bass on the off-beat eighths (between the kicks)."""
    root = ctx.bass(ctx.chord.root)
    for step in (2, 6, 10, 14):
        ctx.hit(step, 1.5, root, 0.95)
    if ctx.energy == "high":
        ctx.hit(15, 0.8, root + 12, 0.7)


def sub(ctx: BarContext) -> None:
    """Drum-and-bass sub: half-note roots, the second an octave up every other bar."""
    root = ctx.bass(ctx.chord.root)
    ctx.hit(0, 7.5, root, 1.0)
    ctx.hit(8, 7.5, root if ctx.bar % 2 == 0 else root + 12, 0.9)


def reggae_bass(ctx: BarContext) -> None:
    """Reggae bass line: root, a rest, then third and fifth answers."""
    root = ctx.bass(ctx.chord.root)
    third = nearest(ctx.chord.pcs[1], root + 4)
    fifth = nearest(ctx.chord.fifth, root + 7)
    for step, p, length in (
        (0, root, 5),
        (6, root, 2),
        (8, fifth, 3),
        (12, third, 2),
        (14, root, 2),
    ):
        ctx.hit(step, length, p, 1.0 if step % 8 == 0 else 0.85)


def cello(ctx: BarContext) -> None:
    """Cello: half-note roots when calm, root-fifth quarters when moving."""
    root = ctx.bass(ctx.chord.root)
    if ctx.energy == "low":
        for step in (0, 8):
            ctx.hit(step, 7.6, root, 1.0 if step == 0 else 0.85)
        return
    fifth = nearest(ctx.chord.fifth, root + 7)
    for step, p in zip((0, 4, 8, 12), (root, fifth, root, fifth), strict=True):
        ctx.hit(step, 3.4, p, 1.0 if step % 8 == 0 else 0.85)


def drone(ctx: BarContext) -> None:
    """Tonic and fifth of the key, re-struck every two bars (ambient ground)."""
    if ctx.bar % 2:
        return
    low = nearest(ctx.tonic, ctx.center)
    for p in (low, low + 7):
        ctx.hit(0, 32.4, p, 0.9)


def timpani(ctx: BarContext) -> None:
    """Timpani on every beat (tonic and dominant); a roll into each phrase at high energy."""
    low = nearest(ctx.tonic, ctx.center)
    fifth = low + 7 if low + 7 < 55 else low - 5
    for step, pitch, accent in ((0, low, 1.0), (4, low, 0.6), (8, fifth, 0.85), (12, low, 0.6)):
        ctx.hit(step, 4, pitch, accent)
    if ctx.energy == "high" and ctx.phrase_end:
        for step in range(12, 16):
            ctx.hit(step, 1, low, 0.7)


def taiko(ctx: BarContext) -> None:
    """Taiko on the tonic: big hits on 1 and 3 with pick-ups."""
    low = nearest(ctx.tonic, ctx.center)
    for step, accent in ((0, 1.0), (6, 0.7), (8, 0.95), (12, 0.8), (14, 0.7)):
        ctx.hit(step, 2, low, accent)


PATTERNS: dict[str, Callable[[BarContext], None]] = {
    "boom_bap": boom_bap,
    "boom_bap_soft": boom_bap_soft,
    "four_floor": four_floor,
    "four_floor_min": four_floor_min,
    "pop": pop,
    "punk": punk,
    "metal": metal,
    "dnb": dnb,
    "one_drop": one_drop,
    "jazz_swing": jazz_swing,
    "jazz_brush": jazz_brush,
    "folk_perc": folk_perc,
    "orch_perc": orch_perc,
    "pad": pad,
    "half": half,
    "quarters": quarters,
    "eighths": eighths,
    "tremolo": tremolo,
    "stabs": stabs,
    "skank": skank,
    "bubble": bubble,
    "comp": comp,
    "strum": strum,
    "strum8": strum8,
    "power8": power8,
    "riff": riff,
    "riff_bass": riff_bass,
    "fingerpick": fingerpick,
    "arp8": lambda c: arpeggio(c, 2),
    "arp16": lambda c: arpeggio(c, 1),
    "arp_quarters": lambda c: arpeggio(c, 4),
    "line1": lambda c: chord_line(c, 1),
    "line2": lambda c: chord_line(c, 2),
    "root_half": lambda c: _root_every(c, 8, 7.6),
    "root_quarters": lambda c: _root_every(c, 4, 3.4),
    "root_eighths": lambda c: _root_every(c, 2, 1.7),
    "octave_eighths": octave_eighths,
    "root_fifth": root_fifth,
    "walking": walking,
    "lofi_bass": lofi_bass,
    "offbeat_bass": offbeat_bass,
    "sub": sub,
    "reggae_bass": reggae_bass,
    "cello": cello,
    "drone": drone,
    "timpani": timpani,
    "taiko": taiko,
}
