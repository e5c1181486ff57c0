"""One Chroma collection of vectors in one space: writes with counts, planned queries.

Chroma is the one index: every query goes to it through the planner
(``tools.catalog.planner``), which needs the collection's metadata counts. They are kept
in the catalog state (``tools.catalog.state``) in step with each upsert, and read back
once per catalog generation, so a process never holds more than the counts (a few
hundred numbers) and the records of its latest candidates.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from linernotes.tools.catalog import planner
from linernotes.tools.catalog.counts import MetaCounts, deltas
from linernotes.tools.catalog.metaindex import MetaIndex, Scoped
from linernotes.tools.catalog.state import CatalogState
from linernotes.tools.catalog.store import bulk_upsert, vector_collection
from linernotes.tools.errors import CatalogError

log = logging.getLogger(__name__)
_PAGE = 2000


class VectorCollection:
    """Vectors of one kind ('audio' or 'captions') in one embedding space."""

    def __init__(self, client: Any, name: str, space: str, kind: str, state: CatalogState) -> None:
        self.name = name
        self.space = space
        self.state = state
        self.chroma = vector_collection(client, name, metadata={"space": space, "kind": kind})
        self._counts: tuple[int, MetaCounts, Scoped | None] | None = None  # per generation
        self._lock = threading.Lock()
        self.last_plan: planner.Plan | None = None

    def rebind(self, client: Any) -> None:
        """Use ``client`` from now on (a reopened embedded store); forget the counts."""
        self.chroma = client.get_collection(self.name)
        with self._lock:
            self._counts = None

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
        """Write to Chroma in large batches and keep the metadata counts in step.

        The metadata a record had before is subtracted, so re-ingesting a track never
        counts it twice. Counts are written after the vectors: a crash between the two
        leaves counts a little low, which only makes the planner more cautious.
        """
        ids = list(ids)
        index = self.state.meta_index()
        fresh = index is not None and not index.complete(self.name) and self.count() == 0
        old = self.metadatas(ids)
        held = self._docs_here()
        if index is not None:  # first: a crash leaves rows for absent ids, which match nothing
            index.replace(
                self.name,
                old,
                zip(ids, metadatas, strict=True),
                mark_complete=fresh,
                docs=zip(ids, documents, strict=True) if held else (),
            )
        vecs = np.asarray(vecs, np.float32)
        bulk_upsert(self.chroma, ids, vecs, metadatas, documents=None if held else documents)
        change = deltas(old.values(), -1)
        for key, d in deltas(metadatas).items():
            change[key] = change.get(key, 0) + d
        self.state.add_counts(self.name, change)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove records by id (absent ids are ignored), and their counts."""
        if not ids:
            return
        old = self.metadatas(list(ids))
        self.chroma.delete(ids=list(ids))
        self.state.add_counts(self.name, deltas(old.values(), -1))
        index = self.state.meta_index()
        if index is not None:
            index.replace(self.name, old, [], drop_docs=ids)

    def update(
        self,
        ids: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
        documents: Sequence[str] | None = None,
    ) -> None:
        """Replace the metadata (and documents) of existing records; vectors untouched."""
        if not ids:
            return
        ids = list(ids)
        old = self.metadatas(ids)
        held = self._docs_here()
        docs = list(documents) if documents is not None else None
        if held is not None or docs is None:
            self.chroma.update(ids=ids, metadatas=list(metadatas))
        else:  # Chroma re-embeds changed documents unless given the vectors: pass the stored ones
            by_id = self.vectors(ids)
            vecs = np.stack([by_id[i] for i in ids])
            self.chroma.update(ids=ids, embeddings=vecs, metadatas=list(metadatas), documents=docs)
        merged = [  # Chroma merges metadata: given keys replace, None deletes, others stay
            {k: v for k, v in {**old.get(i, {}), **m}.items() if v is not None}
            for i, m in zip(ids, metadatas, strict=True)
        ]
        change = deltas(old.values(), -1)
        for key, d in deltas(merged).items():
            change[key] = change.get(key, 0) + d
        self.state.add_counts(self.name, change)
        index = self.state.meta_index()
        if index is not None:
            written = zip(ids, docs, strict=True) if held is not None and docs is not None else ()
            index.replace(self.name, old, zip(ids, merged, strict=True), docs=written)

    def counts(self, generation: int) -> MetaCounts:
        """The metadata counts, as of ``generation`` (rebuilt once if never kept)."""
        return self._planning(generation)[0]

    def _planning(self, generation: int) -> tuple[MetaCounts, Scoped | None]:
        """Counts and the usable metadata index as of ``generation`` (each built once)."""
        with self._lock:
            if self._counts is not None and self._counts[0] == generation:
                return self._counts[1], self._counts[2]
            total = self.count()
            counts = self.state.counts(self.name)
            if counts is None:
                log.info("counting the metadata of %s (once, for the query planner)", self.name)
                rebuilt = deltas(
                    m for page in self._pages(["metadatas"]) for m in page["metadatas"]
                )
                with contextlib.suppress(CatalogError):  # a read-only catalog: keep them here
                    self.state.add_counts(self.name, rebuilt)
                counts = rebuilt
            got = MetaCounts(counts, total)
            scoped = self._index_ready()
            self._counts = (generation, got, scoped)
            return got, scoped

    def _index_ready(self) -> Scoped | None:
        """The metadata index if it holds every record (filled once for an older catalog)."""
        index = self.state.meta_index()
        if index is None:
            return None
        if not index.complete(self.name):
            if index.read_only:
                return None
            log.info("indexing the metadata of %s (once, for filtered queries)", self.name)
            index.rebuild(
                self.name,
                (
                    pair
                    for page in self._pages(["metadatas"])
                    for pair in zip(page["ids"], page["metadatas"], strict=True)
                ),
            )
        return index.scoped(self.name)

    def query(
        self,
        vec: np.ndarray,
        k: int,
        where: dict[str, Any] | None,
        exclude: Iterable[str],
        generation: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (id, cosine similarity) pairs, best first, filtered on metadata."""
        if k <= 0:
            return []
        counts, index = self._planning(generation)
        hits, plan = planner.query(self.chroma, vec, k, where or None, exclude, counts, index=index)
        self.last_plan = plan
        return hits

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` have a record here."""
        found: set[str] = set()
        for i in range(0, len(ids), _PAGE):
            found.update(self.chroma.get(ids=list(ids[i : i + _PAGE]), include=[])["ids"])
        return found

    def first_metadatas(self, n: int) -> list[Mapping[str, Any]]:
        """The stored metadata of up to ``n`` records (Chroma's order: a sample, not a sort)."""
        got = self.chroma.get(limit=n, include=["metadatas"])
        return list(got["metadatas"] or [])

    def metadatas(self, ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """Stored metadata by id (missing ids are absent)."""
        out: dict[str, Mapping[str, Any]] = {}
        for i in range(0, len(ids), _PAGE):
            got = self.chroma.get(ids=list(ids[i : i + _PAGE]), include=["metadatas"])
            out.update(zip(got["ids"], got["metadatas"] or [], strict=True))
        return out

    def _docs_here(self) -> MetaIndex | None:
        """The SQLite home of this collection's documents, or None (they stay in Chroma).

        Documents (track records, captions) live in ``records.sqlite`` beside the metadata
        index, not in Chroma: Chroma full-text indexes every document it stores, which cost
        ~35 % of bulk insert (2,500 vs 3,950 records/s at 30k, measured), and nothing here
        searches documents by their words (the lexical index does that). A collection from
        before this is copied out once. Server mode and read-only catalogs keep Chroma's.
        """
        index = self.state.meta_index()
        if index is None or not index.docs_available:
            return None
        if index.holds_docs(self.name):
            return index
        if index.read_only:
            return None
        if self.count() == 0:
            index.hold_docs(self.name)
        else:
            log.info("moving the documents of %s into records.sqlite (once)", self.name)
            index.adopt_docs(
                self.name,
                (
                    zip(page["ids"], page["documents"], strict=True)
                    for page in self._pages(["documents"])
                ),
            )
        return index

    def documents_by_id(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored documents by id, fetched in batches (missing ids are absent)."""
        held = self._docs_here()
        if held is not None:
            return held.docs(self.name, ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), _PAGE):
            got = self.chroma.get(ids=list(ids[i : i + _PAGE]), include=["documents"])
            out.update(zip(got["ids"], got["documents"] or [], strict=True))
        return out

    def find_documents(self, where_document: dict[str, Any], limit: int) -> dict[str, str]:
        """Documents containing a string (``{"$contains": text}``), up to ``limit``.

        Only ids Chroma holds count: a crash between the two writes can leave a document
        for a record that never reached Chroma.
        """
        held = self._docs_here()
        if held is None:
            got = self.chroma.get(where_document=where_document, limit=limit, include=["documents"])
            return dict(zip(got["ids"], got["documents"] or [], strict=True))
        ids = held.containing(self.name, where_document["$contains"], limit)
        return self.documents_by_id(sorted(self.existing(ids)))

    def find_names(self, key: str, text: str, how: str, limit: int) -> dict[str, str] | None:
        """Documents whose ``key`` metadata is / starts with / contains ``text``.

        See ``MetaIndex.names``. None where the catalog keeps no index: the caller then
        asks Chroma (metadata equality and its document regex).
        """
        held = self._docs_here()
        index = self._index_ready() if held is not None else None
        if held is None or index is None:
            return None
        ids = held.names(self.name, key, text, how, limit)
        return self.documents_by_id(sorted(self.existing(ids))) if ids else {}

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self.chroma.get(limit=_PAGE, offset=offset, include=include)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def ids(self, where: dict[str, Any] | None = None) -> list[str]:
        """Every id whose metadata passes ``where`` (Chroma's own filter), page by page."""
        out: list[str] = []
        while True:
            page = self.chroma.get(where=where, limit=_PAGE, offset=len(out), include=[])
            if not page["ids"]:
                return out
            out.extend(page["ids"])

    def documents(self) -> Iterator[str]:
        """Every stored document, page by page (whole-catalog jobs only: mining, training)."""
        held = self._docs_here()
        for page in self._pages([] if held else ["documents"]):
            if held is None:
                yield from page["documents"] or []
            else:
                yield from held.docs(self.name, page["ids"]).values()

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (missing ids are absent from the result)."""
        got = self.chroma.get(ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(v, np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }
