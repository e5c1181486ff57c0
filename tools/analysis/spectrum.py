"""The one short-time spectrum every measurement shares, and the level/timbre statistics on it.

``tools.analysis.measure`` computes a single STFT (2048-point Hann, hop 512 at 22050 Hz, so 43
frames a second) and hands it to every estimator: recomputing spectra per feature is what
makes general-purpose toolkits slow. This module holds that spectrum, its mel projection,
and the measurements that are plain statistics of it: loudness, dynamics, brightness and
the harmonic/percussive split. scipy is imported where it is used (here, in ``rhythm`` and
``descriptor``): a text-only ``ask`` reads this module's constants and never pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

N_FFT = 2048
HOP = 512
N_MELS = 64
MEL_FMIN = 30.0
EPS = 1e-10
GATE_DB = -70.0  # absolute loudness gate (dBFS): frames below it are silence, not music
REL_GATE_DB = -20.0  # relative gate below the ungated mean, as in EBU R 128's integration
HPSS_BINS = 512  # bins below ~5.5 kHz take part in the harmonic/percussive split
# Median lengths are 9 (one sorting network): in time on every other frame (~0.4 s), and
# across 9 pooled bins (~190 Hz) in frequency.
# The classic 19-exchange median-of-9 network (Paeth, Graphics Gems; Devillard's
# opt_med9): after these compare-exchanges the median sits in slot 4.
_MED9 = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


@dataclass(frozen=True)
class Spectrum:
    """Magnitude spectrogram and its derived views, frames first.

    Attributes:
        sr: sample rate of the analysed samples.
        mag: (frames, bins) float32 STFT magnitudes.
        freqs: (bins,) centre frequency of each bin in Hz.
        mel: (frames, N_MELS) mel-band power.
        log_mel: (frames, N_MELS) mel-band power in dB, floored 80 dB below the peak.
        frame_power: (frames,) mean-square sample value of each frame (from Parseval).
    """

    sr: int
    mag: np.ndarray
    freqs: np.ndarray
    mel: np.ndarray
    log_mel: np.ndarray
    frame_power: np.ndarray

    @property
    def fps(self) -> float:
        """Frames per second."""
        return self.sr / HOP

    @property
    def frame_db(self) -> np.ndarray:
        """Per-frame level in dBFS (a full-scale sine reads -3 dB)."""
        return 10.0 * np.log10(self.frame_power + EPS)

    @cached_property
    def centroid(self) -> np.ndarray:
        """Spectral centroid of each frame in Hz (0 for a silent frame); computed once."""
        total = self.mag.sum(axis=1)
        return (self.mag @ self.freqs) / np.maximum(total, EPS)

    def loud_frames(self) -> np.ndarray:
        """Boolean mask of frames above the absolute gate; all True if none are."""
        mask = self.frame_db > GATE_DB
        return mask if mask.any() else np.ones_like(mask)


@lru_cache(maxsize=4)
def _window(n_fft: int) -> np.ndarray:
    """Periodic Hann window (cached: it is the same for every track)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


@lru_cache(maxsize=4)
def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float) -> np.ndarray:
    """Triangular filters on the HTK mel scale, (n_bins, n_mels), area-normalised.

    Area normalisation (Slaney-style) keeps a white noise flat across bands, so band
    levels compare across the spectrum rather than growing with filter width.
    """
    fmax = sr / 2.0
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_lo, mel_hi = 2595 * np.log10(1 + fmin / 700), 2595 * np.log10(1 + fmax / 700)
    hz = 700 * (10 ** (np.linspace(mel_lo, mel_hi, n_mels + 2) / 2595) - 1)
    lower, centre, upper = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    up = (freqs[None, :] - lower) / (centre - lower)
    down = (upper - freqs[None, :]) / (upper - centre)
    fb = np.maximum(0.0, np.minimum(up, down)) * (2.0 / (upper - lower))
    return np.ascontiguousarray(fb.T, dtype=np.float32)


