"""The offline audio spaces fitted on REAL music: "acoustic-v3" (default) and "acoustic-v2".

acoustic-v1 scaled its features with constants from the synthetic demo. On real
recordings (Debian game and music packages) that space lost to a plain MFCC+chroma
script at finding another passage of the same track. v2 changes three things, all
fitted by ``python -m linernotes.tools.realcorpus.fit`` on the corpus's DEVELOPMENT
packages only (never the demo, never the held-out packages):

1. the features: v1's (descriptor + measurements) plus the chroma in absolute pitch
   (v1 only keeps it relative to the detected tonic). Its fitted weight is 0 for now:
   it finds another passage of the same track best, but lets the key decide a track's
   neighbours, and key is no curation dimension (see ``realcorpus.fit``);
2. standardisation with the real development corpus's means and spreads, and a weight
   per feature group;
3. a linear projection that keeps the directions in which different tracks differ more
   than two neighbouring passages of one track do (the generalised eigenvectors of total
   over within-pair scatter, ridge-regularised; pairs taken at several places in each
   development track), then L2 normalisation for cosine search.

acoustic-v3 is the same recipe refitted with more examples of "two passages of one
piece" (pairs at several places in each development track, not only the middle): on the
held-out packages same-track recall@5 rose from 0.928 to 0.971. A refit is a new space,
never the same name with other numbers: vectors of a catalog built with acoustic-v2 would
otherwise sit beside v3 queries and new v3 tracks, silently meaningless. So v2 keeps its
file and stays selectable, and the CLI follows a catalog built with it (README "Real
music"), as it does for "acoustic"/"acoustic-v1".

Each space lives in one small versioned file, ``tools/data/<space>.npz``, which names its
space: a catalog built in one space refuses vectors of another.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from linernotes.tools.analysis.measure import Analysis
from linernotes.tools.analysis.tonal import PITCH_CLASSES
from linernotes.tools.embed.acoustic import FEATURE_NAMES, raw_features
from linernotes.tools.errors import ConfigError

SPACE = "acoustic-v3"  # the default, and the space `realcorpus.fit` writes
SPACES = ("acoustic-v2", SPACE)  # every fitted space that ships, oldest first
V2_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + tuple(f"chroma_abs{i}" for i in range(12))
_CHROMA_START = FEATURE_NAMES.index("chroma_deg0")


def v2_features(analysis: Analysis) -> np.ndarray:
    """v1's raw features followed by the chroma in absolute pitch (C first)."""
    raw = raw_features(analysis)
    tonic = PITCH_CLASSES.index(analysis.measurements.key)
    relative = (raw[_CHROMA_START : _CHROMA_START + 12] + 1.0) / 12.0  # undo the descriptor scaling
    absolute = np.roll(relative, tonic) * 12.0 - 1.0
    return np.concatenate([raw, absolute])


def data_path(space: str = SPACE) -> Path:
    """Where the packaged parameters of a fitted space live."""
    return Path(str(resources.files("linernotes.tools").joinpath("data", f"{space}.npz")))


@lru_cache(maxsize=4)
def load_params(path: Path | None = None, space: str = SPACE) -> dict[str, np.ndarray]:
    """mean, scale and projection of ``space``, checked against the feature list.

    Raises:
        ConfigError: the file is missing, or was fitted for another space or features.
    """
    path = path or data_path(space)
    if not path.is_file():
        raise ConfigError(
            f"{space} parameters are missing ({path}): rerun "
            "`python -m linernotes.tools.realcorpus.fit` or choose embedder 'acoustic-v1'"
        )
    with np.load(path, allow_pickle=False) as z:
        params = {k: z[k] for k in z.files}
    names = tuple(str(n) for n in params["feature_names"])
    if names != V2_FEATURE_NAMES or str(params["space"]) != space:
        raise ConfigError(
            f"{path} was fitted for space {params['space']!s} with {len(names)} features, "
            f"but this code builds {space} from {len(V2_FEATURE_NAMES)}: refit it"
        )
    return params


class FittedAcousticEmbedder:
    """Audio vectors from signal analysis in a real-music-fitted space (``space``)."""

    space = SPACE
    joint_text = False

    def __init__(self, settings: object | None = None, space: str | None = None) -> None:
        del settings  # the space is fixed by its data file
        self.space = space or type(self).space
        params = load_params(space=self.space)
        self._mean = params["mean"].astype(np.float64)
        self._scale = 1.0 / np.maximum(params["std"].astype(np.float64), 1e-6)
        self._proj = params["projection"].astype(np.float64)
        self.dim = int(self._proj.shape[1])

    def vector(self, analysis: Analysis) -> np.ndarray:
        """Standardise, clip, project and L2-normalise one analysis."""
        z = (v2_features(analysis) - self._mean) * self._scale
        z = np.clip(np.nan_to_num(z, nan=0.0), -6.0, 6.0)  # one odd feature cannot dominate
        v = z @ self._proj
        norm = float(np.linalg.norm(v))
        if norm < 1e-12:
            v, norm = np.ones_like(v), float(np.sqrt(v.size))
        return (v / norm).astype(np.float32)

    def embed_audio(self, path: Path, analysis: Analysis) -> np.ndarray:
        """Return the (dim,) L2-normalised vector of a track from its analysis."""
        del path
        return self.vector(analysis)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Always raises: acoustic vectors have no text tower.

        Raises:
            ConfigError: text must be searched against the caption vectors instead.
        """
        raise ConfigError(
            f"the '{self.space}' audio space has no text tower, so text cannot be embedded "
            f"into it ({len(texts)} text(s) given): search text against the caption "
            "vectors, or choose embedder 'muq-mulan' or 'clap' for joint audio-text search"
        )


class AcousticV3Embedder(FittedAcousticEmbedder):
    """The default offline space, "acoustic-v3"."""

    space = SPACE


class AcousticV2Embedder(FittedAcousticEmbedder):
    """The first real-music fit, "acoustic-v2", kept for catalogs built with it."""

    space = "acoustic-v2"
