"""Cut a track into the excerpts an audio model can hear, with the limits checked.

Shared by the served listener (which sends them as WAV) and the in-process one (which
feeds arrays to the processor), so both hear exactly the same parts of a track. Only
the excerpt windows are decoded, never the whole of a long file. The checks are those
of ``tools.audio`` (``probe``, ``validate_samples``, ``resample``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from linernotes.tools.audio import excerpt_starts, probe, resample, validate_samples
from linernotes.tools.errors import InvalidAudioError
from linernotes.tools.listen.presets import MAX_CLIP_S, Preset


def load_excerpts(path: Path, preset: Preset) -> tuple[list[np.ndarray], list[float]]:
    """Mono float32 excerpts at the preset's rate, and their start times in seconds.

    A track no longer than ``preset.clip_s`` gives one clip of the whole track; longer
    tracks give up to ``preset.excerpts`` non-overlapping, representative windows.

    Raises:
        InvalidAudioError: undecodable or silent audio, or a clip over ``MAX_CLIP_S``.
    """
    info = probe(path)
    clip_s = min(preset.clip_s, MAX_CLIP_S)
    starts = excerpt_starts(info.duration_s, clip_s, preset.excerpts)
    clips = []
    for start in starts:
        y = _read_mono(info.path, info.sample_rate, start, clip_s)
        validate_samples(y, info.sample_rate, str(info.path), min_duration_s=min(1.0, clip_s))
        if len(y) / info.sample_rate > MAX_CLIP_S + 0.5:
            raise InvalidAudioError(
                f"cannot send {path}: a {len(y) / info.sample_rate:.0f} s clip exceeds "
                f"{MAX_CLIP_S:g} s"
            )
        clips.append(resample(y, info.sample_rate, preset.sample_rate))
    return clips, starts


def _read_mono(path: Path, sr: int, start_s: float, length_s: float) -> np.ndarray:
    """Decode one window and downmix it by adding channel columns.

    Same result as ``tools.audio.load_audio`` (whose checks the caller applies), but
    ``ndarray.mean(axis=1)`` over (n, 2) frames costs ~20 ms of CPU per 30 s clip, more
    than decoding and resampling together; adding the columns costs ~4 ms.
    """
    try:
        y, _ = sf.read(
            str(path),
            start=int(start_s * sr),
            frames=int(length_s * sr),
            dtype="float32",
            always_2d=True,
        )
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise InvalidAudioError(f"cannot decode {path}: {e}") from e
    mono = y[:, 0].copy()
    for c in range(1, y.shape[1]):
        mono += y[:, c]
    if y.shape[1] > 1:
        mono *= np.float32(1.0 / y.shape[1])
    return mono
