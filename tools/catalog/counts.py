"""How many records hold each metadata value: the statistics the query planner needs.

The planner (``tools.catalog.planner``) picks a query path from a filter's estimated
selectivity, so the catalog keeps, per collection, a count of every (key, value):
strings and booleans exactly, numbers in buckets of two significant digits (0.42, 128,
1300), which bounds the table (a few hundred rows for a catalog's metadata) and puts a
range estimate within one bucket of the truth. Counts are kept in step with every write
(an upsert subtracts the metadata it replaces) and also give ``catalog stats`` its
breakdowns without reading a track.

Estimates: a clause is exact up to the bucket edge; ``$and`` multiplies (independence),
``$or`` adds the complements' product. The planner only needs the order of magnitude and
widens its over-fetch when an estimate proves optimistic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from linernotes.tools.catalog.where import Where, kind

Key = tuple[str, str, str]
"""(metadata key, kind, value as text): the kind keeps True, 1 and "1" apart."""


def bucket(value: float) -> float:
    """``value`` rounded to two significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    digits = 1 - int(math.floor(math.log10(abs(value))))
    return round(float(value), digits)


def count_key(key: str, value: Any) -> Key | None:
    """The count row a metadata entry adds to (None for values a filter cannot reach)."""
    if value is None or isinstance(value, list | tuple | dict):
        return None
    k = kind(value)
    if k == "num":
        return (key, k, repr(bucket(float(value))))
    return (key, k, str(value))


def deltas(metadatas: Iterable[Mapping[str, Any] | None], sign: int = 1) -> dict[Key, int]:
    """Count changes of adding (``sign=1``) or removing (-1) these records' metadata."""
    out: dict[Key, int] = {}
    for meta in metadatas:
        for key, value in (meta or {}).items():
            row = count_key(key, value)
            if row is not None:
                out[row] = out.get(row, 0) + sign
    return out


class MetaCounts:
    """Counts of (key, kind, value) over one collection, and selectivity estimates."""

    def __init__(self, rows: Mapping[Key, int] | None = None, total: int = 0) -> None:
        self.rows: dict[Key, int] = {k: n for k, n in (rows or {}).items() if n > 0}
        self.total = total
        self._by_key: dict[str, list[tuple[str, str, int]]] = {}
        for (key, k, value), n in self.rows.items():
            self._by_key.setdefault(key, []).append((k, value, n))

    def values(self, key: str) -> dict[str, int]:
        """Count per value of one key (numbers by bucket), largest first."""
        got = {value: n for _, value, n in self._by_key.get(key, [])}
        return dict(sorted(got.items(), key=lambda kv: (-kv[1], kv[0])))

    def _eq(self, key: str, value: Any) -> int:
        row = count_key(key, value)
        return 0 if row is None else self.rows.get(row, 0)

    def _present(self, key: str) -> int:
        return sum(n for _, _, n in self._by_key.get(key, []))

    def _range(self, key: str, op: str, value: float) -> int:
        edge = bucket(float(value))
        total = 0
        for k, text, n in self._by_key.get(key, []):
            if k != "num":
                continue
            b = float(text)
            inside = {"$gt": b > edge, "$gte": b >= edge, "$lt": b < edge, "$lte": b <= edge}[op]
            if b == edge:
                total += n // 2  # the bucket straddles the bound: count half of it
            elif inside:
                total += n
        return total

    def selectivity(self, where: Where | None) -> float:
        """Estimated share of records that pass ``where`` (1.0 without a filter)."""
        if not where or self.total <= 0:
            return 1.0
        return max(0.0, min(1.0, self._estimate(where)))

    def _estimate(self, where: Where) -> float:
        share = 1.0
        for key, cond in where.items():
            if key == "$and":
                for c in cond:
                    share *= self._estimate(c)
            elif key == "$or":
                miss = 1.0
                for c in cond:
                    miss *= 1.0 - min(1.0, self._estimate(c))
                share *= 1.0 - miss
            elif isinstance(cond, Mapping):
                for op, v in cond.items():
                    share *= self._clause(key, op, v)
            else:
                share *= self._clause(key, "$eq", cond)
        return share

    def _clause(self, key: str, op: str, value: Any) -> float:
        n = self.total
        if op == "$eq":
            return self._eq(key, value) / n
        if op == "$ne":
            return 1.0 - self._eq(key, value) / n
        if op in ("$in", "$nin"):
            hit = sum(self._eq(key, v) for v in value) / n
            return hit if op == "$in" else 1.0 - hit
        if op in ("$gt", "$gte", "$lt", "$lte"):
            return self._range(key, op, value) / n
        return 1.0
