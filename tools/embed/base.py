"""The two embedding roles every backend fills: audio (+ maybe text) and caption text.

``AudioEmbedder`` puts tracks in a vector space for similar-to-track retrieval; a
backend with a text tower in the same space (MuQ-MuLan, CLAP) sets ``joint_text`` and
answers text queries directly. ``TextEmbedder`` embeds captions and queries for the
caption collection. Both are structural Protocols, runtime-checkable, so fakes in tests
and new backends need no base class.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from linernotes.tools.errors import InvalidAudioError

if TYPE_CHECKING:
    from linernotes.tools.analysis.measure import Analysis


@runtime_checkable
class AudioEmbedder(Protocol):
    """Maps a track (its file and its analysis) to an L2-normalised vector.

    Attributes:
        space: name of the embedding space, e.g. "acoustic-v1"; vectors from different
            spaces never share a catalog collection.
        dim: vector length.
        joint_text: True when ``embed_text`` maps text into this same space.
    """

    space: str
    dim: int
    joint_text: bool

    def embed_audio(self, path: Path, analysis: Analysis) -> np.ndarray:
        """Return the (dim,) float32 L2-normalised vector of one track."""
        ...

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Return (n, dim) float32 L2-normalised vectors; ConfigError if not joint."""
        ...


@runtime_checkable
class TextEmbedder(Protocol):
    """Maps captions and queries to L2-normalised vectors (the caption space).

    Attributes:
        space: name of the embedding space, e.g. "minilm-l6-v2".
        dim: vector length.
    """

    space: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return (n, dim) float32 L2-normalised vectors."""
        ...


def checked_vector(vector: object, path: str | Path) -> np.ndarray:
    """``vector`` as float32, refused (naming ``path``) when it holds a NaN or inf.

    A non-finite vector in the store is a point every query lands on or none can reach,
    so the file is skipped like any other that cannot be used.

    Raises:
        InvalidAudioError: the vector holds a NaN or an infinity.
    """
    vec = np.asarray(vector, dtype=np.float32)
    if not np.all(np.isfinite(vec)):
        raise InvalidAudioError(
            f"cannot embed {path}: the audio embedder returned an undefined vector (NaN or inf)"
        )
    return vec
