"""An in-memory vector index with Chroma-style metadata filters, kept beside Chroma.

Why it exists: Chroma's metadata-filtered query is many times slower than its unfiltered
HNSW query at catalog scale (``bench/search.py`` measures both), and the agent filters
almost every search ("no vocals", "energy below 0.4"). This index holds every vector in one float32
matrix and every metadata key in a typed numpy column, so a ``where`` filter becomes a
boolean mask in a few vectorised comparisons, and the rows that pass are scored in numpy.

How the rows are chosen depends on how many pass (see ``bench/search.py``):
- few (<= ``exact_rows``) or a small catalog (< ``ivf_min_rows``): every passing row is
  scored, exactly (a gather of the passing rows, or one scan of the matrix with the
  others masked out when most pass);
- many, in a large catalog: an exact scan would read the whole matrix (memory-bound),
  so an inverted file
  (``tools.catalog.vecindex_ivf``) takes the lists nearest the query until they hold
  ``ivf_fraction`` of the passing rows (at least ``ivf_per_k`` x k), and scores those
  exactly. This is the one approximate path: when trained it checks its recall on the
  catalog's own vectors and widens its budget until recall@10 >= ``target_recall``
  (a catalog without structure ends up exact); ``bench/search.py`` measures recall@50
  against the exact filtered result, and ``query(..., exact=True)`` skips it.

Chroma stays the system of record: ``VectorIndex.from_collection`` loads the index when
the catalog opens, and the catalog calls ``add``/``remove`` next to each Chroma write.

Filter semantics follow Chroma's (checked against it in ``tests/test_vecindex.py``):
``$eq $ne $gt $gte $lt $lte $in $nin $and $or``; ints and floats compare as numbers,
booleans only with booleans, strings only with strings; ``$ne``/``$nin`` also match
records that lack the key. It is more lenient than Chroma in three ways that never change
a result: several keys in one dict (or several operators on one key) mean ``$and``, an
``$and``/``$or`` may hold a single clause, and ``$in: []`` matches nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from linernotes.tools.catalog.vecindex_filters import Columns, Where, evaluate
from linernotes.tools.catalog.vecindex_ivf import CoarseQuantizer, lists_to_probe

Hit = tuple[str, float]


def _scores(vecs: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Dot products of every row with ``q``, single-threaded on purpose.

    On this project's shared 2-core machines OpenBLAS's two-thread matrix-vector product
    often waits for its second thread to be scheduled: a steady ~8 ms for 10k rows, p95
    16-27 ms for a few thousand gathered rows, against 1-3 ms and 7-12 ms for einsum's one
    thread; at 100k rows, where memory bandwidth is the limit, the two are on a par.
    """
    return np.einsum("ij,j->i", vecs, q)


