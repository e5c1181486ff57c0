"""One Chroma collection of vectors in one space, with a fast in-memory index beside it.

Chroma stays the system of record (persisted, shared through a server); queries are
answered by ``VectorIndex``, which keeps metadata-filtered search fast (Chroma's own
filtered query is far slower at catalog scale; ``bench/search.py`` compares them). The
index is loaded lazily on the first query, so ingest never pays for it, and kept in step
with every upsert made through this object. Writes by another process are seen after re-opening.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from linernotes.tools.catalog.store import bulk_upsert, vector_collection
from linernotes.tools.catalog.vecindex import VectorIndex

_PAGE = 2000


class VectorCollection:
    """Vectors of one kind ('audio' or 'captions') in one embedding space."""

    def __init__(self, client: Any, name: str, space: str, kind: str) -> None:
        self.name = name
        self.space = space
        self.chroma = vector_collection(client, name, metadata={"space": space, "kind": kind})
        self._index: VectorIndex | None = None
        self._lock = threading.Lock()

    def count(self) -> int:
        """Number of records in Chroma."""
        return int(self.chroma.count())

    def upsert(
        self,
        ids: Sequence[str],
        vecs: np.ndarray,
        metadatas: Sequence[Mapping[str, Any]],
        documents: Sequence[str],
    ) -> None:
        """Write to Chroma in large batches, then to the index if it is loaded."""
        vecs = np.asarray(vecs, np.float32)
        bulk_upsert(self.chroma, ids, vecs, metadatas, documents=documents)
        with self._lock:
            if self._index is not None:
                self._index.add(ids, vecs, metadatas)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove records by id (absent ids are ignored), from Chroma and the index."""
        if not ids:
            return
        self.chroma.delete(ids=list(ids))
        with self._lock:
            if self._index is not None:
                self._index.remove([i for i in ids if i in self._index])

    def update(
        self,
        ids: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
        documents: Sequence[str] | None = None,
    ) -> None:
        """Replace the metadata (and documents) of existing records; vectors untouched."""
        if not ids:
            return
        # Chroma re-embeds changed documents unless it is given the vectors: pass the stored ones.
        by_id = self.vectors(ids)
        vecs = np.stack([by_id[i] for i in ids])
        docs = list(documents) if documents is not None else None
        self.chroma.update(
            ids=list(ids), embeddings=vecs, metadatas=list(metadatas), documents=docs
        )
        with self._lock:
            if self._index is not None:
                self._index.remove(list(ids))
                self._index.add(ids, vecs, metadatas)

    def index(self) -> VectorIndex | None:
        """The in-memory index (loaded on first use); None while the collection is empty."""
        with self._lock:
            if self._index is None and self.count() > 0:
                self._index = VectorIndex.from_collection(self.chroma)
            return self._index

    def query(
        self, vec: np.ndarray, k: int, where: dict[str, Any] | None, exclude: Iterable[str]
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (id, cosine similarity) pairs, best first, filtered on metadata."""
        index = self.index()
        if index is None or k <= 0:
            return []
        return index.query(np.asarray(vec, np.float32), k, where or None, exclude)

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` have a record here."""
        found: set[str] = set()
        for i in range(0, len(ids), _PAGE):
            found.update(self.chroma.get(ids=list(ids[i : i + _PAGE]), include=[])["ids"])
        return found

    def documents(self) -> Iterable[str]:
        """Every stored document, page by page."""
        total, offset = self.count(), 0
        while offset < total:
            page = self.chroma.get(limit=_PAGE, offset=offset, include=["documents"])
            yield from page["documents"] or []
            offset += _PAGE

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (missing ids are absent from the result)."""
        got = self.chroma.get(ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(v, np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }
