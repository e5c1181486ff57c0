"""A small formant singer: the demo's voice, synthesised in numpy.

GM "voice" presets are sampled vowels without the cues that make a voice a voice. This
singer has them: a glottal-pulse source (Rosenberg pulse, differentiated for lip
radiation) at the melody's pitch, 5-6.5 Hz vibrato that starts a moment into each held
note, legato glides between notes, vowel formants (F1-F4 through a Klatt-style cascade
of resonators) that change with every syllable, consonant noise at syllable onsets,
breathiness and syllable envelopes. A voice detector looking for vibrato, formants or
syllabic modulation finds them on ``has_voice=1`` tracks, and only there.
"""

from __future__ import annotations

import numpy as np
import pretty_midi
from scipy import signal

# Formant frequencies (Hz) and bandwidths for an adult male voice (Peterson & Barney
# style averages); a female voice scales the frequencies by ~1.17.
VOWELS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "a": ((730, 1090, 2440, 3300), (90, 110, 160, 250)),
    "e": ((530, 1840, 2480, 3350), (80, 120, 160, 250)),
    "i": ((300, 2200, 2950, 3500), (60, 120, 180, 250)),
    "o": ((570, 840, 2410, 3250), (80, 100, 160, 250)),
    "u": ((320, 870, 2240, 3200), (70, 100, 160, 250)),
}
VOWEL_WEIGHTS = {"a": 0.3, "e": 0.2, "i": 0.15, "o": 0.25, "u": 0.1}
ATTACK_S, RELEASE_S = 0.035, 0.09
GLIDE_S = 0.035  # portamento time constant between notes


def sing(
    line: pretty_midi.Instrument,
    n_samples: int,
    sample_rate: int,
    formant_scale: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sing ``line``'s notes, one syllable per note; return mono float32 (peak ~0.9)."""
    notes = sorted(line.notes, key=lambda n: n.start)
    if not notes:
        return np.zeros(n_samples, dtype=np.float32)
    sr = sample_rate
    t = np.arange(n_samples) / sr
    starts = np.array([int(n.start * sr) for n in notes])
    # each sample takes the pitch of the latest note begun: rests hold the last pitch
    idx = np.clip(np.searchsorted(starts, np.arange(n_samples), side="right") - 1, 0, None)
    pitch = np.array([float(n.pitch) for n in notes])[idx]
    env = np.zeros(n_samples)
    vib_env = np.zeros(n_samples)
    for note in notes:
        a, b = int(note.start * sr), min(int(note.end * sr), n_samples)
        if b <= a:
            continue
        length = (b - a) / sr
        local = np.arange(b - a) / sr
        attack = np.clip(local / ATTACK_S, 0, 1)
        release = np.clip((length - local) / RELEASE_S, 0, 1)
        env[a:b] = np.maximum(env[a:b], attack * release * (note.velocity / 100.0))
        vib_env[a:b] = np.clip((local - 0.07) / 0.15, 0, 1)
    # legato glide: one-pole smoothing of the pitch track
    alpha = np.exp(-1.0 / (GLIDE_S * sr))
    pitch = signal.lfilter([1 - alpha], [1, -alpha], pitch - pitch[0]) + pitch[0]
    rate, depth = rng.uniform(5.2, 6.3), rng.uniform(0.5, 0.75)
    drift = signal.lfilter([0.002], [1, -0.998], rng.standard_normal(n_samples)) * 0.6
    pitch = pitch + depth * vib_env * np.sin(2 * np.pi * rate * t) + drift
    f0 = 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)
    frac = np.cumsum(f0 / sr) % 1.0
    flow = _rosenberg(frac)
    source = np.diff(flow, prepend=0.0) * (sr / f0) * 0.25
    breath = rng.standard_normal(n_samples) * 0.04 * (0.3 + flow)
    excitation = (source + breath) * env
    voiced = _formants(excitation, notes, sr, formant_scale, rng)
    voiced += _consonants(notes, n_samples, sr, rng) * np.max(np.abs(voiced) + 1e-9) * 0.25
    peak = float(np.max(np.abs(voiced)))
    return (voiced * (0.9 / peak if peak > 0 else 1.0)).astype(np.float32)


