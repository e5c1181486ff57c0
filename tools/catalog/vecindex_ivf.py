"""The inverted file that keeps ``tools.catalog.vecindex`` fast past ~30k vectors.

An exact scan reads every vector (a 100k x 512-d float32 matrix is 205 MB per query;
memory bandwidth is the limit, so a second BLAS thread or bfloat16 barely helps). An
inverted file reads only the vectors in the lists whose centroids are nearest the query:
spherical k-means (cosine) trained on a sample, every vector assigned to its nearest
centroid. The index walks the lists in centroid order until it holds its budget of rows
that pass the filter, then scores those exactly.

Tried and dropped: an exact variant that keeps each list's angular radius and stops when
no list left can beat the k-th score (triangle inequality on the sphere). In 512-d the
bound is too loose to prune (members sit ~40 degrees from their centroid yet ~50 degrees
from each other): it read more than a plain scan.
"""

from __future__ import annotations

import numpy as np


class CoarseQuantizer:
    """Unit-norm centroids; a vector's list is the centroid with the highest dot product.

    Attributes:
        centroids: ``(nlist, dim)`` float32, unit norm.
        trained_rows: How many vectors the index held when this was trained.
    """

    def __init__(self, centroids: np.ndarray, trained_rows: int) -> None:
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self.trained_rows = trained_rows

    @property
    def nlist(self) -> int:
        """Number of lists (centroids)."""
        return len(self.centroids)

    @classmethod
    def train(
        cls, vecs: np.ndarray, nlist: int, *, iters: int = 8, sample: int = 16_384, seed: int = 0
    ) -> CoarseQuantizer:
        """Spherical k-means on a random sample of (unit-norm) ``vecs``.

        Empty lists are re-seeded from random sample rows, so every centroid is used.
        """
        from scipy import sparse  # only large catalogs train one: not on every start

        rng = np.random.default_rng(seed)
        n = len(vecs)
        nlist = max(1, min(nlist, n))
        take = rng.choice(n, size=min(n, max(sample, nlist)), replace=False)
        x = np.ascontiguousarray(vecs[np.sort(take)], dtype=np.float32)
        centroids = x[rng.choice(len(x), size=nlist, replace=False)].copy()
        for _ in range(iters):
            labels, _ = _nearest(x, centroids)
            onehot = sparse.csr_matrix(
                (np.ones(len(x), dtype=np.float32), (labels, np.arange(len(x)))),
                shape=(nlist, len(x)),
            )
            sums = np.asarray(onehot @ x, dtype=np.float32)
            empty = np.flatnonzero(np.bincount(labels, minlength=nlist) == 0)
            sums[empty] = x[rng.choice(len(x), size=len(empty), replace=False)]
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            centroids = (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return cls(centroids, trained_rows=n)

    def assign(self, vecs: np.ndarray) -> np.ndarray:
        """The list of each vector, as int32."""
        return _nearest(np.asarray(vecs, dtype=np.float32), self.centroids)[0]

    def probe_order(self, q: np.ndarray) -> np.ndarray:
        """List ids from the nearest centroid to the farthest.

        einsum, not BLAS: a two-thread product this small mostly waits for a busy core.
        """
        return np.argsort(-np.einsum("ij,j->i", self.centroids, q), kind="stable")


def _nearest(x: np.ndarray, centroids: np.ndarray, chunk: int = 8192):
    labels = np.empty(len(x), dtype=np.int32)
    cos = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), chunk):
        sims = x[start : start + chunk] @ centroids.T
        labels[start : start + chunk] = np.argmax(sims, axis=1)
        cos[start : start + chunk] = sims[np.arange(len(sims)), labels[start : start + chunk]]
    return labels, cos


def lists_to_probe(order: np.ndarray, counts: np.ndarray, target: int) -> np.ndarray:
    """The shortest prefix of ``order`` whose lists hold at least ``target`` rows.

    Args:
        order: List ids, nearest first.
        counts: Rows per list that pass the filter.
        target: Rows wanted (every list when fewer exist).
    """
    cum = np.cumsum(counts[order])
    return order[: min(len(order), int(np.searchsorted(cum, target)) + 1)]
