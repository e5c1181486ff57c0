"""Side records of a catalog kept in SQLite: skips, judge verdicts, feedback, triplets.

Vectors and track records live in Chroma (the system of record for retrieval); these
records are relational and append-mostly (an ingest ledger, verdicts with their anchor
and context, thumbs, mined training triplets), so they sit in ``records.sqlite`` beside
the Chroma files. SQLite in WAL mode survives ``kill -9`` mid-write: a re-run sees every
committed row.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from linernotes.tools.catalog.atomic import create_sqlite, read_only_connection
from linernotes.tools.errors import CatalogError
from linernotes.tools.schemas import Record, Verdict, utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS skips (
    path TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, mode TEXT NOT NULL, anchor_id TEXT,
    track_id TEXT NOT NULL, context TEXT, backend TEXT NOT NULL, body TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verdicts_anchor ON verdicts(anchor_id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, anchor_id TEXT, track_id TEXT NOT NULL,
    context TEXT, thumb INTEGER NOT NULL, thread TEXT, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pair_verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, anchor_id TEXT, a_id TEXT NOT NULL,
    b_id TEXT NOT NULL, context TEXT, winner TEXT NOT NULL, backend TEXT NOT NULL,
    body TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS triplets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, round INTEGER NOT NULL, anchor_id TEXT NOT NULL,
    positive_id TEXT NOT NULL, negative_id TEXT NOT NULL, context TEXT NOT NULL,
    source TEXT NOT NULL, space TEXT NOT NULL, gap REAL NOT NULL, backend TEXT NOT NULL,
    at TEXT NOT NULL, UNIQUE (anchor_id, positive_id, negative_id, context, source));
CREATE TABLE IF NOT EXISTS clock (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counted (coll TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta_counts (
    coll TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (coll, key, kind, value));
"""


_TABLES = {"skips", "verdicts", "feedback", "meta", "pair_verdicts", "triplets", "clock",
           "counted", "meta_counts"}  # fmt: skip
_KEY_TABLES = {"meta", "skips"}  # every catalog has had these since its first version


def damaged(path: Path, why: object, catalog: Path | None = None) -> CatalogError:
    """The one clear error for a damaged catalog file: which file, why, and what to do."""
    return CatalogError(
        f"catalog file {path} is damaged ({why}); nothing was changed. Restore it from a "
        f"backup, or move the catalog folder {catalog or path.parent} aside and ingest again."
    )


def writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (tried: root ignores permission bits)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _has_siblings(path: Path) -> bool:
    """Whether the catalog folder holds more than this file (an empty file is then damage)."""
    return any(p.name not in {path.name, f"{path.name}-wal", f"{path.name}-shm"}
               for p in path.parent.iterdir())  # fmt: skip


class Triplet(Record):
    """One training example of the feedback loop: the positive should beat the negative.

    ``context`` is "" for context-free similarity (SQLite UNIQUE treats NULLs as
    distinct, so the empty string keeps a re-mined triplet from being stored twice).
    """

    anchor_id: str
    positive_id: str
    negative_id: str
    context: str = Field("", description="Context judged for; '' means similarity only.")
    source: str = Field(description="'judge' (mined verdicts) or 'feedback' (user thumbs).")
    round: int = Field(description="Mining round that produced it (1, 2, ...).")
    space: str = Field(description="Embedding space the neighbours were taken from.")
    gap: float = Field(description="Judge score of positive minus negative (1.0 for thumbs).")
    backend: str = Field(description="Judge backend, or 'feedback'.")
    created_at: str = Field(default_factory=utc_now)


