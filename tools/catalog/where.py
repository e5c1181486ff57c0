"""Chroma ``where`` filters evaluated in Python, on the metadata a query returned.

The query planner (``tools.catalog.planner``) over-fetches neighbours with their metadata
and keeps those that pass the filter, so it must agree with Chroma's own ``where`` to the
letter (``tests/test_planner.py`` checks the two against each other): ints and floats
compare as numbers, booleans only with booleans, strings only with strings, ranges apply
to numbers only, and ``$ne``/``$nin`` also match records that lack the key. Two leniencies
never change a result: several keys in one dict (or several operators on one key) mean
``$and``, and an ``$and``/``$or`` may hold a single clause.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

Where = Mapping[str, Any]

_RANGE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
_MISSING = object()


def kind(value: Any) -> str:
    """'bool', 'num' or 'str' (bool first: a bool is an int in Python).

    Raises:
        ValueError: a value a ``where`` filter cannot hold.
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "num"
    if isinstance(value, str):
        return "str"
    raise ValueError(f"unsupported metadata value {value!r} (expected str, int, float or bool)")


def _equal(have: Any, want: Any) -> bool:
    return have is not _MISSING and have is not None and kind(have) == kind(want) and have == want


def _field(have: Any, op: str, value: Any, key: str) -> bool:
    if op in ("$eq", "$ne"):
        kind(value)
        hit = _equal(have, value)
        return hit if op == "$eq" else not hit
    if op in ("$in", "$nin"):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{op} needs a list, got {value!r} for {key!r}")
        hit = any(_equal(have, v) for v in value if kind(v))
        return hit if op == "$in" else not hit
    if op in _RANGE:
        if kind(value) != "num":
            raise ValueError(f"{op} needs an int or a float, got {value!r} for {key!r}")
        if have is _MISSING or have is None or isinstance(have, bool | str):
            return False
        return bool(_RANGE[op](have, value))
    raise ValueError(f"unsupported where operator {op!r} for {key!r}")


def matches(meta: Mapping[str, Any] | None, where: Where) -> bool:
    """True when one record's metadata passes a Chroma ``where`` filter.

    Raises:
        ValueError: the filter is malformed (names the clause).
    """
    if not isinstance(where, Mapping) or not where:
        raise ValueError(f"expected a non-empty where dict, got {where!r}")
    meta = meta or {}
    for key, cond in where.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list | tuple) or not cond:
                raise ValueError(f"{key} needs a non-empty list of clauses, got {cond!r}")
            results = [matches(meta, c) for c in cond]
            if not (all(results) if key == "$and" else any(results)):
                return False
        elif key.startswith("$"):
            raise ValueError(f"unsupported where operator {key!r}")
        elif isinstance(cond, Mapping):
            if not cond:
                raise ValueError(f"empty condition for {key!r}")
            have = meta.get(key, _MISSING)
            if not all(_field(have, op, v, key) for op, v in cond.items()):
                return False
        elif not _field(meta.get(key, _MISSING), "$eq", cond, key):
            return False
    return True


def validate(where: Where) -> None:
    """Raise ``ValueError`` naming the problem when ``where`` is malformed."""
    matches({}, where)


def to_chroma(where: Where) -> dict[str, Any]:
    """The same filter in the strict form Chroma accepts (one key per dict, 2+ clauses).

    Several keys in one dict, or several operators on one key, become an ``$and``; an
    ``$and``/``$or`` of one clause becomes that clause.
    """
    parts: list[dict[str, Any]] = []
    for key, cond in where.items():
        if key in ("$and", "$or"):
            subs = [to_chroma(c) for c in cond]
            parts.append(subs[0] if len(subs) == 1 else {key: subs})
        elif isinstance(cond, Mapping) and len(cond) > 1:
            parts.extend({key: {op: v}} for op, v in cond.items())
        else:
            parts.append({key: cond})
    return parts[0] if len(parts) == 1 else {"$and": parts}
