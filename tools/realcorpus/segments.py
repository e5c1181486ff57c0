"""Pairs of neighbouring 30 s segments of corpus tracks, analysed once and cached.

The bench reads one pair per track: segment 1 ends 1 s before the middle of the track and
segment 2 starts 1 s after it, two neighbouring passages, clear of intros and fades,
around the excerpt ingest analyses. The fit also reads pairs centred at eighths of the
track (``FIT_CENTRES``, where a pair fits): more examples of "two passages of one piece"
for the same tracks. On the development packages' cross-validation that raised same-track
recall@5 from 0.78 to 0.91 (a 99-feature projection learnt from 96 pairs was short of data).
(Segments further apart, at 25 % and 60 %, were tried first: on long orchestral and
electronic pieces they are different music, and every method, the MFCC baseline too,
found fewer than half of them.) Each segment gets the project's
``analyse`` (measurements + descriptor) and the classic baseline's features: MFCC(20)
mean and standard deviation and the chroma mean (librosa, as a 20-line script would).

The cache file is keyed by a hash of the analysis code, so a change to
``tools/analysis`` recomputes instead of reading stale descriptors.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from linernotes.tools.analysis.measure import ANALYSIS_SR, Analysis, analyse
from linernotes.tools.audio import load_audio
from linernotes.tools.errors import InvalidAudioError
from linernotes.tools.schemas import Measurements

SEGMENT_S = 30.0
MIN_TRACK_S = 70.0  # two non-overlapping 30 s segments with room around them
MAX_PER_PACKAGE = 30
GAP_S = 2.0  # between the segments, so no note straddles both
LAYOUT = "pairs30"  # part of the cache key: a new segment layout means recompute
MIDDLE = 0.5
FIT_CENTRES = (0.125, 0.25, 0.375, MIDDLE, 0.625, 0.75, 0.875)  # of the track's duration


@dataclass
class Segment:
    """One analysed excerpt of a corpus track."""

    track: str  # manifest path
    package: str
    split: str
    index: int  # 0 or 1
    analysis: Analysis
    baseline: np.ndarray  # MFCC(20) mean, MFCC(20) std, chroma(12) mean
    centre: float = MIDDLE  # where the pair sits, as a fraction of the track

    @property
    def pair(self) -> str:
        """Names the pair this segment belongs to: its partner shares it."""
        return f"{self.track}@{self.centre:g}"


def segment_starts(duration_s: float, centre: float = MIDDLE) -> list[float] | None:
    """Start times (s) of the pair around ``centre`` (a fraction), None where it cannot fit."""
    at = duration_s * centre
    starts = [at - GAP_S / 2 - SEGMENT_S, at + GAP_S / 2]
    return starts if starts[0] >= 0 and starts[1] + SEGMENT_S <= duration_s else None


def baseline_features(y: np.ndarray, sr: int) -> np.ndarray:
    """The classic baseline: MFCC(20) mean and std, chroma mean (librosa defaults)."""
    import librosa

    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), chroma.mean(axis=1)])


Analysed = list[tuple[int, Analysis, np.ndarray]]


def _analyse_track(args: tuple[Path, float, tuple[float, ...]]) -> dict[float, Analysed]:
    """Both segments of each pair that fits; a pair with a bad segment is left out whole."""
    path, duration, centres = args
    out: dict[float, Analysed] = {}
    for centre in centres:
        starts = segment_starts(duration, centre)
        pair: Analysed = []
        try:
            for i, start in enumerate(starts or []):
                clip = load_audio(path, ANALYSIS_SR, offset_s=start, duration_s=SEGMENT_S)
                y = clip.samples
                pair.append((i, analyse(y, ANALYSIS_SR), baseline_features(y, ANALYSIS_SR)))
        except InvalidAudioError as e:  # a silent stretch in a module render: no pair
            print(f"left out {path.name} at {centre:g}: {e}")
            pair = []
        out[centre] = pair
    return out


def code_version() -> str:
    """Hash of the analysis sources: a cached descriptor is valid only for the same code."""
    import linernotes.tools.analysis as pkg

    h = hashlib.sha256()
    for src in sorted(Path(pkg.__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:12]


def capped(rows: list[dict[str, str]], cap: int = MAX_PER_PACKAGE) -> list[dict[str, str]]:
    """At most ``cap`` tracks per package, evenly spread over its sorted paths.

    So one big soundtrack dominates neither a fit nor the figures.
    """
    by_package: dict[str, list[dict[str, str]]] = {}
    for r in sorted(rows, key=lambda r: r["path"]):
        by_package.setdefault(r["package"], []).append(r)
    out = []
    for group in by_package.values():
        step = max(1.0, len(group) / cap)
        out += [group[int(i * step)] for i in range(min(cap, len(group)))]
    return out


def load_segments(
    corpus: Path, rows: list[dict[str, str]], jobs: int = 2, centres: tuple[float, ...] = (MIDDLE,)
) -> list[Segment]:
    """Analyse (or read from the cache) the pairs at ``centres`` of every row long enough.

    Rows are the tracks with a middle pair (at least MIN_TRACK_S), at most MAX_PER_PACKAGE
    per package; other centres add pairs only where they fit in the track.
    """
    rows = capped([r for r in rows if float(r["duration_s"]) >= MIN_TRACK_S])
    cache_path = corpus / "cache" / f"segments-{LAYOUT}-{code_version()}.pkl"
    cache: dict[str, dict[float, list[tuple[int, dict[str, object], np.ndarray, np.ndarray]]]]
    cache = pickle.loads(cache_path.read_bytes()) if cache_path.is_file() else {}
    todo = [(r, tuple(c for c in centres if c not in cache.get(r["path"], {}))) for r in rows]
    todo = [(r, missing) for r, missing in todo if missing]
    if todo:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        work = [(corpus / r["path"], float(r["duration_s"]), missing) for r, missing in todo]
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = pool.map(_analyse_track, work)
            for n, ((row, _), result) in enumerate(zip(todo, results, strict=True), 1):
                held = cache.setdefault(row["path"], {})
                for centre, pair in result.items():
                    held[centre] = [
                        (i, json.loads(a.measurements.model_dump_json()), a.descriptor, b)
                        for i, a, b in pair
                    ]
                if n % 20 == 0 or n == len(todo):  # an interrupted run keeps what it did
                    cache_path.write_bytes(pickle.dumps(cache))
                    print(f"analysed {n}/{len(todo)} tracks", flush=True)
    segments = []
    for r in rows:
        for centre in centres:
            for i, m, desc, base in cache[r["path"]][centre]:
                analysis = Analysis(Measurements.model_validate(m), desc)
                segments.append(
                    Segment(r["path"], r["package"], r["split"], i, analysis, base, centre)
                )
    return segments
