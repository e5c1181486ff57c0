"""The fixed-length timbre/rhythm/harmony descriptor behind the offline acoustic embedding.

"Sounds similar" is mostly timbre (the spectral envelope and how it moves), then rhythm
(the onset pattern relative to the beat), then harmony (which scale degrees are used,
whatever the key). So the descriptor holds MFCC statistics (envelope shape; c0's mean,
plain loudness, is left out so mastering gain does not decide similarity), octave-band
spectral contrast (peaky instruments vs noisy textures), flatness and centroid spread,
the onset autocorrelation read at fixed fractions of the beat (tempo-free rhythm
shape), a chroma profile rotated to the detected tonic (transposition-free harmony) and
the percussive share over time. Every entry is finite and roughly unit-scaled; the
embedder standardises them with fixed constants.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from linernotes.tools.analysis.rhythm import RHYTHM_RATIOS, Rhythm
from linernotes.tools.analysis.spectrum import EPS, Spectrum
from linernotes.tools.analysis.tonal import PITCH_CLASSES, Tonality
from linernotes.tools.analysis.voice import VOICE_FEATURES

N_MFCC = 20
N_MFCC_STD = 13
CONTRAST_EDGES_HZ = (0.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0, 11025.0)
FRAME_STEP = 3  # slow statistics (contrast, flatness) read every 3rd frame: plenty
BASS_HZ, AIR_HZ = 150.0, 5000.0


def _names() -> tuple[str, ...]:
    names = [f"mfcc{i}_mean" for i in range(1, N_MFCC)]
    names += [f"mfcc{i}_std" for i in range(N_MFCC_STD)]
    names += [f"contrast{i}" for i in range(len(CONTRAST_EDGES_HZ) - 1)]
    names += ["flatness_mean", "flatness_std", "centroid_mean", "centroid_std", "rolloff"]
    names += ["bass_share", "air_share", "level_std"]
    names += [f"chroma_deg{i}" for i in range(12)] + ["chroma_entropy", "major"]
    names += [f"rhythm_{r:.2f}" for r in RHYTHM_RATIOS]
    names += ["log_tempo", "tempo_confidence", "log_onset_rate", "pulse_strength"]
    names += ["perc_mean", "perc_std"]
    names += [f"voice_{n}" for n in VOICE_FEATURES]
    return tuple(names)


DESCRIPTOR_NAMES: tuple[str, ...] = _names()
"""What each descriptor entry means, in order (the acoustic embedder groups by prefix)."""
DESCRIPTOR_DIM = len(DESCRIPTOR_NAMES)


def _contrast(s: Spectrum, loud: np.ndarray) -> np.ndarray:
    """Mean peak-minus-valley level (dB, top vs bottom fifth of bins) per octave band."""
    db = 20.0 * np.log10(s.mag[loud][::FRAME_STEP] + EPS)
    out = []
    for lo_hz, hi_hz in pairwise(CONTRAST_EDGES_HZ):
        band = db[:, (s.freqs >= lo_hz) & (s.freqs < max(hi_hz, lo_hz + 1))]
        if band.shape[1] < 5 or band.shape[0] == 0:
            out.append(0.0)
            continue
        srt = np.sort(band, axis=1)
        q = max(1, band.shape[1] // 5)
        out.append(float(np.mean(srt[:, -q:].mean(axis=1) - srt[:, :q].mean(axis=1))))
    return np.asarray(out) / 20.0


def _spectral_shape(s: Spectrum, loud: np.ndarray) -> np.ndarray:
    """Flatness, centroid and roll-off statistics, band shares and level spread."""
    power = s.mag[loud][::FRAME_STEP].astype(np.float64) ** 2 + EPS
    flat = np.log10(np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1))
    cent = np.log2(np.maximum(s.centroid[loud], 20.0) / 1000.0)
    cum = np.cumsum(power.sum(axis=0))
    rolloff = s.freqs[min(int(np.searchsorted(cum, 0.85 * cum[-1])), s.freqs.size - 1)]
    total = float(power.sum())
    bass = float(power[:, s.freqs < BASS_HZ].sum() / total)
    air = float(power[:, s.freqs >= AIR_HZ].sum() / total)
    level_std = float(np.std(s.frame_db[loud])) / 10.0
    return np.array(
        [
            flat.mean() / 5.0,
            flat.std() / 2.0,
            cent.mean(),
            cent.std(),
            np.log2(max(float(rolloff), 20.0) / 1000.0),
            np.log10(bass + 1e-4),
            np.log10(air + 1e-4),
            level_std,
        ]
    )


def _harmony(tonality: Tonality) -> np.ndarray:
    """Chroma rotated so the tonic comes first, its entropy, and a mode flag."""
    tonic = PITCH_CLASSES.index(tonality.key)
    rotated = np.roll(tonality.chroma.astype(np.float64), -tonic)
    p = np.maximum(rotated, 1e-9)
    entropy = float(-(p * np.log2(p)).sum() / np.log2(12))
    major = 1.0 if tonality.mode == "major" else 0.0
    return np.concatenate([rotated * 12.0 - 1.0, [entropy, major]])


def build_descriptor(
    s: Spectrum,
    loud: np.ndarray,
    rhythm: Rhythm,
    tonality: Tonality,
    perc_frames: np.ndarray,
    voice: np.ndarray,
) -> np.ndarray:
    """Assemble the DESCRIPTOR_DIM float32 vector (see DESCRIPTOR_NAMES)."""
    from scipy.fft import dct

    mfcc = dct(s.log_mel[loud], type=2, norm="ortho", axis=1)[:, :N_MFCC] / 100.0
    env = rhythm.envelope
    parts = [
        mfcc[:, 1:].mean(axis=0),
        mfcc[:, :N_MFCC_STD].std(axis=0),
        _contrast(s, loud),
        _spectral_shape(s, loud),
        _harmony(tonality),
        rhythm.pattern,
        [
            np.log2(rhythm.comb_bpm / 120.0),
            rhythm.tempo_confidence,
            np.log2(rhythm.onset_rate + 0.25),
            float(env.std() / (env.mean() + 1.0)),
        ],
        [float(perc_frames.mean()), float(perc_frames.std())],
        voice,
    ]
    vec = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])
    return np.nan_to_num(vec, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
