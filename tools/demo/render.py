"""Render one planned track to mastered stereo samples: compose, synthesise, sing, mix."""

from __future__ import annotations

import numpy as np

from linernotes.tools.demo.compose import compose
from linernotes.tools.demo.mix import (
    DRUMS_DB,
    HIGHPASS_ROLES,
    LOUDNESS_DB,
    drive,
    filt,
    level,
    master,
    pan,
    reverb,
    vinyl,
)
from linernotes.tools.demo.plan import TrackSpec, style_named
from linernotes.tools.demo.synth import kick_tuning, render_instrument
from linernotes.tools.demo.voice import sing

SAMPLE_RATE = 22050
VOICE_DB = {"low": 4.0, "medium": 4.0, "high": 7.0}
"""The singer's level over a part at 0 dB: a lead vocal sits on top of the band (and
must be louder still to cut through a dense, loud high-energy arrangement)."""


def render_track(spec: TrackSpec, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Return the track as ``(n, 2)`` float32 in [-1, 1], deterministic in ``spec``."""
    style = style_named(spec.style)
    comp = compose(spec)
    rng = np.random.default_rng([*spec.seed, 7])
    n = int(round(comp.duration_s * sample_rate))
    dry = np.zeros((n, 2), dtype=np.float32)
    send = np.zeros(n, dtype=np.float32)
    for inst, part in zip(comp.midi.instruments, comp.parts, strict=True):
        shift = kick_tuning(part.program, spec.tonic) if part.is_drum else 0.0
        stem = render_instrument(inst, n, sample_rate, shift)
        if part.role in HIGHPASS_ROLES:
            stem = filt(stem, "highpass", 110.0, sample_rate)
        if part.lowpass_hz:
            stem = filt(stem, "lowpass", part.lowpass_hz, sample_rate)
        stem = drive(level(stem), part.drive)
        gain_db = part.gain_db + (DRUMS_DB[spec.energy] if part.is_drum else 0.0)
        stem = pan(stem, part.pan) * float(10 ** (gain_db / 20))
        dry += stem
        send += stem.mean(axis=1) * part.send
    if comp.sung is not None and spec.voice is not None:
        voice = sing(comp.sung, n, sample_rate, spec.voice.formant_scale, rng)
        voice = level(voice) * float(10 ** (VOICE_DB[spec.energy] / 20))
        dry += pan(voice, 0.0)
        send += voice * 0.35
    rt60 = style.reverb[1] * float(rng.uniform(0.8, 1.2))
    mix = dry + (reverb(send, rt60, sample_rate, rng) * (style.reverb[0] * 1.5)).astype(np.float32)
    if style.vinyl:
        rms = float(np.sqrt(np.mean(mix**2)))
        mix += (vinyl(n, sample_rate, rng)[:, None] * (rms * 0.5)).astype(np.float32)
    target_db = float(rng.uniform(*LOUDNESS_DB[spec.energy]))
    lowpass = float(rng.uniform(*style.lowpass_hz)) if style.lowpass_hz else None
    bus = style.master_drive if spec.energy == "high" else 0.0
    return master(mix, target_db, sample_rate, bus_drive=bus, lowpass_hz=lowpass)
