"""Catalog state every process must agree on: active spaces, skips, counts, generation.

Two homes, one interface, chosen with the store (``make_state``):

- embedded: ``records.sqlite`` in the catalog folder (WAL), beside the verdicts;
- server (``LINERNOTES_STORE=http``): a small Chroma collection ``linernotes-state`` on
  the server itself, so a client with nothing but the store URL finds the catalog's
  spaces, skip ledger, metadata counts and adapters, and every client sees every write.

The **generation** is a counter bumped after each committed write to the catalog's
vectors. A process keeps caches (track records, metadata counts, and in embedded mode
Chroma's own in-memory HNSW segments) only while the generation it read them under is
current, so another process's ingest is seen at the latest on the next query.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from typing_extensions import override

from linernotes.tools.catalog.counts import Key, MetaCounts
from linernotes.tools.catalog.metaindex import MetaIndex
from linernotes.tools.catalog.records import Records
from linernotes.tools.schemas import utc_now
from linernotes.tools.settings import Settings

STATE_COLLECTION = "linernotes-state"


class CatalogState(Protocol):
    """What the catalog keeps outside its vector collections (see the module docstring)."""

    def get_meta(self, key: str) -> Any:
        """The JSON value stored under ``key``, or None."""

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""

    def generation(self) -> int:
        """The catalog's write counter (0 before the first write)."""

    def bump(self) -> int:
        """Add one to the write counter; return the new value."""

    def add_counts(self, collection: str, deltas: Mapping[Key, int]) -> None:
        """Add metadata count changes of one collection."""

    def counts(self, collection: str) -> dict[Key, int] | None:
        """Metadata counts of one collection; None when never kept."""

    def record_skip(self, path: str, reason: str) -> None:
        """Remember a file that could not be ingested, and why."""

    def clear_skip(self, path: str) -> None:
        """Forget an earlier skip of ``path``."""

    def skipped(self) -> list[dict[str, str]]:
        """Every skipped file with its reason, by path."""

    def skip_count(self) -> int:
        """How many files are in the skip ledger."""

    def meta_index(self) -> MetaIndex | None:
        """The metadata index (``tools.catalog.metaindex``), where this store keeps one."""


