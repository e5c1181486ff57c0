"""Benchmark MusicFM ingest embedding on a GPU against the CPU of the same machine.

The README sends MusicFM users to a GPU for ingest ("a track of 3 clips is minutes on a
CPU"). This measures that advice on the published model's size (325M parameters, layer 7
of 12) with random weights: speed does not depend on the weights' values, and no weights
can be downloaded here. Tracks are 90 s synthetic stereo 44.1 kHz files, embedded through
``MusicFMEmbedder.embed_audio`` (decode, resample to 24 kHz, 3 clips of 30 s, forward,
pool), as ``linernotes ingest`` calls it.

Figures: tracks/min on CUDA in float32 (what ships) and under bf16 autocast (a candidate:
its vectors' cosine to the float32 ones is printed too), tracks/min on the CPU (all cores,
the baseline, measured in the same run), and the ratio. Medians over ``--runs`` runs.

Usage: ``python bench/gpu.py [--tracks 24] [--runs 3] [--batch 6]``. Without CUDA it says so
and prints ``{"cuda": false}``. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_track(path: Path, seconds: float, seed: int, sr: int = 44100) -> Path:
    """A stereo track: a few partials with a slow swell plus noise (never silent)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    freqs = rng.uniform(110, 880, 4)
    y = sum(0.1 * np.sin(2 * np.pi * f * t) for f in freqs) * (1 + 0.3 * np.sin(0.7 * t))
    y = y + 0.02 * rng.standard_normal(t.size)
    sf.write(path, np.stack([y, y], 1).astype(np.float32), sr, subtype="PCM_16")
    return path


def save_full_size(folder: Path) -> None:
    """A weights folder of the published layout with random full-size MusicFM weights."""
    import torch

    from linernotes.tools.embed.musicfm import MusicFMConfig, build_model

    torch.manual_seed(0)
    model = build_model(MusicFMConfig())
    folder.mkdir(parents=True, exist_ok=True)
    state = {"model." + k: v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state}, folder / "pretrained_msd.pt")
    (folder / "msd_stats.json").write_text(
        json.dumps({"melspec_2048_mean": 6.77, "melspec_2048_std": 18.4})
    )


def rate(
    embed: Callable[[Path], np.ndarray], tracks: list[Path], runs: int, sync: Callable[[], object]
) -> tuple[float, list[float], np.ndarray]:
    """Median tracks/min over ``runs`` passes, and the last pass's vectors."""
    per_min, vectors = [], []
    embed(tracks[0])  # warm-up: kernels, allocator, first-call caches
    for _ in range(runs):
        sync()
        t0 = time.perf_counter()
        vectors = [embed(p) for p in tracks]
        sync()
        per_min.append(60.0 * len(tracks) / (time.perf_counter() - t0))
    return statistics.median(per_min), per_min, np.stack(vectors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=24, help="90 s tracks per GPU pass")
    ap.add_argument("--cpu-tracks", type=int, default=2, help="tracks per CPU pass")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=6, help="clips per forward pass")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure (run this on a GPU machine)")
        print(json.dumps({"cuda": False}))
        return
    from linernotes.tools.embed.musicfm import MusicFMEmbedder
    from linernotes.tools.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="linernotes-gpu-"))
    save_full_size(work / "weights")
    tracks = [write_track(work / f"t{i}.wav", 90.0, i) for i in range(args.tracks)]
    settings = Settings(embedder_weights=work / "weights", batch_size=args.batch)
    gpu = MusicFMEmbedder(settings, device="cuda")
    n_params = sum(p.numel() for p in gpu.model.parameters())
    sync = torch.cuda.synchronize
    fp32, fp32_runs, v32 = rate(gpu.embed_audio, tracks, args.runs, sync)

    def bf16(path: Path) -> np.ndarray:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return gpu.embed_audio(path)

    half, half_runs, v16 = rate(bf16, tracks, args.runs, sync)
    cos = (v32 * v16).sum(axis=1)
    peak_gib = torch.cuda.max_memory_allocated() / 2**30
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cpu = MusicFMEmbedder(settings, device="cpu")
    cpu_rate, cpu_runs, vcpu = rate(
        cpu.embed_audio, tracks[: args.cpu_tracks], max(2, args.runs - 1), lambda: None
    )
    agree = (vcpu * v32[: args.cpu_tracks]).sum(axis=1)
    rows = [
        ("CUDA float32 (ships)", fp32, fp32_runs),
        ("CUDA bf16 autocast", half, half_runs),
        (f"CPU, {torch.get_num_threads()} threads (baseline)", cpu_rate, cpu_runs),
    ]
    print(f"MusicFM full size ({n_params / 1e6:.0f}M parameters), 90 s tracks, 3 x 30 s clips")
    print(f"{torch.cuda.get_device_name()}; batch {args.batch} clips; medians of the runs")
    print(f"{'path':<34}{'tracks/min':>12}  runs")
    for name, median, runs in rows:
        print(f"{name:<34}{median:>12.1f}  " + ", ".join(f"{r:.1f}" for r in runs))
    print(f"bf16 vs float32 vectors: cosine min {cos.min():.5f}, median {np.median(cos):.5f}")
    print(f"CUDA vs CPU float32 vectors: cosine min {agree.min():.5f}")
    print(
        json.dumps({
            "cuda": True, "device": torch.cuda.get_device_name(), "params_m": round(n_params / 1e6),
            "tracks_per_min_cuda_fp32": round(fp32, 1), "tracks_per_min_cuda_bf16": round(half, 1),
            "tracks_per_min_cpu": round(cpu_rate, 2), "cpu_threads": torch.get_num_threads(),
            "speedup_fp32_vs_cpu": round(fp32 / cpu_rate, 1),
            "speedup_bf16_vs_fp32": round(half / fp32, 2),
            "bf16_cosine_min": round(float(cos.min()), 5),
            "cuda_cpu_cosine_min": round(float(agree.min()), 5),
            "peak_gpu_gib": round(peak_gib, 2),
        })
    )  # fmt: skip


if __name__ == "__main__":
    main()
