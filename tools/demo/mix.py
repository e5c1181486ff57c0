"""Mix stems into a mastered stereo track: levels, pan, saturation, EQ, reverb, loudness.

Every stem is first levelled by its active loudness, so mix levels mean the same thing
whatever the SoundFont's preset gains; then the energy label is made audible: drums sit
lower in low-energy tracks, high-energy buses are saturated, and each track is mastered
to a loudness drawn from its energy band (``LOUDNESS_DB``), not to one common level.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

LOUDNESS_DB: dict[str, tuple[float, float]] = {
    "low": (-27.0, -23.0),
    "medium": (-19.0, -16.0),
    "high": (-13.0, -10.5),
}
"""Mastered RMS level (dBFS, both channels) range per energy level."""
DRUMS_DB: dict[str, float] = {"low": -8.0, "medium": -2.0, "high": 1.0}
"""Drum level relative to the band, per energy level."""
STEM_RMS = 0.1  # -20 dBFS: where each stem is levelled before its mix gain
PEAK_CEILING = 0.97
HIGHPASS_ROLES = frozenset({"chords", "pad", "arp", "lead", "voice double"})


def level(stem: np.ndarray, target: float = STEM_RMS) -> np.ndarray:
    """Scale a stem so its loud half (50 ms frames) has RMS ``target``; silence stays."""
    mono = stem.mean(axis=1) if stem.ndim == 2 else stem
    hop = 1024
    n = len(mono) // hop
    if n == 0:
        return stem
    power = np.sort((mono[: n * hop].reshape(n, hop) ** 2).mean(axis=1))[n // 2 :]
    rms = float(np.sqrt(power.mean()))
    return stem if rms < 1e-7 else stem * float(target / rms)


def pan(stem: np.ndarray, position: float) -> np.ndarray:
    """Constant-power balance: -1 left .. 0 centre (unchanged) .. 1 right."""
    angle = (np.clip(position, -1, 1) + 1) * np.pi / 4
    gains = (np.sqrt(2) * np.array([np.cos(angle), np.sin(angle)])).astype(stem.dtype)
    stereo = stem if stem.ndim == 2 else np.stack([stem, stem], axis=1)
    return stereo * gains


def drive(stem: np.ndarray, amount: float) -> np.ndarray:
    """Tanh saturation (amount 1 = warm, 2.5 = heavy), re-levelled afterwards."""
    if amount <= 0:
        return stem
    return level(np.tanh(stem * float(amount * 4.0)))


def filt(x: np.ndarray, kind: str, hz: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth high- or low-pass along time."""
    sos = signal.butter(order, hz, kind, fs=sr, output="sos").astype(x.dtype)
    return signal.sosfilt(sos, x, axis=0)


def reverb(send: np.ndarray, rt60: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo room: convolve the mono send with decaying, darkened noise (one per side)."""
    length = int(min(rt60, 3.0) * sr)
    decay = np.exp(-6.9 * np.arange(length) / sr / rt60)
    predelay = int(0.015 * sr)
    size = sp_fft.next_fast_len(len(send) + length + predelay, real=True)
    spectrum = sp_fft.rfft(send.astype(np.float32), size)
    wet = []
    for _ in range(2):
        ir = filt(rng.standard_normal(length) * decay, "lowpass", 5000.0, sr)
        ir = np.concatenate([np.zeros(predelay), ir / np.sqrt(np.sum(ir**2))])
        wet.append(sp_fft.irfft(spectrum * sp_fft.rfft(ir.astype(np.float32), size), size))
    return np.stack(wet, axis=1)[: len(send)]


def vinyl(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Record-surface noise: sparse clicks plus a faint hiss, mono (n,), unit scale."""
    clicks = np.zeros(n)
    idx = rng.integers(0, n, size=int(8 * n / sr))
    clicks[idx] = rng.uniform(-1, 1, size=len(idx))
    clicks = filt(clicks, "lowpass", 6000.0, sr)
    hiss = filt(rng.standard_normal(n), "lowpass", 8000.0, sr) * 0.03
    return clicks + hiss


def master(
    mix: np.ndarray,
    target_db: float,
    sr: int,
    *,
    bus_drive: float = 0.0,
    lowpass_hz: float | None = None,
) -> np.ndarray:
    """Bus saturation, tone, fades, then loudness to ``target_db`` under a soft ceiling."""
    y = filt(mix, "highpass", 30.0, sr)
    if lowpass_hz:
        y = filt(y, "lowpass", lowpass_hz, sr)
    if bus_drive > 0:
        peak = float(np.max(np.abs(y))) or 1.0
        y = np.tanh(y / peak * bus_drive) * peak
    fade_in, fade_out = int(0.005 * sr), int(0.6 * sr)
    y[:fade_in] *= np.linspace(0, 1, fade_in)[:, None]
    y[-fade_out:] *= (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, fade_out)))[:, None]
    target = 10 ** (target_db / 20)
    for _ in range(6):  # loudness up, peaks softly limited, repeat until both hold
        rms = float(np.sqrt(np.mean(y**2))) or 1.0
        y = y * (target / rms)
        if np.max(np.abs(y)) <= PEAK_CEILING:
            break
        y = np.tanh(y / PEAK_CEILING) * PEAK_CEILING
    return np.clip(y, -1.0, 1.0).astype(np.float32)
