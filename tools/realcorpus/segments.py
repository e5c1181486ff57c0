"""Two 30 s segments per corpus track, analysed once and cached: what the fit and bench read.

Segment 1 ends 1 s before the middle of the track and segment 2 starts 1 s after it: two
neighbouring passages, clear of intros and fades, around the excerpt ingest analyses.
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
LAYOUT = "mid2x30"  # part of the cache key: segment positions changed means recompute


@dataclass
class Segment:
    """One analysed excerpt of a corpus track."""

    track: str  # manifest path
    package: str
    split: str
    index: int  # 0 or 1
    analysis: Analysis
    baseline: np.ndarray  # MFCC(20) mean, MFCC(20) std, chroma(12) mean


def segment_starts(duration_s: float) -> list[float]:
    """Start times (s) of the two segments of a track at least MIN_TRACK_S long."""
    mid = duration_s / 2
    return [mid - GAP_S / 2 - SEGMENT_S, mid + GAP_S / 2]


def baseline_features(y: np.ndarray, sr: int) -> np.ndarray:
    """The classic baseline: MFCC(20) mean and std, chroma mean (librosa defaults)."""
    import librosa

    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), chroma.mean(axis=1)])


def _analyse_track(args: tuple[Path, dict[str, str]]) -> list[tuple[int, Analysis, np.ndarray]]:
    path, row = args
    out = []
    try:
        for i, start in enumerate(segment_starts(float(row["duration_s"]))):
            clip = load_audio(path, ANALYSIS_SR, offset_s=start, duration_s=SEGMENT_S)
            y = clip.samples
            out.append((i, analyse(y, ANALYSIS_SR), baseline_features(y, ANALYSIS_SR)))
    except InvalidAudioError as e:  # a silent stretch in a module render: no pair to compare
        print(f"left out {path.name}: {e}")
        return []
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


def load_segments(corpus: Path, rows: list[dict[str, str]], jobs: int = 2) -> list[Segment]:
    """Analyse (or read from the cache) both segments of every row long enough."""
    rows = capped([r for r in rows if float(r["duration_s"]) >= MIN_TRACK_S])
    cache_path = corpus / "cache" / f"segments-{LAYOUT}-{code_version()}.pkl"
    cache: dict[str, list[tuple[int, dict[str, object], np.ndarray, np.ndarray]]] = {}
    if cache_path.is_file():
        cache = pickle.loads(cache_path.read_bytes())
    todo = [r for r in rows if r["path"] not in cache]
    if todo:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        work = [(corpus / r["path"], r) for r in todo]
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = pool.map(_analyse_track, work)
            for n, (row, result) in enumerate(zip(todo, results, strict=True), 1):
                cache[row["path"]] = [
                    (i, json.loads(a.measurements.model_dump_json()), a.descriptor, b)
                    for i, a, b in result
                ]
                if n % 20 == 0 or n == len(todo):  # an interrupted run keeps what it did
                    cache_path.write_bytes(pickle.dumps(cache))
                    print(f"analysed {n}/{len(todo)} tracks", flush=True)
    segments = []
    for r in rows:
        for i, m, desc, base in cache[r["path"]]:
            analysis = Analysis(Measurements.model_validate(m), desc)
            segments.append(Segment(r["path"], r["package"], r["split"], i, analysis, base))
    return segments