def compute_spectrum(y: np.ndarray, sr: int) -> Spectrum:
    """Compute the shared STFT of centred frames and its mel and level views."""
    from scipy.fft import rfft

    pad = N_FFT // 2
    padded = np.pad(y.astype(np.float32, copy=False), pad)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    win = _window(N_FFT)
    spec = rfft(frames * win, axis=1)
    mag = np.abs(spec).astype(np.float32, copy=False)
    power = mag * mag
    # Parseval: the windowed frame's mean square from its one-sided spectrum.
    scale = np.full(power.shape[1], 2.0, np.float32)
    scale[0] = scale[-1] = 1.0
    frame_power = (power @ scale) / (N_FFT * N_FFT * float(np.mean(win * win)))
    mel = power @ mel_filterbank(sr, N_FFT, N_MELS, MEL_FMIN)
    log_mel = 10.0 * np.log10(mel + EPS)
    np.maximum(log_mel, log_mel.max() - 80.0, out=log_mel)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sr).astype(np.float32)
    return Spectrum(sr, mag, freqs, mel, log_mel, frame_power.astype(np.float64))


def loudness_db(s: Spectrum) -> float:
    """Gated integrated level in dBFS: mean power of the frames that carry music.

    Two gates as in EBU R 128 (absolute -70 dB, then -20 dB below the gated mean), on
    unweighted power, so long silences and fade tails do not pull the figure down.
    """
    p = s.frame_power[s.frame_db > GATE_DB]
    if p.size == 0:
        return float(10.0 * np.log10(np.mean(s.frame_power) + EPS))
    first = 10.0 * np.log10(np.mean(p) + EPS)
    kept = p[10.0 * np.log10(p + EPS) > first + REL_GATE_DB]
    return float(10.0 * np.log10(np.mean(kept if kept.size else p) + EPS))


def dynamics_db(s: Spectrum) -> float:
    """Loudness range: 95th minus 10th percentile of the ~0.4 s short-term level in dB."""
    from scipy.ndimage import uniform_filter1d

    short = uniform_filter1d(s.frame_power, size=max(1, round(0.4 * s.fps)), mode="nearest")
    db = 10.0 * np.log10(short + EPS)
    db = db[db > GATE_DB]
    if db.size < 4:
        return 0.0
    hi, lo = np.percentile(db, [95.0, 10.0])
    return float(max(0.0, hi - lo))


def median9(x: np.ndarray, axis: int) -> np.ndarray:
    """Running median of length 9 along ``axis`` (edges repeat the end values).

    A fixed sorting network of elementwise min/max over shifted copies: ~10x faster than
    ``scipy.ndimage.median_filter`` on these shapes, and exactly the same result.
    """
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    padded = np.concatenate([np.repeat(x[:1], 4, axis=0), x, np.repeat(x[-1:], 4, axis=0)])
    p = [padded[i : i + n] for i in range(9)]
    for i, j in _MED9:
        p[i], p[j] = np.minimum(p[i], p[j]), np.maximum(p[i], p[j])
    return np.moveaxis(p[4], 0, axis)


def percussive_share(s: Spectrum) -> tuple[float, np.ndarray]:
    """Share of percussive energy from median-filter HPSS on a reduced linear spectrogram.

    Harmonic sounds are horizontal ridges (smooth in time), percussive ones vertical
    (smooth across frequency); median filtering along each axis estimates both and soft
    Wiener masks split the energy (Fitzgerald 2010). To stay cheap it runs on the bins
    below ~5.5 kHz pooled in pairs (21.5 Hz, still finer than the partial spacing of a
    bass note, which a mel scale is not), and the harmonic estimate - smooth in time by
    definition - on every other frame.

    Returns:
        (percussive share 0-1, per-frame percussive share) - the latter feeds the descriptor.
    """
    n_frames = s.mag.shape[0]
    lin = s.mag[:, :HPSS_BINS].reshape(n_frames, HPSS_BINS // 2, 2).mean(axis=2)
    harm = np.repeat(median9(lin[::2], axis=0), 2, axis=0)[:n_frames]
    perc = median9(lin, axis=1)
    h2, p2 = harm * harm, perc * perc
    weighted = lin * (p2 / (h2 + p2 + EPS))
    total = float(lin.sum())
    share = float(weighted.sum() / total) if total > EPS else 0.0
    per_frame = weighted.sum(axis=1) / np.maximum(lin.sum(axis=1), EPS)
    return min(1.0, max(0.0, share)), per_frame.astype(np.float32)
