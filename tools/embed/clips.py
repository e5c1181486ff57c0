"""Clip sampling and vector averaging shared by the clip-based embedders (CLAP, MuQ-MuLan).

Both models see at most ~10 s at a time, so a track is embedded as up to ``max_clips``
clips spread over it (``excerpt_starts``) whose vectors are averaged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from linernotes.tools.audio import excerpt_starts, load_audio, probe
from linernotes.tools.errors import ConfigError


def clip_options(batch_size: int, device: str | None, max_clips: int) -> tuple[str, int]:
    """The torch device (CUDA when available) and clips per forward pass of an embedder.

    Raises:
        ConfigError: ``max_clips`` is below 1.
    """
    import torch

    if max_clips < 1:
        raise ConfigError(f"max_clips must be at least 1, got {max_clips}")
    return device or ("cuda" if torch.cuda.is_available() else "cpu"), max(1, batch_size)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Scale vectors (along the last axis) to unit length; zero vectors stay zero."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def load_clips(
    path: Path, sample_rate: int, clip_s: float, max_clips: int, max_duration_s: float | None
) -> list[np.ndarray]:
    """Decode up to ``max_clips`` mono clips of ``clip_s`` seconds spread over a track."""
    info = probe(path)
    return [
        load_audio(
            path,
            sample_rate,
            offset_s=start,
            duration_s=clip_s,
            max_duration_s=max_duration_s,
        ).samples
        for start in excerpt_starts(info.duration_s, clip_s, max_clips)
    ]
