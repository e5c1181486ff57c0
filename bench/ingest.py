"""Ingest throughput (tracks/min): worker processes against the serial in-process path.

Generates ~40 synthetic 25 s tracks (44.1 kHz stereo FLAC: chords, bass, noise-burst
drums at varied tempos), then ingests them into a fresh temporary catalog several times
with each mode, alternating modes so machine noise hits both alike, and reports the
median. The baseline is measured in the same run: ``in_process=True`` (decode and
measure in the main process, one file after the other). Times are whole runs, as a user
sees them: model loading, hashing, analysis, embedding, captioning and catalog writes.

    .venv/bin/python bench/ingest.py [--tracks 40] [--seconds 25] [--runs 3] [--workers N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings

SR = 44100


def render_track(path: Path, seed: int, seconds: float) -> None:
    """A synthetic track: a chord, a bass line and noise-burst drums on a tempo grid."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    bpm = rng.uniform(65, 175)
    beat = (t * bpm / 60) % 1.0
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    chord = sum(np.sin(2 * np.pi * root * r * t) for r in (2, 2.52, 3.0)) / 3
    bass = np.sin(2 * np.pi * root * t) * (beat < 0.5)
    drums = rng.standard_normal(t.size) * np.exp(-beat * rng.uniform(10, 40))
    mix = rng.uniform(0.1, 0.5) * chord + 0.3 * bass + rng.uniform(0.0, 0.6) * drums
    mix = 0.8 * mix / np.max(np.abs(mix))
    pan = rng.uniform(0.3, 0.7)
    stereo = np.stack([mix * pan, mix * (1 - pan)], axis=1).astype(np.float32)
    sf.write(str(path), stereo, SR, subtype="PCM_16")


def timed_ingest(folder: Path, catalog: Path, workers: int, in_process: bool) -> float:
    """Ingest ``folder`` into a fresh ``catalog``; return tracks per minute."""
    settings = load_settings(catalog=catalog, workers=workers)
    start = time.perf_counter()
    report = ingest([folder], settings, progress=False, in_process=in_process)
    seconds = time.perf_counter() - start
    if report.skipped or report.added != report.files:
        raise SystemExit(f"bench ingest lost files: {report.model_dump_json()}")
    return 60.0 * report.added / seconds


def main() -> None:
    """Render the tracks, time both modes, print the medians and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=load_settings().workers)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="linernotes-bench-") as tmp:
        root = Path(tmp)
        audio = root / "audio"
        audio.mkdir()
        for i in range(args.tracks):
            render_track(audio / f"track_{i:03d}.flac", seed=i, seconds=args.seconds)
        # Warm-up (imports, model files into the page cache) so run 1 is not special.
        timed_ingest(audio, root / "warmup", args.workers, in_process=True)

        rates: dict[str, list[float]] = {"serial": [], "workers": []}
        for run in range(args.runs):
            for mode in ("serial", "workers"):
                catalog = root / f"catalog-{mode}-{run}"
                rate = timed_ingest(audio, catalog, args.workers, in_process=mode == "serial")
                rates[mode].append(rate)
                print(f"run {run + 1} {mode:<8} {rate:7.1f} tracks/min", flush=True)

    serial = statistics.median(rates["serial"])
    parallel = statistics.median(rates["workers"])
    print(f"median serial {serial:.1f} tracks/min; {args.workers} workers {parallel:.1f}")
    result = {
        "bench": "ingest",
        "tracks": args.tracks,
        "track_seconds": args.seconds,
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "workers": args.workers,
        "serial_tracks_per_min": round(serial, 1),
        "workers_tracks_per_min": round(parallel, 1),
        "speedup": round(parallel / serial, 2),
        "runs_tracks_per_min": {k: [round(r, 1) for r in v] for k, v in rates.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
