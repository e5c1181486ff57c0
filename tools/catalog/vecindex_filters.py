"""Metadata columns and Chroma-style ``where`` filters for ``tools.catalog.vecindex``.

Every metadata key is a typed numpy column (numbers as float64 with NaN for "no value",
booleans as int8 with -1, strings as int32 codes with -1), so a filter becomes a few
vectorised comparisons. The semantics follow Chroma's (``tests/test_vecindex.py`` checks
them against it): ints and floats compare as numbers, booleans only with booleans,
strings only with strings, ranges apply to numbers only, and ``$ne``/``$nin`` also match
rows that lack the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Where = Mapping[str, Any]

_MISSING_STR = -1  # code of a string column row that has no value
_MISSING_BOOL = -1  # int8 bool column: -1 missing, 0 false, 1 true
_RANGE_OPS = {"$gt": np.greater, "$gte": np.greater_equal, "$lt": np.less, "$lte": np.less_equal}


def _kind(value: Any) -> str:
    """Name the column kind of one metadata value (bool before int: bool is an int)."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "num"
    if isinstance(value, str):
        return "str"
    raise ValueError(f"unsupported metadata value {value!r} (expected str, int, float or bool)")


class Columns:
    """Typed metadata columns, one per (key, kind), all with the same number of rows."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.cols: dict[tuple[str, str], np.ndarray] = {}
        self.codes: dict[str, dict[str, int]] = {}  # per key: string -> code

    def _new(self, kind: str, capacity: int) -> np.ndarray:
        if kind == "num":
            return np.full(capacity, np.nan, dtype=np.float64)
        if kind == "bool":
            return np.full(capacity, _MISSING_BOOL, dtype=np.int8)
        return np.full(capacity, _MISSING_STR, dtype=np.int32)

    def grow(self, capacity: int) -> None:
        """Give every column room for ``capacity`` rows, new rows missing."""
        for name, col in self.cols.items():
            bigger = self._new(name[1], capacity)
            bigger[: len(col)] = col
            self.cols[name] = bigger
        self.capacity = capacity

    def clear_row(self, row: int) -> None:
        """Mark every key missing on one row (before it is written again)."""
        for (_, kind), col in self.cols.items():
            col[row] = np.nan if kind == "num" else -1

    def set_row(self, row: int, metadata: Mapping[str, Any] | None) -> None:
        """Write one record's metadata; ``None`` values mean 'no value', as in Chroma."""
        self.clear_row(row)
        for key, value in (metadata or {}).items():
            if value is None or isinstance(value, list | tuple | dict):
                continue  # Chroma's list values ($contains) are not indexed here
            kind = _kind(value)
            col = self.cols.get((key, kind))
            if col is None:
                col = self.cols[(key, kind)] = self._new(kind, self.capacity)
            if kind == "str":
                codes = self.codes.setdefault(key, {})
                col[row] = codes.setdefault(value, len(codes))
            else:
                col[row] = int(value) if kind == "bool" else float(value)

    def move_row(self, src: int, dst: int) -> None:
        """Copy row ``src`` onto ``dst`` (swap-remove keeps the rows dense)."""
        for col in self.cols.values():
            col[dst] = col[src]

    def value(self, row: int) -> dict[str, Any]:
        """Read one row back as a metadata dict (for tests and debugging)."""
        out: dict[str, Any] = {}
        for (key, kind), col in self.cols.items():
            v = col[row]
            if kind == "num" and not np.isnan(v):
                out[key] = float(v)
            elif kind == "bool" and v >= 0:
                out[key] = bool(v)
            elif kind == "str" and v >= 0:
                out[key] = next(s for s, c in self.codes[key].items() if c == v)
        return out

    def equal(self, key: str, value: Any, n: int) -> np.ndarray:
        """Rows whose ``key`` equals ``value`` (with Chroma's typing rules)."""
        kind = _kind(value)
        col = self.cols.get((key, kind))
        if col is None:
            return np.zeros(n, dtype=bool)
        if kind == "str":
            code = self.codes.get(key, {}).get(value)
            return np.zeros(n, dtype=bool) if code is None else col[:n] == code
        return col[:n] == (int(value) if kind == "bool" else float(value))

    def member(self, key: str, values: Sequence[Any], n: int) -> np.ndarray:
        """Rows whose ``key`` is one of ``values``."""
        mask = np.zeros(n, dtype=bool)
        strings = [v for v in values if isinstance(v, str)]
        if strings and (key, "str") in self.cols:
            codes = self.codes.get(key, {})
            wanted = [codes[s] for s in strings if s in codes]
            if wanted:
                mask |= np.isin(self.cols[(key, "str")][:n], wanted)
        for v in values:
            if not isinstance(v, str):
                mask |= self.equal(key, v, n)
        return mask

    def compare(self, key: str, op: str, value: Any, n: int) -> np.ndarray:
        """Rows where ``key op value`` holds; ranges apply to numbers only, as in Chroma."""
        if _kind(value) != "num":
            raise ValueError(f"{op} needs an int or a float, got {value!r} for {key!r}")
        col = self.cols.get((key, "num"))
        if col is None:
            return np.zeros(n, dtype=bool)
        with np.errstate(invalid="ignore"):  # NaN (missing) compares False
            return _RANGE_OPS[op](col[:n], float(value))


def evaluate(meta: Columns, where: Where, n: int) -> np.ndarray:
    """Evaluate a Chroma-style ``where`` filter to a boolean mask over the first ``n`` rows."""
    if not isinstance(where, Mapping) or not where:
        raise ValueError(f"expected a non-empty where dict, got {where!r}")
    mask = np.ones(n, dtype=bool)
    for key, cond in where.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list | tuple) or not cond:
                raise ValueError(f"{key} needs a non-empty list of clauses, got {cond!r}")
            parts = [evaluate(meta, c, n) for c in cond]
            combine = np.logical_and if key == "$and" else np.logical_or
            mask &= combine.reduce(parts)
        elif key.startswith("$"):
            raise ValueError(f"unsupported where operator {key!r}")
        elif isinstance(cond, Mapping):
            if not cond:
                raise ValueError(f"empty condition for {key!r}")
            for op, value in cond.items():
                mask &= _field(meta, key, op, value, n)
        else:
            mask &= _field(meta, key, "$eq", cond, n)
    return mask


def _field(meta: Columns, key: str, op: str, value: Any, n: int) -> np.ndarray:
    if op in ("$eq", "$ne"):
        hit = meta.equal(key, value, n)
        return hit if op == "$eq" else ~hit
    if op in ("$in", "$nin"):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{op} needs a list, got {value!r} for {key!r}")
        for v in value:
            _kind(v)  # validates every element
        hit = meta.member(key, value, n)
        return hit if op == "$in" else ~hit
    if op in _RANGE_OPS:
        return meta.compare(key, op, value, n)
    raise ValueError(f"unsupported where operator {op!r} for {key!r}")
