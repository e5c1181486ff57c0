"""Render MIDI instruments to stereo stems with a General MIDI SoundFont.

TinySoundFont (``tinysoundfont``) plays the SoundFont that ships inside the
``pretty_midi`` wheel (TimGM6mb.sf2, 6 MB), so no download is needed. Each instrument is
rendered on its own, event by event, so the mixer can level, pan, filter and saturate
every part separately; the output is deterministic (no randomness in the synthesizer).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pretty_midi

from linernotes.tools.errors import BackendUnavailable

DRUM_BANK = 128
KICKS = frozenset({35, 36})
KICK_PITCH: dict[int, float] = {
    0: 38.1,
    8: 38.1,
    16: 39.5,
    24: 40.7,
    25: 32.7,
    32: 38.1,
    40: 38.1,
    48: 46.2,
}
"""Measured pitch (MIDI) of each TimGM6mb drum kit's bass drum (note 36)."""


def kick_tuning(kit: int, tonic: int) -> float:
    """Semitones (-6..5) that put ``kit``'s bass drum on the key's tonic.

    Kicks are pitched (the 808's is an A): left alone, a four-on-the-floor kick adds a
    stray pitch class that pulls key estimates off; producers tune kicks to the key.
    """
    pitch = round(KICK_PITCH.get(kit, 38.1))
    return float((tonic - pitch + 6) % 12 - 6)


def soundfont_path() -> Path:
    """The GM SoundFont bundled with pretty_midi."""
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise BackendUnavailable(f"the General MIDI SoundFont is missing: {path}")
    return path


@lru_cache(maxsize=4)
def _synth(sample_rate: int) -> tuple[Any, int]:
    """A loaded synthesizer per sample rate (loading takes ~20 ms; keep one)."""
    try:
        import tinysoundfont
    except ModuleNotFoundError as e:
        raise BackendUnavailable(
            "the demo needs the 'synth' extra: pip install --no-deps 'tinysoundfont>=0.3.7'"
        ) from e
    synth = tinysoundfont.Synth(gain=-6.0, samplerate=sample_rate)
    sfid = synth.sfload(str(soundfont_path()), max_voices=24)
    return synth, sfid


def render_instrument(
    inst: pretty_midi.Instrument, n_samples: int, sample_rate: int, kick_shift: float = 0.0
) -> np.ndarray:
    """Render one instrument's notes to a ``(n_samples, 2)`` float32 stem.

    Drum kicks play on their own channel, retuned by ``kick_shift`` semitones. Note-offs
    come before note-ons at the same sample so a repeated note re-strikes.
    """
    synth, sfid = _synth(sample_rate)
    synth.sounds_off()  # voices end with a short fade: play it out so no stem inherits it
    synth.generate_simple(sample_rate // 10)
    if inst.is_drum:
        for chan in (9, 10):
            synth.program_select(chan, sfid, DRUM_BANK, inst.program, True)
            synth.set_tuning(chan, kick_shift if chan == 10 else 0.0)
    else:
        synth.program_select(0, sfid, 0, inst.program, False)
    events: list[tuple[int, int, int, int, int]] = []
    for note in inst.notes:
        chan = (10 if note.pitch in KICKS else 9) if inst.is_drum else 0
        on = int(round(note.start * sample_rate))
        off = max(on + 1, int(round(note.end * sample_rate)))
        events.append((on, 1, chan, note.pitch, note.velocity))
        events.append((off, 0, chan, note.pitch, 0))
    events.sort()
    out = np.zeros(2 * n_samples, dtype=np.float32)
    view = memoryview(out.data).cast("B")  # tinysoundfont renders into raw bytes
    pos = 0
    for sample, kind, chan, pitch, velocity in events:
        sample = min(sample, n_samples)
        if sample > pos:
            synth.generate_simple(sample - pos, buffer=view[8 * pos : 8 * sample])
            pos = sample
        if kind:
            synth.noteon(chan, pitch, velocity)
        else:
            synth.noteoff(chan, pitch)
    if pos < n_samples:
        synth.generate_simple(n_samples - pos, buffer=view[8 * pos : 8 * n_samples])
    return out.reshape(n_samples, 2)
