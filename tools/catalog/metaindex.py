"""The metadata index: which records pass a filter, answered by SQLite, not by Chroma.

Chroma's own ``where`` resolves every clause to its rows before it searches, which costs
130-230 ms at 100k records whatever the filter keeps (``get(where=...)``, measured), and
over-fetching neighbours with their metadata costs ~40 us a row and loses recall past
the HNSW graph's search depth (a 5 % filter over-fetched 1,250 deep found 0.87 of the
exact top-50). So the catalog keeps one (key, value) row per record's metadata entry in
``records.sqlite``, indexed by value, and the planner (``tools.catalog.planner``) can
ask it for the ids a filter keeps: the most selective positive clause drives an index
scan, every other clause is a primary-key probe. Chroma then searches only among those
ids (``query(ids=...)``), or, for a few hundred, returns their vectors for an exact score.

The SQL follows Chroma's ``where`` semantics to the letter (``tools.catalog.where``):
numbers compare as numbers, booleans only with booleans, strings only with strings, and
``$ne``/``$nin`` also keep records that lack the key. Rows are written with each
upsert/update/delete of the collection; a collection built before the index existed is
filled once from Chroma (``VectorCollection.counts``) and marked ``indexed``. Only the
embedded store has one: a server-mode client plans without it.

The same file keeps each collection's documents (track records, captions; table
``docs``), written in the same commit as the index rows, so Chroma stores vectors and
metadata only (``VectorCollection._docs_here`` says why); an older collection's
documents are copied out of Chroma once and the collection marked in ``docs_held``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linernotes.tools.catalog.atomic import read_only_connection
from linernotes.tools.catalog.counts import MetaCounts
from linernotes.tools.catalog.where import Where, kind

log = logging.getLogger(__name__)
SCHEMA = """
CREATE TABLE IF NOT EXISTS indexed (coll TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta_index (
    coll TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
    num REAL, str TEXT, PRIMARY KEY (coll, key, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS meta_index_num ON meta_index(coll, key, kind, num);
CREATE INDEX IF NOT EXISTS meta_index_str ON meta_index(coll, key, kind, str);
CREATE TABLE IF NOT EXISTS docs_held (coll TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS docs (
    coll TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (coll, id));
"""
TABLES = {"indexed", "meta_index"}
DOC_TABLES = {"docs_held", "docs"}
_POSITIVE = {"$eq", "$in", "$gt", "$gte", "$lt", "$lte"}
_BATCH = 500  # ids per IN (...) query, well under SQLite's variable limit
_RANGE_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def _row(coll: str, rid: str, key: str, value: Any) -> tuple[Any, ...] | None:
    """The index row of one metadata entry (None for values no filter can reach)."""
    if value is None or isinstance(value, list | tuple | dict):
        return None
    k = kind(value)
    if k == "str":
        return (coll, key, rid, k, None, value)
    return (coll, key, rid, k, float(value), None)


@dataclass
class Compiled:
    """A filter as one SQL query over the index, and what the planner needs to cost it."""

    sql: str
    params: list[Any]
    driver: dict[str, Any]  # the clause the index scan starts from
    probes: int  # other clauses, each a primary-key probe per driver row


def _value_sql(alias: str, op: str, value: Any) -> tuple[str, list[Any]]:
    """The condition on one index row for a positive operator (``$eq``, ``$in``, ranges)."""
    if op in _RANGE_SQL:
        return f"{alias}.kind='num' AND {alias}.num {_RANGE_SQL[op]} ?", [float(value)]
    values = list(value) if op == "$in" else [value]
    parts, params = [], []
    for k in ("str", "num", "bool"):
        mine = [v for v in values if kind(v) == k]
        if not mine:
            continue
        col = "str" if k == "str" else "num"
        marks = ",".join("?" * len(mine))
        parts.append(f"({alias}.kind='{k}' AND {alias}.{col} IN ({marks}))")
        params += [v if k == "str" else float(v) for v in mine]
    return ("(" + " OR ".join(parts) + ")" if parts else "0"), params


def _leaf_sql(coll: str, key: str, op: str, value: Any) -> tuple[str, list[Any]]:
    """One clause as an EXISTS probe on the record ``r0``."""
    positive = {"$ne": "$eq", "$nin": "$in"}.get(op, op)
    cond, params = _value_sql("a", positive, value)
    sql = (
        f"EXISTS (SELECT 1 FROM meta_index a WHERE a.coll=? AND a.key=? AND a.id=r0.id AND {cond})"
    )
    return (f"NOT {sql}" if op in ("$ne", "$nin") else sql), [coll, key, *params]


def _expr(coll: str, where: Where) -> tuple[str, list[Any], int]:
    """A whole filter as a boolean SQL expression over ``r0``; also its number of probes."""
    parts, params, probes = [], [], 0
    for key, cond in where.items():
        if key in ("$and", "$or"):
            subs = [_expr(coll, c) for c in cond]
            joiner = " AND " if key == "$and" else " OR "
            parts.append("(" + joiner.join(s for s, _, _ in subs) + ")")
            params += [p for _, ps, _ in subs for p in ps]
            probes += sum(n for _, _, n in subs)
            continue
        ops = cond.items() if isinstance(cond, Mapping) else [("$eq", cond)]
        for op, value in ops:
            sql, ps = _leaf_sql(coll, key, op, value)
            parts.append(sql)
            params += ps
            probes += 1
    return " AND ".join(parts), params, probes


def compile_where(
    coll: str, clauses: Sequence[dict[str, Any]], counts: MetaCounts
) -> Compiled | None:
    """A filter, given as its top-level conjuncts, as one index query.

    None when no conjunct is a positive clause to start from (a bare ``$ne``, a top-level
    ``$or``): the planner then uses its other paths.
    """
    drivers = []
    for i, c in enumerate(clauses):
        ((key, cond),) = c.items()
        if key.startswith("$"):
            continue
        op, value = next(iter(cond.items())) if isinstance(cond, Mapping) else ("$eq", cond)
        if op in _POSITIVE:
            drivers.append((counts.selectivity(c), i, key, op, value))
    if not drivers:
        return None
    _, i, key, op, value = min(drivers, key=lambda d: (d[0], d[1]))
    cond, params = _value_sql("r0", op, value)
    sql = f"SELECT r0.id FROM meta_index r0 WHERE r0.coll=? AND r0.key=? AND {cond}"
    params = [coll, key, *params]
    rest = [c for j, c in enumerate(clauses) if j != i]
    probes = 0
    if rest:
        more, ps, probes = _expr(coll, {"$and": rest})
        sql += f" AND {more}"
        params += ps
    return Compiled(sql, params, clauses[i], probes)


class MetaIndex:
    """The metadata index in one catalog's ``records.sqlite`` (its own connection)."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        self.available = False
        self.docs_available = False
        try:
            if read_only:
                self._db = read_only_connection(path)
            else:
                self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            names = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
            if not names >= TABLES | DOC_TABLES and not read_only:
                self._db.executescript(SCHEMA)
                self._db.commit()
                names |= TABLES | DOC_TABLES
        except sqlite3.Error as e:  # unreadable: plan without, documents from Chroma
            log.info("no metadata index for %s (%s): filters use Chroma alone", path, e)
            return
        self.available = names >= TABLES
        self.docs_available = names >= DOC_TABLES

    def complete(self, coll: str) -> bool:
        """Whether every record of ``coll`` has its rows (written since it was created)."""
        with self._lock:
            return bool(self._db.execute("SELECT 1 FROM indexed WHERE coll=?", (coll,)).fetchone())

    def replace(
        self,
        coll: str,
        old: Mapping[str, Mapping[str, Any]],
        new: Iterable[tuple[str, Mapping[str, Any] | None]],
        *,
        mark_complete: bool = False,
        docs: Iterable[tuple[str, str]] = (),
        drop_docs: Iterable[str] = (),
    ) -> None:
        """Drop the rows of ``old`` metadata (by id) and write those of ``new``, atomically.

        ``docs`` (id, document) are written and ``drop_docs`` deleted in the same commit.
        """
        gone = [(coll, k, rid) for rid, meta in old.items() for k in (meta or {})]
        rows = [r for rid, meta in new for k, v in (meta or {}).items()
                if (r := _row(coll, rid, k, v)) is not None]  # fmt: skip
        with self._lock:
            self._db.executemany("DELETE FROM meta_index WHERE coll=? AND key=? AND id=?", gone)
            self._db.executemany("INSERT OR REPLACE INTO meta_index VALUES (?,?,?,?,?,?)", rows)
            if mark_complete:
                self._db.execute("INSERT OR IGNORE INTO indexed VALUES (?)", (coll,))
            self._db.executemany(
                "DELETE FROM docs WHERE coll=? AND id=?", ((coll, i) for i in drop_docs)
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO docs VALUES (?,?,?)", ((coll, i, d) for i, d in docs)
            )
            self._db.commit()

    def rebuild(self, coll: str, records: Iterable[tuple[str, Mapping[str, Any] | None]]) -> None:
        """Fill the index of a collection built before it existed, and mark it complete."""
        with self._lock:
            self._db.execute("DELETE FROM meta_index WHERE coll=?", (coll,))
            self._db.commit()
        self.replace(coll, {}, records, mark_complete=True)

    def ids(self, compiled: Compiled) -> list[str]:
        """The ids the compiled filter keeps."""
        with self._lock:
            return [r[0] for r in self._db.execute(compiled.sql, compiled.params)]

    def holds_docs(self, coll: str) -> bool:
        """Whether ``coll``'s documents live here (written since it was created, or copied)."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM docs_held WHERE coll=?", (coll,)).fetchone()
        return bool(row)

    def adopt_docs(self, coll: str, pages: Iterable[Iterable[tuple[str, str]]]) -> None:
        """Copy an older collection's documents out of Chroma, then mark them held here.

        ``INSERT OR IGNORE``: a document another process already wrote here is newer than
        Chroma's copy, so it stays.
        """
        for page in pages:
            with self._lock:
                self._db.executemany(
                    "INSERT OR IGNORE INTO docs VALUES (?,?,?)", ((coll, i, d) for i, d in page)
                )
                self._db.commit()
        self.hold_docs(coll)

    def hold_docs(self, coll: str) -> None:
        """Mark ``coll``'s documents as kept here from now on."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO docs_held VALUES (?)", (coll,))
            self._db.commit()

    def docs(self, coll: str, ids: Sequence[str]) -> dict[str, str]:
        """Stored documents by id (missing ids are absent)."""
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(ids), _BATCH):
                part = list(ids[i : i + _BATCH])
                marks = ",".join("?" * len(part))
                sql = f"SELECT id, doc FROM docs WHERE coll=? AND id IN ({marks})"
                out.update(self._db.execute(sql, [coll, *part]).fetchall())
        return out

    def containing(self, coll: str, text: str, limit: int) -> list[str]:
        """Ids of ``coll`` whose document contains ``text`` (case-sensitive), in id order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM docs WHERE coll=? AND instr(doc, ?) ORDER BY id LIMIT ?",
                (coll, text, limit),
            ).fetchall()
        return [r[0] for r in rows]

    def names(self, coll: str, key: str, text: str, how: str, limit: int) -> list[str]:
        """Ids whose string metadata ``key`` equals, starts with or contains ``text``.

        Title and artist lookup: ``key`` is ``title_key`` / ``artist_key`` (normalised);
        equality and prefix are index range scans, "contains" scans that key's rows only.
        """
        cond = {"exact": "str = ?", "prefix": "str >= ? AND str < ?", "contains": "instr(str, ?)"}
        params = [text, text + "\U0010ffff"] if how == "prefix" else [text]
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM meta_index WHERE coll=? AND key=? AND kind='str' AND "
                f"{cond[how]} ORDER BY str, id LIMIT ?",
                [coll, key, *params, limit],
            ).fetchall()
        return [r[0] for r in rows]

    def scoped(self, coll: str) -> Scoped:
        """This index as one collection's planner sees it."""
        return Scoped(self, coll)

    def close(self) -> None:
        """Close the connection (the catalog closes it with the records)."""
        with self._lock:
            self._db.close()


@dataclass
class Scoped:
    """The index of one collection: what ``tools.catalog.planner`` asks it."""

    index: MetaIndex
    coll: str

    def compile(self, clauses: Sequence[dict[str, Any]], counts: MetaCounts) -> Compiled | None:
        """See ``compile_where``."""
        return compile_where(self.coll, clauses, counts)

    def ids(self, compiled: Compiled) -> list[str]:
        """The ids the compiled filter keeps."""
        return self.index.ids(compiled)