class Records:
    """Thread-safe access to the catalog's SQLite side records."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the records; read-only when the folder cannot be written.

        Raises:
            CatalogError: the file is damaged (not SQLite, truncated, tables missing);
                the message names it and what to do. Nothing is recreated over it.
        """
        self.path = path
        self._lock = threading.Lock()
        self.read_only = False
        existed = path.exists()
        # Judged before SQLite touches the file: opening an empty file makes it a database.
        size = path.stat().st_size if existed else 0
        if existed and size == 0 and _has_siblings(path):
            raise damaged(path, "it is empty (0 bytes), but the catalog holds data")
        try:
            self._db = self._connect(path, existed)
            tables = self._tables(self._db)
        except sqlite3.OperationalError as e:
            raise CatalogError(f"cannot open catalog file {path}: {e}") from e
        except sqlite3.DatabaseError as e:  # "file is not a database", "malformed"
            raise damaged(path, e) from e
        if existed and size and not tables & _KEY_TABLES:
            self._db.close()
            raise damaged(path, "its tables are missing (truncated or replaced)")
        if not self.read_only and tables < _TABLES:
            self._db.executescript(_SCHEMA)  # a new catalog, or an older one: add tables
            self._db.commit()

    def _connect(self, path: Path, existed: bool) -> sqlite3.Connection:
        """A connection in WAL mode; read-only (immutable) when the folder cannot be written."""
        if not existed or writable(path.parent):
            if not existed:
                create_sqlite(path, _SCHEMA)  # whole: a concurrent opener never sees it half-made
            db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            return db
        self.read_only = True
        return read_only_connection(path)

    @staticmethod
    def _tables(db: sqlite3.Connection) -> set[str]:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {r[0] for r in rows}

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self.read_only:
            raise CatalogError(
                f"catalog {self.path.parent} is read-only: cannot write to {self.path.name} "
                "(make the folder writable, or copy the catalog somewhere writable)"
            )
        with self._lock:
            self._db.executemany(sql, rows)
            self._db.commit()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(sql, args))
            except sqlite3.DatabaseError as e:
                if isinstance(e, sqlite3.OperationalError):
                    raise
                raise damaged(self.path, e) from e

    # -- meta ------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        """Return a JSON value stored under ``key``, or None."""
        rows = self._read("SELECT value FROM meta WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(key, json.dumps(value))])

    # -- generation and metadata counts (tools.catalog.state) -------------------------
    def _has(self, table: str) -> bool:
        """Whether ``table`` exists (a read-only catalog from before it was added may lack it)."""
        return bool(
            self._read("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,))
        )

    def generation(self) -> int:
        """The catalog's write counter (0 before the first write)."""
        if self.read_only and not self._has("clock"):
            return 0
        rows = self._read("SELECT n FROM clock WHERE name='generation'")
        return int(rows[0][0]) if rows else 0

    def bump_generation(self) -> int:
        """Add one to the write counter, atomically across processes; return the new value."""
        with self._lock:
            self._db.execute(
                "INSERT INTO clock VALUES ('generation', 1) "
                "ON CONFLICT(name) DO UPDATE SET n = n + 1"
            )
            self._db.commit()
            return int(
                self._db.execute("SELECT n FROM clock WHERE name='generation'").fetchone()[0]
            )

    def add_counts(self, coll: str, deltas: Mapping[tuple[str, str, str], int]) -> None:
        """Add count changes for one collection, atomically (a write transaction)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO counted VALUES (?)", (coll,))
            self._db.executemany(
                "INSERT INTO meta_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT(coll, key, kind, "
                "value) DO UPDATE SET n = n + excluded.n",
                [(coll, k, t, v, d) for (k, t, v), d in deltas.items() if d],
            )
            self._db.execute("DELETE FROM meta_counts WHERE coll=? AND n <= 0", (coll,))
            self._db.commit()

    def counts(self, coll: str) -> dict[tuple[str, str, str], int] | None:
        """Counts of one collection, or None when none were ever kept for it."""
        if self.read_only and not self._has("counted"):
            return None
        if not self._read("SELECT 1 FROM counted WHERE coll=?", (coll,)):
            return None
        rows = self._read("SELECT key, kind, value, n FROM meta_counts WHERE coll=?", (coll,))
        return {(k, t, v): int(n) for k, t, v, n in rows}

    # -- skips -----------------------------------------------------------------------
    def record_skip(self, path: str, reason: str) -> None:
        """Remember that ``path`` was skipped and why (latest reason wins)."""
        self._write("INSERT OR REPLACE INTO skips VALUES (?, ?, ?)", [(path, reason, utc_now())])

    def clear_skip(self, path: str) -> None:
        """Forget a skip once the file has been ingested."""
        self._write("DELETE FROM skips WHERE path=?", [(path,)])

    def skipped(self) -> list[dict[str, str]]:
        """Every skipped file with its reason, by path."""
        rows = self._read("SELECT path, reason, at FROM skips ORDER BY path")
        return [{"path": p, "reason": r, "at": a} for p, r, a in rows]

    # -- verdicts --------------------------------------------------------------------
    def add_verdicts(self, verdicts: list[Verdict], mode: str) -> None:
        """Store judge verdicts (for explanations and hard-negative mining)."""
        self._write(
            "INSERT INTO verdicts (mode, anchor_id, track_id, context, backend, body, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    mode,
                    v.anchor_id,
                    v.track_id,
                    v.context,
                    v.backend,
                    v.model_dump_json(),
                    v.created_at,
                )
                for v in verdicts
            ],
        )

    def verdicts(self, anchor_id: str | None = None, mode: str | None = None) -> list[Verdict]:
        """Stored verdicts, oldest first, optionally for one anchor and/or mode."""
        sql, args = "SELECT body FROM verdicts WHERE 1=1", []
        if anchor_id is not None:
            sql += " AND anchor_id=?"
            args.append(anchor_id)
        if mode is not None:
            sql += " AND mode=?"
            args.append(mode)
        rows = self._read(sql + " ORDER BY id", tuple(args))
        return [Verdict.model_validate_json(r[0]) for r in rows]

    def add_pair_verdicts(self, pairs: list[Any]) -> None:
        """Store pairwise judgments (``tools.judge.schemas.PairVerdict``), both orders in one."""
        self._write(
            "INSERT INTO pair_verdicts (anchor_id, a_id, b_id, context, winner, backend, body,"
            " at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (p.anchor_id, p.a_id, p.b_id, p.context, p.winner, p.backend,
                 p.model_dump_json(), p.created_at)
                for p in pairs
            ],
        )  # fmt: skip

    def pair_verdicts(self, anchor_id: str | None = None) -> list[dict[str, Any]]:
        """Stored pairwise judgments as JSON dicts, oldest first."""
        sql = "SELECT body FROM pair_verdicts"
        args: tuple[str, ...] = ()
        if anchor_id is not None:
            sql, args = sql + " WHERE anchor_id=?", (anchor_id,)
        return [json.loads(r[0]) for r in self._read(sql + " ORDER BY id", args)]

    def count(self, table: str) -> int:
        """Row count of one of the record tables."""
        if table not in {"skips", "verdicts", "feedback", "pair_verdicts", "triplets"}:
            raise ValueError(f"unknown record table {table!r}")
        return int(self._read(f"SELECT COUNT(*) FROM {table}")[0][0])

    # -- feedback --------------------------------------------------------------------
    def add_feedback(
        self,
        track_id: str,
        thumb: int,
        *,
        anchor_id: str | None = None,
        context: str | None = None,
        thread: str | None = None,
    ) -> None:
        """Store a user's thumbs up (+1) or down (-1) on a pick."""
        if thumb not in (1, -1):
            raise ValueError(f"thumb must be 1 or -1, got {thumb!r}")
        self._write(
            "INSERT INTO feedback (anchor_id, track_id, context, thumb, thread, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(anchor_id, track_id, context, thumb, thread, utc_now())],
        )

    def feedback(self) -> list[dict[str, Any]]:
        """Every stored thumb, oldest first."""
        rows = self._read(
            "SELECT anchor_id, track_id, context, thumb, thread, at FROM feedback ORDER BY id"
        )
        keys = ("anchor_id", "track_id", "context", "thumb", "thread", "at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- triplets (hard-negative mining) ---------------------------------------------
    def add_triplets(self, triplets: list[Triplet]) -> int:
        """Store mined triplets, ignoring ones already stored; return how many were new."""
        with self._lock:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO triplets (round, anchor_id, positive_id, negative_id, "
                "context, source, space, gap, backend, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        t.round,
                        t.anchor_id,
                        t.positive_id,
                        t.negative_id,
                        t.context,
                        t.source,
                        t.space,
                        t.gap,
                        t.backend,
                        t.created_at,
                    )
                    for t in triplets
                ],
            )
            self._db.commit()
            return self._db.total_changes - before

    def triplets(self, source: str | None = None) -> list[Triplet]:
        """Stored triplets, oldest first, optionally from one source ('judge'/'feedback')."""
        sql = (
            "SELECT round, anchor_id, positive_id, negative_id, context, source, space, gap, "
            "backend, at FROM triplets"
        )
        rows = self._read(
            sql + (" WHERE source=? ORDER BY id" if source else " ORDER BY id"),
            (source,) if source else (),
        )
        keys = (
            "round",
            "anchor_id",
            "positive_id",
            "negative_id",
            "context",
            "source",
            "space",
            "gap",
            "backend",
            "created_at",
        )
        return [Triplet(**dict(zip(keys, r, strict=True))) for r in rows]

    def mining_rounds(self) -> int:
        """The highest mining round stored (0 before the first ``linernotes mine``)."""
        return int(self._read("SELECT COALESCE(MAX(round), 0) FROM triplets")[0][0])

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()
