"""Ingest throughput (tracks/min): local engine, serial baseline and Ray engine; capacity.

Generates ~40 synthetic 25 s tracks (44.1 kHz stereo FLAC: chords, bass, noise-burst
drums at varied tempos), then ingests them into a fresh temporary catalog several times
with each mode, alternating modes so machine noise hits all alike, and reports the
median. The baseline is measured in the same run: ``in_process=True`` (decode and
measure in the main process, one file after the other). Times are whole runs, as a user
sees them: model loading, hashing, analysis, embedding, captioning and catalog writes.

With the ray extra installed, two more modes: ``ray`` (``--engine ray`` as a user runs
it: a local Ray runtime started and stopped by each run) and ``ray_warm`` (the same
pipeline on a runtime that is already up, as on a cluster). Then per-stage costs are
measured here (analysis, embedding, captioning, catalog write: seconds per track) and
turned into the README's capacity table: tracks/hour for N CPU workers and G GPUs with
the production budget (embedding ~50 ms/track, caption ~2 s/track of GPU), and what a
Chroma server holds at 1M and 10M tracks.

    .venv/bin/python bench/ingest.py [--tracks 40] [--seconds 25] [--runs 3] [--workers N]
        [--no-ray]

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capacity import capacity_table, chroma_footprint, stage_costs

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


def timed_ingest(folder: Path, catalog: Path, workers: int, mode: str) -> float:
    """Ingest ``folder`` into a fresh ``catalog`` with one engine mode; return tracks/min."""
    settings = load_settings(catalog=catalog, workers=workers)
    start = time.perf_counter()
    if mode.startswith("ray"):
        from linernotes.tools.ingest.ray_engine import ingest_ray

        report = ingest_ray([folder], settings, progress=False)
    else:
        report = ingest([folder], settings, progress=False, in_process=mode == "serial")
    seconds = time.perf_counter() - start
    if report.skipped or report.added != report.files:
        raise SystemExit(f"bench ingest lost files: {report.model_dump_json()}")
    return 60.0 * report.added / seconds


def has_ray() -> bool:
    """Whether the ray extra is installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    """Render the tracks, time both modes, print the medians and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=load_settings().workers)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray engine modes")
    args = parser.parse_args()
    modes = ["serial", "workers"]
    if not args.no_ray and has_ray():
        modes += ["ray", "ray_warm"]

    with tempfile.TemporaryDirectory(prefix="linernotes-bench-") as tmp:
        root = Path(tmp)
        audio = root / "audio"
        audio.mkdir()
        for i in range(args.tracks):
            render_track(audio / f"track_{i:03d}.flac", seed=i, seconds=args.seconds)
        # Warm-up (imports, model files into the page cache) so run 1 is not special.
        timed_ingest(audio, root / "warmup", args.workers, "serial")

        rates: dict[str, list[float]] = {m: [] for m in modes}
        for run in range(args.runs):
            for mode in modes:
                catalog = root / f"catalog-{mode}-{run}"
                if mode == "ray_warm":
                    rate = warm_ray_run(audio, catalog, args.workers)
                else:
                    rate = timed_ingest(audio, catalog, args.workers, mode)
                rates[mode].append(rate)
                print(f"run {run + 1} {mode:<8} {rate:7.1f} tracks/min", flush=True)
        costs = stage_costs(sorted(audio.iterdir())[:8], load_settings(catalog=root / "costs"))
        footprint = chroma_footprint(root / "catalog-workers-0")

    medians = {m: statistics.median(r) for m, r in rates.items()}
    serial, parallel = medians["serial"], medians["workers"]
    print(f"median serial {serial:.1f} tracks/min; {args.workers} workers {parallel:.1f}")
    if "ray" in medians:
        print(f"median ray {medians['ray']:.1f} tracks/min (runtime started per run); "
              f"ray_warm {medians['ray_warm']:.1f} (runtime up)")  # fmt: skip
    table = capacity_table(costs)
    for row in table:
        print(
            f"{row['cpus']:>4} CPUs {row['gpus']:>3} GPUs: analysis {row['analysis']:>10,.0f}/h  "
            f"embedding {row['embedding']:>10,.0f}/h  caption {row['caption']:>9,.0f}/h  "
            f"-> {row['bound']} bound, {row['tracks_per_hour']:,.0f} tracks/h"
        )
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
        **{f"{m}_tracks_per_min": round(v, 1) for m, v in medians.items() if m.startswith("ray")},
        "ray_vs_workers": round(medians["ray_warm"] / parallel, 2) if "ray" in medians else None,
        "runs_tracks_per_min": {k: [round(r, 1) for r in v] for k, v in rates.items()},
        "stage_seconds_per_track": costs,
        "capacity": table,
        "chroma": footprint,
    }
    print(json.dumps(result))


def warm_ray_run(audio: Path, catalog: Path, workers: int) -> float:
    """The Ray engine on a runtime started beforehand (not timed): the cluster case."""
    from linernotes.tools.ingest.ray_engine import ray_runtime

    with ray_runtime(None, workers):
        return timed_ingest(audio, catalog, workers, "ray_warm")


if __name__ == "__main__":
    main()
