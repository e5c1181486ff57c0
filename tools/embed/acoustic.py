"""The first offline audio embedder (acoustic-v1): the analysis as a fixed vector space.

The default is now acoustic-v3 (``acoustic_v2``, fitted on real music); this space stays
for catalogs built with it (``LINERNOTES_EMBEDDER=acoustic``).

No model weights: the vector is the track's analysis (``tools.analysis.measure``) made
comparable. Each feature is standardised with FIXED constants (calibrated once on the
demo catalog and written below), never with statistics of the catalog being indexed,
so a track's vector does not change as the catalog grows and old and new vectors stay
comparable. Features are then weighted by group, timbre first (what "sounds like" means
most), each group's weight spread over its members so a large group does not win by
size alone, and the result is L2-normalised for cosine search.

Changing the descriptor, the constants or the weights changes the space: bump SPACE.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from linernotes.tools.analysis.measure import DESCRIPTOR_NAMES, Analysis
from linernotes.tools.analysis.voice import VOICE_FEATURES, dominant_voice_probability
from linernotes.tools.errors import ConfigError

SPACE = "acoustic-v1"

MEASUREMENT_NAMES: tuple[str, ...] = (
    "energy",
    "loudness",
    "dynamics",
    "voice_probability",
    "percussiveness",
    "brightness",
)
FEATURE_NAMES: tuple[str, ...] = DESCRIPTOR_NAMES + MEASUREMENT_NAMES

# --- calibration constants: ``calibrate()`` over the 120-track demo catalog (seed 0) ---
# fmt: off
FEATURE_MEANS: tuple[float, ...] = (
    1.036, -0.01592, 0.1645, -0.004774, -0.0001097, -0.03086, 0.01081, -0.009864, 0.004578,
    -0.03018, 0.002876, -0.003964, 0.004702, -0.009104, 0.004973, -0.006771, 0.004276,
    0.007552, 0.004645, 0.4945, 0.2343, 0.1548, 0.1134, 0.09684, 0.07689, 0.07044, 0.06623,
    0.0598, 0.06025, 0.05858, 0.05837, 0.05939, 2.316, 1.671, 1.727, 1.554, 1.336, 1.218,
    1.233, -0.5845, 0.3436, 0.5593, 0.4766, -0.2283, -0.5683, -2.39, 0.5731, 1.466, -0.6122,
    0.04355, -0.2024, -0.05266, -0.04559, -0.5271, 1.08, -0.3583, -0.2706, -0.2894, -0.231,
    0.9072, 0.475, -0.1078, -0.1606, 0.1511, -0.1566, -0.09772, 0.4462, 0.1726, 0.6311, 0.4557,
    0.6616, -0.2043, 0.634, 1.034, 0.6191, 0.2753, 0.1475, 0.06834, 0.5461, 0.2664, 0.5109,
    0.4421, 0.2365, 0.6275, 0.396, 0.3185, 0.6551,
)
FEATURE_STDS: tuple[float, ...] = (
    0.2541, 0.1568, 0.07832, 0.07178, 0.05856, 0.0605, 0.05445, 0.03947, 0.04472, 0.03706,
    0.03589, 0.02784, 0.02565, 0.031, 0.03224, 0.02929, 0.02672, 0.02589, 0.028, 0.1225,
    0.0797, 0.05152, 0.04038, 0.03581, 0.02133, 0.0217, 0.01758, 0.01537, 0.01908, 0.01533,
    0.0168, 0.01633, 0.4778, 0.2671, 0.3253, 0.3095, 0.288, 0.2425, 0.3246, 0.1803, 0.1264,
    0.5352, 0.203, 0.5894, 0.2349, 0.6552, 0.1463, 0.608, 0.1891, 0.2868, 0.521, 0.4654,
    0.3543, 0.1668, 0.5378, 0.3156, 0.3203, 0.4215, 0.283, 0.04869, 0.4994, 0.1268, 0.06955,
    0.2947, 0.09053, 0.1498, 0.3337, 0.2868, 0.1865, 0.3162, 0.2083, 0.4067, 0.1608, 0.8885,
    0.2114, 0.07106, 0.04304, 0.09733, 0.2396, 0.1991, 0.1492, 0.1855, 0.5539, 0.3469, 0.4574,
    0.08897, 0.5279,
)
# fmt: on
# --- end of calibration constants ---

# Group weights: timbre and rhythm make "sounds like"; voice and energy matter but are
# judged again by the slow path; harmony (key-relative chroma) only nudges. On the demo
# catalog (seed 0) 78 % of a track's 5 nearest neighbours share its style (chance: 8 %),
# against 73 % with every feature weighted equally.
GROUP_WEIGHTS: dict[str, float] = {
    "timbre": 1.0,
    "rhythm": 1.0,
    "energy": 0.5,
    "voice": 0.35,
    "harmony": 0.3,
}
_TIMBRE_PREFIXES = ("mfcc", "contrast", "flatness", "centroid", "rolloff", "bass_", "air_")
_RHYTHM_PREFIXES = ("rhythm_", "log_tempo", "tempo_", "log_onset", "pulse", "perc")
_ENERGY_PREFIXES = ("energy", "loudness", "dynamics", "level_std")


def feature_group(name: str) -> str:
    """The group a feature belongs to (timbre, rhythm, energy, voice, harmony)."""
    if name.startswith("voice"):
        return "voice"
    if name.startswith(("chroma", "major")):
        return "harmony"
    if name.startswith(_ENERGY_PREFIXES):
        return "energy"
    if name.startswith(_RHYTHM_PREFIXES):
        return "rhythm"
    if name.startswith(_TIMBRE_PREFIXES) or name == "brightness":
        return "timbre"
    raise ValueError(f"feature {name!r} has no group")


def _feature_weights() -> np.ndarray:
    """Per-feature weight: the group's weight over the square root of the group's size."""
    groups = [feature_group(n) for n in FEATURE_NAMES]
    sizes = {g: groups.count(g) for g in set(groups)}
    return np.array([GROUP_WEIGHTS[g] / np.sqrt(sizes[g]) for g in groups], dtype=np.float64)


WEIGHTS = _feature_weights()


_VOICE_AT = DESCRIPTOR_NAMES.index(f"voice_{VOICE_FEATURES[0]}")


def fitted_voice_probability(descriptor: np.ndarray) -> float:
    """The voice estimate every acoustic space was fitted with.

    That is the dominant-track model alone, recomputed from the descriptor:
    ``Measurements.voice_probability`` now also hears a sung line under other parts, and
    feeding that to a space fitted before it would move tracks without a refit.
    """
    part = descriptor[_VOICE_AT : _VOICE_AT + len(VOICE_FEATURES)].astype(np.float64)
    return round(dominant_voice_probability(part), 3)


def raw_features(analysis: Analysis) -> np.ndarray:
    """The unstandardised feature vector of one analysis (FEATURE_NAMES order)."""
    m = analysis.measurements
    if analysis.descriptor.shape != (len(DESCRIPTOR_NAMES),):
        raise ConfigError(
            f"descriptor has shape {analysis.descriptor.shape}, expected "
            f"({len(DESCRIPTOR_NAMES)},): analysis and {SPACE} are from different versions"
        )
    extra = [
        m.energy,
        (m.loudness_db + 20.0) / 10.0,
        m.dynamics_db / 10.0,
        fitted_voice_probability(analysis.descriptor),
        m.percussiveness,
        np.log2(max(m.brightness_hz, 50.0) / 1000.0),
    ]
    return np.concatenate([analysis.descriptor.astype(np.float64), extra])


def calibrate(analyses: list[Analysis]) -> tuple[np.ndarray, np.ndarray]:
    """Feature means and standard deviations over a reference set of analyses.

    How FEATURE_MEANS / FEATURE_STDS were made (on the demo catalog); rerun it only when
    the descriptor changes, paste the result above, and bump SPACE.
    """
    feats = np.array([raw_features(a) for a in analyses])
    return feats.mean(axis=0), np.maximum(feats.std(axis=0), 1e-3)


class AcousticEmbedder:
    """Audio vectors from signal analysis; space "acoustic-v1", no text tower.

    Text queries cannot enter this space: they are answered from the caption vectors
    (``TextEmbedder``) instead, which is why ``joint_text`` is False.
    """

    space = SPACE
    dim = len(FEATURE_NAMES)
    joint_text = False

    def __init__(self, settings: object | None = None) -> None:
        del settings  # nothing to configure: the space is fixed by the constants
        if len(FEATURE_MEANS) != self.dim or len(FEATURE_STDS) != self.dim:
            raise ConfigError(
                f"{SPACE} constants have {len(FEATURE_MEANS)} entries, expected {self.dim}"
            )
        self._mean = np.asarray(FEATURE_MEANS, dtype=np.float64)
        self._scale = WEIGHTS / np.maximum(np.asarray(FEATURE_STDS, dtype=np.float64), 1e-6)

    def vector(self, analysis: Analysis) -> np.ndarray:
        """Standardise, weight and L2-normalise one analysis."""
        z = (raw_features(analysis) - self._mean) * self._scale
        z = np.clip(np.nan_to_num(z, nan=0.0), -6.0, 6.0)  # one odd feature cannot dominate
        norm = float(np.linalg.norm(z))
        if norm < 1e-12:  # exactly the calibration mean: any unit vector is as good
            z, norm = np.ones_like(z), float(np.sqrt(z.size))
        return (z / norm).astype(np.float32)

    def embed_audio(self, path: Path, analysis: Analysis) -> np.ndarray:
        """Return the (dim,) L2-normalised vector of a track from its analysis.

        ``path`` is unused: everything needed is in the analysis of the file.
        """
        del path
        return self.vector(analysis)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Always raises: acoustic vectors have no text tower.

        Raises:
            ConfigError: text queries must go to the caption vectors (the text embedder),
                or use a joint audio-text embedder such as 'muq-mulan' or 'clap'.
        """
        raise ConfigError(
            f"the '{SPACE}' audio space has no text tower, so text cannot be embedded "
            f"into it ({len(texts)} text(s) given): search text against the caption "
            "vectors, or choose embedder 'muq-mulan' or 'clap' for joint audio-text search"
        )
