"""Fit the acoustic-v2 space on the real corpus's DEVELOPMENT packages; write its data file.

    python -m linernotes.tools.realcorpus.fit [--corpus DIR] [--out tools/data/acoustic-v2.npz]

What is fitted (see ``tools.embed.acoustic_v2``): feature means and spreads, and a
projection onto the directions where tracks differ more than passages of one track do:
the generalised eigenvectors of the total scatter against the within-track scatter
(pairs of 30 s segments), the latter ridge-regularised by ``ridge`` times its mean
variance, each direction scaled by its eigenvalue to the power ``power``. The ridge,
the power and the number of dimensions are chosen by two-fold cross-validation over
the development PACKAGES (fit on one half, score same-track recall@5, then package
precision@5, on the other), then the chosen setting is refitted on all of them. The
held-out packages are never read here.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from scipy.linalg import eigh

from linernotes.tools.embed.acoustic_v2 import SPACE, V2_FEATURE_NAMES, data_path, v2_features
from linernotes.tools.realcorpus.build import default_out, read_manifest
from linernotes.tools.realcorpus.segments import Segment, load_segments

RIDGES = (0.03, 0.1, 0.3, 1.0)
POWERS = (0.0, 0.5)
DIMS = (24, 48, 96)
K = 5


def fit_projection(z: np.ndarray, tracks: np.ndarray, ridge: float, power: float, dims: int):
    """(D, dims) projection from standardised features ``z`` and their track ids."""
    d = z.shape[1]
    diffs = []
    for t in np.unique(tracks):
        rows = z[tracks == t]
        diffs += [a - b for a, b in itertools.combinations(rows, 2)]
    diff = np.array(diffs)
    within = diff.T @ diff / (2 * len(diff))
    total = np.cov(z, rowvar=False)
    reg = within + ridge * np.trace(within) / d * np.eye(d)
    vals, vecs = eigh(total, reg)
    order = np.argsort(vals)[::-1][: min(dims, d)]
    return vecs[:, order] * np.maximum(vals[order], 1e-9) ** (power / 2)


def score(v: np.ndarray, tracks: np.ndarray, packages: np.ndarray, index: np.ndarray):
    """(same-track recall@5, same-package precision@5) of cosine search, queries = index 0."""
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    hits, prec = [], []
    for q in np.flatnonzero(index == 0):
        order = np.argsort(-sims[q], kind="stable")
        hits.append(np.any(tracks[order[:K]] == tracks[q]))
        others = order[tracks[order] != tracks[q]][:K]
        prec.append(np.mean(packages[others] == packages[q]))
    return float(np.mean(hits)), float(np.mean(prec))


def _arrays(segs: list[Segment]):
    x = np.array([v2_features(s.analysis) for s in segs])
    tracks = np.array([s.track for s in segs])
    packages = np.array([s.package for s in segs])
    index = np.array([s.index for s in segs])
    return x, tracks, packages, index


def _standardise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num((x - mean) / std), -6.0, 6.0)


def cross_validate(segs: list[Segment]) -> list[tuple[tuple[float, float, int], float, float]]:
    """Mean (recall, precision) per setting over two package folds; identity = dims 0."""
    x, tracks, packages, index = _arrays(segs)
    names = sorted(set(packages), key=lambda p: -int(np.sum(packages == p)))
    folds = [set(names[0::2]), set(names[1::2])]
    settings = [(0.0, 0.0, 0), *itertools.product(RIDGES, POWERS, DIMS)]
    results = []
    for setting in settings:
        recalls, precs = [], []
        for fold in folds:
            train = np.isin(packages, list(fold))
            test = ~train
            mean, std = x[train].mean(axis=0), np.maximum(x[train].std(axis=0), 1e-3)
            z_train, z_test = _standardise(x[train], mean, std), _standardise(x[test], mean, std)
            ridge, power, dims = setting
            proj = (
                np.eye(x.shape[1])
                if dims == 0
                else fit_projection(z_train, tracks[train], ridge, power, dims)
            )
            r, p = score(z_test @ proj, tracks[test], packages[test], index[test])
            recalls.append(r)
            precs.append(p)
        results.append((setting, float(np.mean(recalls)), float(np.mean(precs))))
        print(f"{setting}: recall@5 {results[-1][1]:.3f} package p@5 {results[-1][2]:.3f}")
    return results


def main(argv: list[str] | None = None) -> None:
    """Cross-validate, refit on all development packages, write the data file."""
    ap = argparse.ArgumentParser(prog="python -m linernotes.tools.realcorpus.fit")
    ap.add_argument("--corpus", type=Path, default=default_out())
    ap.add_argument("--out", type=Path, default=data_path())
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    rows = [r for r in read_manifest(args.corpus) if r["split"] == "dev"]
    segs = load_segments(args.corpus, rows, args.jobs)
    results = cross_validate(segs)
    best = max(results, key=lambda r: (round(r[1], 3), r[2]))
    (ridge, power, dims), recall, prec = best
    x, tracks, _, _ = _arrays(segs)
    mean, std = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-3)
    z = _standardise(x, mean, std)
    proj = np.eye(x.shape[1]) if dims == 0 else fit_projection(z, tracks, ridge, power, dims)
    fitted_on = sorted({s.package for s in segs})
    np.savez(
        args.out,
        space=np.array(SPACE),
        feature_names=np.array(V2_FEATURE_NAMES),
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        projection=proj.astype(np.float32),
        fitted_on=np.array(fitted_on),
        setting=np.array(json.dumps({"ridge": ridge, "power": power, "dims": dims})),
    )
    print(
        f"{SPACE}: ridge {ridge} power {power} dims {dims or x.shape[1]} "
        f"(cross-validated recall@5 {recall:.3f}, package p@5 {prec:.3f}) from "
        f"{len(set(tracks))} tracks of {len(fitted_on)} development packages -> {args.out}"
    )


if __name__ == "__main__":
    main()