def _rosenberg(frac: np.ndarray, rise: float = 0.4, fall: float = 0.16) -> np.ndarray:
    """Glottal flow over one period (phase ``frac`` in 0..1): rise, fall, closed."""
    flow = np.zeros_like(frac)
    opening = frac < rise
    flow[opening] = 0.5 * (1 - np.cos(np.pi * frac[opening] / rise))
    closing = (frac >= rise) & (frac < rise + fall)
    flow[closing] = np.cos(0.5 * np.pi * (frac[closing] - rise) / fall)
    return flow


def _resonator(freq: float, bandwidth: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-pole resonator with unity gain at DC (a Klatt cascade section)."""
    r = np.exp(-np.pi * bandwidth / sr)
    c = 2 * r * np.cos(2 * np.pi * freq / sr)
    return np.array([1 - c + r * r]), np.array([1.0, -c, r * r])


def _formants(
    x: np.ndarray,
    notes: list[pretty_midi.Note],
    sr: int,
    scale: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Filter ``x`` through vowel formants, one vowel per syllable, glided at onsets."""
    names = list(VOWEL_WEIGHTS)
    weights = np.array([VOWEL_WEIGHTS[v] for v in names])
    vowels = [names[int(rng.choice(len(names), p=weights))] for _ in notes]
    bounds: list[tuple[int, np.ndarray, np.ndarray]] = []  # (start sample, freqs, bws)
    prev = np.array(VOWELS[vowels[0]][0], dtype=float) * scale
    for note, vowel in zip(notes, vowels, strict=True):
        freqs = np.array(VOWELS[vowel][0], dtype=float) * scale
        bws = np.array(VOWELS[vowel][1], dtype=float)
        a = int(note.start * sr)
        bounds.append((a, (prev + freqs) / 2, bws))  # 40 ms transition from the last vowel
        bounds.append((a + int(0.04 * sr), freqs, bws))
        prev = freqs
    bounds[0] = (0, bounds[0][1], bounds[0][2])
    out = np.zeros_like(x)
    states = [np.zeros(2) for _ in range(4)]
    for i, (a, freqs, bws) in enumerate(bounds):
        b = bounds[i + 1][0] if i + 1 < len(bounds) else len(x)
        if b <= a:
            continue
        y = x[a:b]
        for k in range(4):
            num, den = _resonator(float(freqs[k]), float(bws[k]), sr)
            y, states[k] = signal.lfilter(num, den, y, zi=states[k])
        out[a:b] = y
    return out


def _consonants(
    notes: list[pretty_midi.Note], n_samples: int, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Noise at syllable onsets: hissy fricatives (s, sh) and short plosive bursts (t, k)."""
    out = np.zeros(n_samples)
    hiss = signal.butter(4, 3500, "highpass", fs=sr, output="sos")
    burst = signal.butter(2, 1500, "highpass", fs=sr, output="sos")
    for note in notes:
        kind = rng.random()
        a = int(note.start * sr)
        if kind < 0.3:  # fricative just before the vowel
            lo = max(0, a - int(0.06 * sr))
            noise = signal.sosfilt(hiss, rng.standard_normal(a - lo + 64))[64:]
            out[lo:a] += noise * np.hanning(2 * (a - lo))[: a - lo] * 0.5
        elif kind < 0.6:  # plosive burst at the onset
            hi = min(n_samples, a + int(0.015 * sr))
            noise = signal.sosfilt(burst, rng.standard_normal(hi - a + 64))[64:]
            out[a:hi] += noise * np.exp(-np.arange(hi - a) / (0.004 * sr))
    return out