def _dot_rows(vecs: np.ndarray, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Scores of some rows (a gather, then ``_scores``)."""
    return _scores(vecs[rows], q)


class VectorIndex:
    """Exact cosine search over L2-normalised float32 vectors, with metadata filters.

    Args:
        dim: Vector length; every vector added or queried must have it.
        scan_fraction: In an exact search, when a filter keeps at most this fraction of
            the rows only those rows are gathered and scored; above it the whole matrix
            is scored once and the dropped rows are masked out of the top-k.
        exact_rows: Searches whose filter keeps at most this many rows score them all.
        ivf_min_rows: Catalogs smaller than this never use the inverted file.
        ivf_fraction: Share of the passing rows an inverted-file search scores...
        ivf_per_k: ...and at least this many rows per requested hit.
        target_recall: Recall@10 the inverted file must reach on the catalog's own
            vectors when it is trained; its budget grows until it does.
    """

    def __init__(
        self,
        dim: int,
        *,
        capacity: int = 1024,
        scan_fraction: float = 0.1,
        exact_rows: int = 8192,
        ivf_min_rows: int = 32_768,
        ivf_fraction: float = 1 / 16,
        ivf_per_k: int = 40,
        target_recall: float = 0.98,
    ) -> None:
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim = dim
        self.scan_fraction = scan_fraction
        self.exact_rows = exact_rows
        self.ivf_min_rows = ivf_min_rows
        self.ivf_fraction = ivf_fraction
        self.ivf_per_k = ivf_per_k
        self.target_recall = target_recall
        self._quantizer: CoarseQuantizer | None = None
        self._lists = np.full(max(1, capacity), -1, dtype=np.int32)
        self._vecs = np.zeros((max(1, capacity), dim), dtype=np.float32)
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._meta = Columns(len(self._vecs))
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._rows

    @property
    def ids(self) -> list[str]:
        """Ids in row order (a copy)."""
        return list(self._ids)

    def _normalised(self, vecs: np.ndarray) -> np.ndarray:
        vecs = np.asarray(vecs, dtype=np.float32)
        if vecs.ndim == 1:
            vecs = vecs[None, :]
        if vecs.ndim != 2 or vecs.shape[1] != self.dim:
            raise ValueError(f"expected vectors of dim {self.dim}, got shape={vecs.shape}")
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0)

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._vecs):
            return
        capacity = max(rows, int(len(self._vecs) * 1.5) + 1)
        bigger = np.zeros((capacity, self.dim), dtype=np.float32)
        bigger[: len(self._ids)] = self._vecs[: len(self._ids)]
        self._vecs = bigger
        self._meta.grow(capacity)
        lists = np.full(capacity, -1, dtype=np.int32)
        lists[: len(self._lists)] = self._lists
        self._lists = lists

    def add(
        self,
        ids: Sequence[str],
        vecs: np.ndarray,
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> None:
        """Insert or update records with Chroma's upsert semantics.

        An existing id gets the new vector, and its metadata is merged as Chroma merges
        it: given keys replace old values, ``None`` deletes a key, other keys stay.
        """
        vecs = self._normalised(vecs)
        if len(ids) != len(vecs) or (metadatas is not None and len(metadatas) != len(ids)):
            raise ValueError(
                f"got {len(ids)} ids, {len(vecs)} vectors and "
                f"{'no' if metadatas is None else len(metadatas)} metadatas"
            )
        with self._lock:
            self._reserve(len(self._ids) + len(ids))
            rows = []
            for i, track_id in enumerate(ids):
                meta = None if metadatas is None else metadatas[i]
                row = self._rows.get(track_id)
                if row is None:
                    row = self._rows[track_id] = len(self._ids)
                    self._ids.append(track_id)
                else:
                    meta = {**self._meta.value(row), **(meta or {})}
                self._vecs[row] = vecs[i]
                self._meta.set_row(row, meta)
                rows.append(row)
            if self._quantizer is not None and rows:
                self._lists[rows] = self._quantizer.assign(vecs)

    def remove(self, ids: Iterable[str]) -> None:
        """Drop records (unknown ids are ignored); the last row moves into the gap."""
        with self._lock:
            for track_id in ids:
                row = self._rows.pop(track_id, None)
                if row is None:
                    continue
                last = len(self._ids) - 1
                if row != last:
                    moved = self._ids[last]
                    self._vecs[row] = self._vecs[last]
                    self._lists[row] = self._lists[last]
                    self._meta.move_row(last, row)
                    self._ids[row] = moved
                    self._rows[moved] = row
                self._ids.pop()
                self._meta.clear_row(last)

    def vector(self, track_id: str) -> np.ndarray:
        """Return a copy of one stored (normalised) vector; KeyError when absent."""
        with self._lock:
            return self._vecs[self._rows[track_id]].copy()

    def metadata(self, track_id: str) -> dict[str, Any]:
        """Return the indexed metadata of one record; KeyError when absent."""
        with self._lock:
            return self._meta.value(self._rows[track_id])

    def mask(self, where: Where) -> np.ndarray:
        """Evaluate a Chroma-style ``where`` filter to a boolean mask over the rows."""
        with self._lock:
            return evaluate(self._meta, where, len(self._ids))

    def query(
        self,
        vec: np.ndarray,
        k: int,
        where: Where | None = None,
        exclude: Iterable[str] = (),
        *,
        exact: bool = False,
    ) -> list[Hit]:
        """Return up to ``k`` (id, cosine similarity) pairs, best first.

        Args:
            vec: Query vector of length ``dim`` (normalised here).
            k: How many hits at most.
            where: Optional Chroma-style metadata filter.
            exclude: Ids never returned (the anchor track, tracks already picked).
            exact: Score every row that passes the filter, whatever the catalog size.
        """
        q = self._normalised(vec)[0]
        with self._lock:
            n = len(self._ids)
            if n == 0 or k <= 0:
                return []
            mask = None if where is None else evaluate(self._meta, where, n)
            rows_out = [r for r in (self._rows.get(i) for i in exclude) if r is not None]
            if rows_out:
                mask = np.ones(n, dtype=bool) if mask is None else mask
                mask[rows_out] = False
            survivors = n if mask is None else int(np.count_nonzero(mask))
            if survivors == 0:
                return []
            if not exact and n >= self.ivf_min_rows and survivors > self.exact_rows:
                rows = self._ivf_rows(q, k, mask, survivors)
                if rows is not None:
                    return self._top(_dot_rows(self._vecs, rows, q), rows, k)
            if mask is None:
                return self._top(_scores(self._vecs[:n], q), None, k)
            if survivors <= self.scan_fraction * n:
                rows = np.flatnonzero(mask)
                return self._top(_dot_rows(self._vecs, rows, q), rows, k)
            scores = _scores(self._vecs[:n], q)
            scores[~mask] = -np.inf
            return self._top(scores, None, min(k, survivors))

    def prepare(self) -> None:
        """Train the inverted file now (large catalogs), not on the first query."""
        with self._lock:
            if len(self._ids) >= self.ivf_min_rows:
                self._ensure_quantizer(len(self._ids))

    def _ensure_quantizer(self, n: int) -> CoarseQuantizer:
        """Train (or retrain, once the catalog doubled), assign every row, calibrate."""
        quantizer = self._quantizer
        if quantizer is None or n > 2 * quantizer.trained_rows:
            quantizer = CoarseQuantizer.train(self._vecs[:n], nlist=int(np.sqrt(n)))
            self._lists[:n] = quantizer.assign(self._vecs[:n])
            self._quantizer = quantizer
            self._calibrate(n)
        return quantizer

    def _calibrate(self, n: int, queries: int = 24, k: int = 10) -> None:
        """Widen the inverted file's budget until it finds what an exact scan finds.

        Stored vectors serve as "more like this" queries; while their recall@k against
        the exact scan is below ``target_recall``, ``ivf_fraction`` doubles (up to 1/2,
        where every search is exact). Catalogs without structure thus stay exact. A
        small k is the hard case: the budget grows with k (``ivf_per_k``).
        """
        rng = np.random.default_rng(0)
        probes = self._vecs[rng.choice(n, size=min(queries, n), replace=False)]
        truth = [set(np.argpartition(_scores(self._vecs[:n], q), n - k)[n - k :]) for q in probes]
        while self.ivf_fraction < 0.5:
            found = []
            for q, exact in zip(probes, truth, strict=True):
                rows = self._ivf_rows(q, k, None, n, calibrated=False)
                if rows is None:
                    return
                scores = _dot_rows(self._vecs, rows, q)
                top = rows[np.argpartition(scores, max(0, len(rows) - k))[-k:]]
                found.append(len(exact & set(top.tolist())) / k)
            if float(np.mean(found)) >= self.target_recall:
                return
            self.ivf_fraction *= 2

    def _ivf_rows(
        self,
        q: np.ndarray,
        k: int,
        mask: np.ndarray | None,
        survivors: int,
        *,
        calibrated: bool = True,
    ) -> np.ndarray | None:
        """Passing rows in the lists nearest ``q``; None when the budget is most of them."""
        n = len(self._ids)
        quantizer = self._ensure_quantizer(n) if calibrated else self._quantizer
        assert quantizer is not None
        target = max(self.ivf_per_k * k, int(survivors * self.ivf_fraction))
        if target >= survivors // 2:
            return None
        lists = self._lists[:n]
        counts = np.bincount(lists if mask is None else lists[mask], minlength=quantizer.nlist)
        chosen = np.zeros(quantizer.nlist, dtype=bool)
        chosen[lists_to_probe(quantizer.probe_order(q), counts, target)] = True
        keep = chosen[lists]
        if mask is not None:
            keep &= mask
        return np.flatnonzero(keep)

    def _top(self, scores: np.ndarray, rows: np.ndarray | None, k: int) -> list[Hit]:
        k = min(k, len(scores))
        if k < len(scores):
            best = np.argpartition(scores, len(scores) - k)[len(scores) - k :]
        else:
            best = np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        picked = best if rows is None else rows[best]
        return [(self._ids[r], float(s)) for r, s in zip(picked, scores[best], strict=True)]

    @classmethod
    def from_collection(
        cls, collection: Any, dim: int | None = None, *, page: int = 5000
    ) -> VectorIndex:
        """Load every vector and metadata of a Chroma collection, page by page.

        Args:
            collection: A chromadb ``Collection`` (embedded or over HTTP).
            dim: Vector length; needed only when the collection may be empty, else it is
                read from the first vector (and checked against ``dim`` when both exist).
            page: Records fetched per ``get`` call.
        """
        index = None if dim is None else cls(dim, capacity=max(1, collection.count()))
        offset = 0
        while True:
            got = collection.get(include=["embeddings", "metadatas"], limit=page, offset=offset)
            ids = got["ids"]
            if not ids:
                break
            vecs = np.asarray(got["embeddings"], dtype=np.float32)
            if index is None:
                index = cls(vecs.shape[1], capacity=max(len(ids), collection.count()))
            index.add(ids, vecs, got["metadatas"])
            offset += len(ids)
        if index is None:
            raise ValueError(f"collection {collection.name!r} is empty: pass dim= to load it")
        index.prepare()
        return index
