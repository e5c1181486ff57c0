"""Benchmark: signal analysis speed in x real time per core, against librosa's feature suite.

Usage:
    .venv/bin/python bench/analysis.py [--manifest DEMO/manifest.csv] [--tracks 8] [--runs 3]

Both sides analyse the same 30 s excerpts at 22050 Hz (tracks shorter than that are
looped to 30 s). Speed is audio seconds per CPU
second of this process (``time.process_time``, all threads counted), so the figure is
per core and holds on a machine shared with other jobs; wall-clock figures are printed
too. The baseline is what a librosa-based pipeline computes for the same measurements:
beat_track, chroma_stft, spectral_centroid, onset_strength, rms, hpss and mfcc.
librosa is a dev-only dependency: without it the baseline is null, with a note.
Without --manifest a small demo catalog is rendered into a temporary folder first.

The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linernotes.tools.analysis.measure import ANALYSIS_SR, analyse
from linernotes.tools.audio import excerpt_starts, load_audio, probe

EXCERPT_S = 30.0


def load_excerpts(manifest: Path, n_tracks: int) -> list[np.ndarray]:
    """30 s excerpts at 22050 Hz of ``n_tracks`` tracks spread over a demo manifest."""
    with manifest.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    step = max(1, len(rows) // n_tracks)  # spread over styles, not the first few
    out = []
    for row in rows[::step][:n_tracks]:
        path = manifest.parent / row["path"]
        start = excerpt_starts(probe(path).duration_s, EXCERPT_S, 1)[0]
        clip = load_audio(path, ANALYSIS_SR, offset_s=start, duration_s=EXCERPT_S)
        # demo tracks last ~24 s: loop them to a full excerpt so every timing is of 30 s
        out.append(np.resize(clip.samples, int(EXCERPT_S * ANALYSIS_SR)))
    return out


def librosa_suite() -> Callable[[np.ndarray, int], None] | None:
    """The baseline feature suite, or None when librosa is not installed."""
    try:
        import librosa
    except ModuleNotFoundError:
        return None

    def run(y: np.ndarray, sr: int) -> None:
        librosa.beat.beat_track(y=y, sr=sr)
        librosa.feature.chroma_stft(y=y, sr=sr)
        librosa.feature.spectral_centroid(y=y, sr=sr)
        librosa.onset.onset_strength(y=y, sr=sr)
        librosa.feature.rms(y=y)
        librosa.effects.hpss(y)
        librosa.feature.mfcc(y=y, sr=sr)

    return run


def time_it(fn: Callable[[np.ndarray, int], object], clips: list[np.ndarray], runs: int):
    """Median over tracks of each track's median (CPU s, wall s) over ``runs`` calls."""
    cpu, wall = [], []
    for y in clips:
        fn(y, ANALYSIS_SR)  # warm-up: caches, lazy imports, numba compilation
        c_runs, w_runs = [], []
        for _ in range(runs):
            c0, w0 = time.process_time(), time.perf_counter()
            fn(y, ANALYSIS_SR)
            c_runs.append(time.process_time() - c0)
            w_runs.append(time.perf_counter() - w0)
        cpu.append(statistics.median(c_runs))
        wall.append(statistics.median(w_runs))
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    """Run the benchmark and print its figures; the last line is JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, help="demo manifest.csv (else render one)")
    parser.add_argument("--tracks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        manifest = args.manifest
        if manifest is None:
            from linernotes.tools.demo import build_demo

            manifest = build_demo(Path(tmp) / "demo", n_tracks=args.tracks, seed=0, progress=False)
        clips = load_excerpts(manifest, args.tracks)
    audio_s = statistics.median(len(y) / ANALYSIS_SR for y in clips)
    print(f"{len(clips)} excerpts of {audio_s:.1f} s at {ANALYSIS_SR} Hz, {args.runs} runs each")

    cpu, wall = time_it(lambda y, sr: analyse(y, sr), clips, args.runs)
    ours = audio_s / cpu
    print(
        f"linernotes analyse : {cpu * 1000:7.1f} ms CPU  {wall * 1000:7.1f} ms wall  "
        f"{ours:6.1f}x real time per core"
    )

    figures: dict[str, object] = {
        "analysis_x_realtime": round(ours, 1),
        "analysis_x_realtime_wall": round(audio_s / wall, 1),
        "librosa_x_realtime": None,
        "ratio": None,
        "tracks": len(clips),
        "excerpt_s": round(audio_s, 1),
    }
    suite = librosa_suite()
    if suite is None:
        figures["note"] = "librosa not installed: pip install librosa for the baseline"
        print("librosa baseline   : skipped (librosa is not installed)")
    else:
        import librosa

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            l_cpu, l_wall = time_it(suite, clips, args.runs)
        theirs = audio_s / l_cpu
        print(
            f"librosa {librosa.__version__:10s} : {l_cpu * 1000:7.1f} ms CPU  "
            f"{l_wall * 1000:7.1f} ms wall  {theirs:6.1f}x real time per core"
        )
        figures.update(
            librosa_x_realtime=round(theirs, 1),
            librosa_x_realtime_wall=round(audio_s / l_wall, 1),
            ratio=round(ours / theirs, 2),
            librosa_version=librosa.__version__,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