class SqliteState(CatalogState):
    """State in the catalog's ``records.sqlite`` (embedded store)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self._index: MetaIndex | None = None
        self._index_lock = threading.Lock()

    @override
    def get_meta(self, key: str) -> Any:
        return self.records.get_meta(key)

    @override
    def set_meta(self, key: str, value: Any) -> None:
        self.records.set_meta(key, value)

    @override
    def generation(self) -> int:
        return self.records.generation()

    @override
    def bump(self) -> int:
        return self.records.bump_generation()

    @override
    def add_counts(self, collection: str, deltas: Mapping[Key, int]) -> None:
        self.records.add_counts(collection, deltas)

    @override
    def counts(self, collection: str) -> dict[Key, int] | None:
        return self.records.counts(collection)

    @override
    def record_skip(self, path: str, reason: str) -> None:
        self.records.record_skip(path, reason)

    @override
    def clear_skip(self, path: str) -> None:
        self.records.clear_skip(path)

    @override
    def skipped(self) -> list[dict[str, str]]:
        return self.records.skipped()

    @override
    def skip_count(self) -> int:
        return self.records.count("skips")

    @override
    def meta_index(self) -> MetaIndex | None:
        with self._index_lock:
            if self._index is None:
                self._index = MetaIndex(self.records.path, self.records.read_only)
        return self._index if self._index.available else None


def _sid(*parts: str) -> str:
    """A Chroma id for a state entry (hashed when it may be long or odd, like a path)."""
    head, *rest = parts
    if not rest:
        return head
    return f"{head}/{hashlib.sha1('/'.join(rest).encode('utf-8', 'surrogateescape')).hexdigest()}"


class ChromaState(CatalogState):
    """State in a Chroma collection on the server (``LINERNOTES_STORE=http``).

    Each entry is one record (a one-number placeholder vector; Chroma needs one) whose
    document is JSON and whose metadata names its kind. Counts and the generation are
    read-modify-write under this process's lock: two clients ingesting at once may lose
    a count update (the planner only needs the order of magnitude); vectors never race.
    """

    def __init__(self, client: Any) -> None:
        self._coll = client.get_or_create_collection(STATE_COLLECTION, embedding_function=None)
        self._lock = threading.Lock()

    def _read(self, sid: str) -> Any:
        got = self._coll.get(ids=[sid], include=["documents"])
        return json.loads(got["documents"][0]) if got["ids"] else None

    def _write(self, sid: str, value: Any, kind: str) -> None:
        self._coll.upsert(
            ids=[sid], embeddings=[[0.0]], documents=[json.dumps(value)], metadatas=[{"kind": kind}]
        )

    @override
    def get_meta(self, key: str) -> Any:
        return self._read(_sid("meta", key))

    @override
    def set_meta(self, key: str, value: Any) -> None:
        self._write(_sid("meta", key), value, "meta")

    @override
    def generation(self) -> int:
        return int(self._read("generation") or 0)

    @override
    def bump(self) -> int:
        with self._lock:
            n = self.generation() + 1
            self._write("generation", n, "clock")
            return n

    @override
    def add_counts(self, collection: str, deltas: Mapping[Key, int]) -> None:
        with self._lock:
            rows = self.counts(collection) or {}
            for key, d in deltas.items():
                rows[key] = rows.get(key, 0) + d
            live = [[*k, n] for k, n in rows.items() if n > 0]
            self._write(_sid("counts", collection), live, "counts")

    @override
    def counts(self, collection: str) -> dict[Key, int] | None:
        got = self._read(_sid("counts", collection))
        return None if got is None else {(k, t, v): int(n) for k, t, v, n in got}

    @override
    def record_skip(self, path: str, reason: str) -> None:
        self._write(_sid("skip", path), {"path": path, "reason": reason, "at": utc_now()}, "skip")

    @override
    def clear_skip(self, path: str) -> None:
        self._coll.delete(ids=[_sid("skip", path)])

    @override
    def skipped(self) -> list[dict[str, str]]:
        got = self._coll.get(where={"kind": "skip"}, include=["documents"])
        return sorted((json.loads(d) for d in got["documents"]), key=lambda s: s["path"])

    @override
    def skip_count(self) -> int:
        return len(self._coll.get(where={"kind": "skip"}, include=[])["ids"])

    @override
    def meta_index(self) -> MetaIndex | None:
        return None  # the server plans with counts alone (``tools.catalog.planner``)


def load_counts(state: CatalogState, collection: str, total: int) -> MetaCounts | None:
    """The stored counts of one collection (None when none were ever kept)."""
    rows = state.counts(collection)
    return None if rows is None else MetaCounts(rows, total)


def make_state(settings: Settings, client: Any, records: Records) -> CatalogState:
    """The catalog state for this store: ``records.sqlite``, or the Chroma server."""
    if settings.store == "http":
        return ChromaState(client)
    return SqliteState(records)


def read_active_spaces(settings: Settings) -> dict[str, str] | None:
    """The spaces the catalog records as active (None when there is no catalog yet).

    Side-effect free in embedded mode: reading a space name never creates a catalog.
    """
    if settings.store == "http":
        from linernotes.tools.catalog.store import make_client

        return ChromaState(make_client(settings)).get_meta("spaces")
    path = Path(settings.catalog).expanduser() / "records.sqlite"
    if not path.is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = list(db.execute("SELECT value FROM meta WHERE key='spaces'"))
    except sqlite3.OperationalError:  # a records file from before any catalog was opened
        return None
    except sqlite3.DatabaseError as e:  # not a database, malformed: say so, touch nothing
        from linernotes.tools.catalog.records import damaged

        raise damaged(path, e) from e
    finally:
        db.close()
    return json.loads(rows[0][0]) if rows else None
