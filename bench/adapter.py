"""Adapter training time on 10k triplets (CPU): linear vs MLP, and a numpy baseline.

The acceptance target is "training on 10k triplets takes < 1 min on this CPU". Each kind
is trained ``--runs`` times with the default configuration (early stopping included,
as ``linernotes train-adapter`` runs it) and with a fixed number of epochs (no early
stopping, so seconds per epoch are comparable). The baseline in the same run is a
plain numpy forward pass plus triplet loss over all triplets: the cost of one epoch of
just *evaluating* the loss without autograd, so the gap shows what training adds.
Vectors are 87-d (the acoustic-v1 size) over 2,000 tracks; labels come from a hidden
4-d subspace, so there is something to learn. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from linernotes.tools.feedback.adapter import TrainConfig, l2_normalise, train_adapter


def synthetic(n_tracks: int, dim: int, n_triplets: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_tracks, dim)).astype(np.float32)
    a, p, q = (rng.integers(0, n_tracks, n_triplets) for _ in range(3))
    key = x[:, :4]
    closer = ((key[a] - key[p]) ** 2).sum(1) < ((key[a] - key[q]) ** 2).sum(1)
    return x, np.stack([a, np.where(closer, p, q), np.where(closer, q, p)], 1)


def numpy_epoch(x: np.ndarray, t: np.ndarray, margin: float) -> float:
    """Forward (identity map + normalise) and triplet loss over every triplet, in numpy."""
    y = l2_normalise(x @ np.eye(x.shape[1], dtype=np.float32))
    a, p, n = y[t[:, 0]], y[t[:, 1]], y[t[:, 2]]
    d = ((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + margin
    return float(np.maximum(d, 0).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triplets", type=int, default=10_000)
    parser.add_argument("--tracks", type=int, default=2_000)
    parser.add_argument("--dim", type=int, default=87)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30, help="fixed-epoch runs")
    args = parser.parse_args()
    x, t = synthetic(args.tracks, args.dim, args.triplets)
    train_adapter(x, t[:200], TrainConfig(epochs=1))  # import torch, warm up kernels
    figures: dict[str, object] = {"triplets": args.triplets, "dim": args.dim, "runs": args.runs}
    slowest = 0.0
    for kind in ("linear", "mlp"):
        full, fixed, epochs, acc = [], [], [], []
        for run in range(args.runs):
            r = train_adapter(x, t, TrainConfig(kind=kind, seed=run))
            full.append(r.seconds)
            epochs.append(r.epochs_run)
            acc.append(r.val_acc_after - r.val_acc_before)
            cfg = TrainConfig(kind=kind, seed=run, epochs=args.epochs, patience=args.epochs + 1)
            fixed.append(train_adapter(x, t, cfg).seconds / args.epochs)
        slowest = max(slowest, statistics.median(full))
        figures[f"{kind}_train_s_median"] = round(statistics.median(full), 3)
        figures[f"{kind}_epochs_median"] = statistics.median(epochs)
        figures[f"{kind}_epoch_ms_median"] = round(1000 * statistics.median(fixed), 2)
        figures[f"{kind}_val_acc_gain_median"] = round(statistics.median(acc), 3)
        print(
            f"{kind:<6}: {statistics.median(full):.2f} s to train on {args.triplets} triplets "
            f"(median of {args.runs}; {statistics.median(epochs):.0f} epochs with early "
            f"stopping), {1000 * statistics.median(fixed):.1f} ms/epoch, held-out triplet "
            f"accuracy +{statistics.median(acc):.3f}"
        )
    times = []
    for _ in range(max(5, args.runs)):
        start = time.perf_counter()
        numpy_epoch(x, t, 0.1)
        times.append(time.perf_counter() - start)
    figures["baseline_numpy_epoch_ms_median"] = round(1000 * statistics.median(times), 2)
    figures["under_1_min"] = slowest < 60.0
    print(f"baseline: numpy forward + loss over all triplets {1000 * statistics.median(times):.1f}"
          " ms/epoch (no gradients)")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
