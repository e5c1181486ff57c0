"""Whether two files hold the same recording: their band spectrograms, aligned, compared.

An audio vector says two tracks *sound alike*; it cannot tell a lossy re-encode of a song
from another song in the same style (on short synthetic tracks a different song sat closer
than the song's own MP3). The spectrogram can: a re-encode keeps every note where it was,
so the log-energy in each band, frame by frame, correlates almost perfectly with the
original's once the encoder's few milliseconds of delay are aligned; another song's notes
fall elsewhere and correlate little.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from linernotes.tools.audio import load_audio

RATE = 11025
"""Decoding rate: bands up to 5.5 kHz hold the notes and beats, and decoding stays cheap."""
EXCERPT_S = 20.0
"""Seconds compared, from the middle of the shorter file."""
FRAME, HOP, BANDS = 1024, 512, 48
MAX_SHIFT = 8
"""Frames of misalignment tried either way (about 0.37 s: encoder delay and padding)."""


def band_spectrogram(y: np.ndarray) -> np.ndarray:
    """Log energy in ``BANDS`` log-spaced bands per frame, each band centred on its mean."""
    n = 1 + max(0, len(y) - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(y, FRAME)[::HOP][:n] * np.hanning(FRAME)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    edges = np.unique(np.geomspace(2, FRAME // 2, BANDS + 1).astype(int))
    bands = np.add.reduceat(power, edges[:-1], axis=1)
    logs = np.log10(bands + 1e-10)
    return logs - logs.mean(axis=0)


def same_audio_score(a: str | Path, b: str | Path, duration_s: float) -> float:
    """Best correlation (-1..1) of the two files' band spectrograms over small shifts.

    ``duration_s``: the shorter file's length; the excerpt is taken from its middle.
    """
    length = min(EXCERPT_S, duration_s)
    start = max(0.0, duration_s / 2 - length / 2)
    x = band_spectrogram(load_audio(a, RATE, offset_s=start, duration_s=length).samples)
    y = band_spectrogram(load_audio(b, RATE, offset_s=start, duration_s=length).samples)
    best = -1.0
    for shift in range(-MAX_SHIFT, MAX_SHIFT + 1):
        p, q = (x[shift:], y) if shift >= 0 else (x, y[-shift:])
        n = min(len(p), len(q))
        if n < 4:
            continue
        u, v = p[:n].ravel(), q[:n].ravel()
        denom = float(np.linalg.norm(u) * np.linalg.norm(v))
        if denom > 0:
            best = max(best, float(u @ v) / denom)
    return best
