"""The query planner: every vector query is answered by Chroma, along the cheaper path.

Chroma answers a plain top-k from its HNSW graph in a few milliseconds, but its ``where``
filter costs in proportion to the rows the filter keeps (measured at 100k x 512-d: 38 ms
when it keeps 2 %, 150-185 ms when it keeps a quarter or more), while fetching a few
hundred neighbours with their metadata and filtering them here costs ~11 ms. So:

- no filter: one top-(k + excluded) query;
- a filter that keeps many rows: **over-fetch** ``(k + excluded) / selectivity x margin``
  neighbours with their metadata and keep those that pass (``tools.catalog.where``,
  Chroma's semantics). When fewer than needed survive (the estimate was optimistic, or
  the filter keeps rows far from the query) the fetch widens by the survival rate
  observed, until it would exceed ``max_overfetch``;
- a filter that keeps few rows (its over-fetch would exceed ``max_overfetch``): Chroma's
  own ``where``, which is then cheap because it keeps few rows;
- **ids**, where the catalog keeps a metadata index (``tools.catalog.metaindex``, the
  embedded store): SQLite lists the ids the filter keeps, and Chroma searches among them
  (``query(ids=...)``) or, for at most ``EXACT_MAX``, returns their vectors for an exact
  score. It replaces over-fetches deeper than ``RECALL_DEPTH``, which lose recall (the
  HNSW graph is searched that deep only approximately), and Chroma's ``where``, which
  resolves every clause to its rows first (130-230 ms at 100k).

Selectivity comes from the catalog's metadata counts (``tools.catalog.counts``). Both
paths return exactly what an exact filtered search returns whenever the HNSW graph finds
the true neighbours: over-fetching keeps the best passing rows among the fetched ones,
and it only stops once at least ``k`` pass (``bench/search.py`` measures recall@50).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from linernotes.tools.catalog.counts import MetaCounts
from linernotes.tools.catalog.metaindex import Compiled, Scoped
from linernotes.tools.catalog.where import Where, matches, to_chroma, validate

Hit = tuple[str, float]

MARGIN = 1.25
"""Over-fetch this many times what the selectivity estimate says is enough."""

# Cost model, in milliseconds at 100k x 512-d on an idle 2-core machine (the issue's
# table and ``bench/search.py``): a neighbour fetched with its metadata costs ROW_MS
# (Chroma reads and converts metadata row by row: it dominates an over-fetch), and a
# ``where`` costs WHERE_MS plus MATCH_MS per row each of its clauses matches (Chroma
# resolves every clause to its rows before searching). Only the ratios steer the plan.
ROW_MS = 0.022
WHERE_MS = 30.0
MATCH_MS = 0.0025
MAX_OVERFETCH = 4000
"""Most neighbours one over-fetch asks for."""
# The ids path (measured the same way): the index scan costs SCAN_MS per row its driving
# clause keeps and PROBE_MS per such row and further clause; Chroma then searches among
# the ids for IDS_MS, or returns up to EXACT_MAX vectors at GET_MS each.
SCAN_MS = 0.0003
PROBE_MS = 0.0015
IDS_MS = 15.0
GET_MS = 0.035
EXACT_MAX = 500
RECALL_DEPTH = 800
"""Deepest over-fetch kept when the ids path exists (a 1,250-deep one found 0.87)."""


@dataclass
class Plan:
    """What the planner did for one query (shown in traces and ``bench/search.py``)."""

    path: str  # "plain" | "overfetch" | "where" | "pushdown" (where on one clause + filter)
    # | "ids" (the metadata index lists the ids; Chroma searches among them)
    selectivity: float
    fetched: int = 0
    rounds: int = 0
    pushed: dict[str, Any] | None = None
    cost_ms: float = 0.0
    compiled: Compiled | None = None


def _clauses(where: Where) -> list[dict[str, Any]]:
    """The top-level conjuncts of a filter (one per key, ``$and`` flattened)."""
    out: list[dict[str, Any]] = []
    for key, cond in where.items():
        if key == "$and":
            for c in cond:
                out.extend(_clauses(c))
        elif key != "$or" and isinstance(cond, Mapping) and len(cond) > 1:
            out.extend({key: {op: v}} for op, v in cond.items())
        else:
            out.append({key: cond})
    return out


def _ids_plan(
    index: Scoped | None, clauses: list[dict[str, Any]], counts: MetaCounts, share: float
) -> Plan | None:
    """The ids path and its cost, when the catalog has an index the filter can use."""
    compiled = index.compile(clauses, counts) if index is not None else None
    if compiled is None:
        return None
    rows = counts.total * counts.selectivity(compiled.driver)
    kept = counts.total * share
    search = GET_MS * kept if kept <= EXACT_MAX else IDS_MS
    cost = rows * (SCAN_MS + PROBE_MS * compiled.probes) + search
    return Plan("ids", share, fetched=round(kept), cost_ms=cost, compiled=compiled)


def choose(
    where: Where | None,
    counts: MetaCounts,
    need: int,
    *,
    max_overfetch: int = MAX_OVERFETCH,
    index: Scoped | None = None,
) -> Plan:
    """The cheapest path for a query needing ``need`` rows under ``where`` (no Chroma call).

    Candidates: over-fetch and filter here; Chroma's ``where`` on the whole filter;
    "pushdown": Chroma's ``where`` on the one most selective conjunct, over-fetching
    within it and filtering the rest here (a narrow ``$and`` of broad clauses); and,
    with a metadata ``index``, "ids" (see the module docstring).
    """
    if not where:
        return Plan("plain", 1.0, fetched=need)
    n = counts.total
    share = counts.selectivity(where)
    if share <= 0:
        return Plan("where", 0.0, fetched=need, cost_ms=WHERE_MS)
    clauses = _clauses(where)
    sels = [counts.selectivity(c) for c in clauses]
    fetch = min(n, math.ceil(need / share * MARGIN))
    plans = [Plan("where", share, fetched=need, cost_ms=WHERE_MS + MATCH_MS * n * sum(sels))]
    if fetch <= max_overfetch:
        plans.append(Plan("overfetch", share, fetched=max(fetch, need), cost_ms=ROW_MS * fetch))
    if len(clauses) > 1:
        best = min(range(len(clauses)), key=lambda i: sels[i])
        inner = math.ceil(need / min(1.0, share / max(sels[best], 1e-9)) * MARGIN)
        inner = min(inner, max(1, int(n * sels[best])))
        if inner <= max_overfetch:
            cost = WHERE_MS + MATCH_MS * n * sels[best] + ROW_MS * inner
            plans.append(
                Plan(
                    "pushdown", share, fetched=max(inner, need), pushed=clauses[best], cost_ms=cost
                )
            )
    ids = _ids_plan(index, clauses, counts, share)
    if ids is not None:
        plans = [p for p in plans if p.path == "where" or p.fetched <= RECALL_DEPTH] + [ids]
    return min(plans, key=lambda p: p.cost_ms)


def _ask_among(collection: Any, vec: np.ndarray, k: int, allowed: list[str]) -> Any:
    return collection.query(
        query_embeddings=vec[None, :],
        n_results=min(k, len(allowed)),
        ids=allowed,
        include=["distances"],
    )


def _among(
    collection: Any, vec: np.ndarray, k: int, index: Scoped, plan: Plan, exclude: set[str]
) -> list[Hit]:
    """The ids path: the index lists the ids; Chroma scores them (exactly, when few)."""
    assert plan.compiled is not None
    allowed = [i for i in index.ids(plan.compiled) if i not in exclude]
    plan.fetched, plan.rounds = len(allowed), 1
    if not allowed:
        return []
    if len(allowed) > EXACT_MAX:
        try:
            got = _ask_among(collection, vec, k, allowed)
        except Exception as e:  # an id indexed but not (yet, or no longer) in Chroma: an
            # ingest writes the index first. Search among the ids Chroma holds.
            from chromadb.errors import ChromaError

            if not isinstance(e, ChromaError):
                raise
            allowed = collection.get(ids=allowed, include=[])["ids"]
            if not allowed:
                return []
            got = _ask_among(collection, vec, k, allowed)
        return [
            (i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)
        ]
    got = collection.get(ids=allowed, include=["embeddings"])
    if not got["ids"]:
        return []
    mat = np.asarray(got["embeddings"], dtype=np.float32)
    norms = np.linalg.norm(mat, axis=1) * max(float(np.linalg.norm(vec)), 1e-12)
    sims = (mat @ vec) / np.maximum(norms, 1e-12)
    order = np.argsort(-sims, kind="stable")[:k]
    return [(got["ids"][j], float(sims[j])) for j in order]


def _ask(collection: Any, vec: np.ndarray, n: int, where: Where | None, meta: bool) -> Any:
    include = ["distances", "metadatas"] if meta else ["distances"]
    return collection.query(
        query_embeddings=vec[None, :],
        n_results=n,
        where=to_chroma(where) if where else None,
        include=include,
    )


def query(
    collection: Any,
    vec: np.ndarray,
    k: int,
    where: Where | None,
    exclude: Iterable[str],
    counts: MetaCounts,
    *,
    max_overfetch: int = MAX_OVERFETCH,
    index: Scoped | None = None,
) -> tuple[list[Hit], Plan]:
    """Up to ``k`` (id, cosine similarity) pairs, best first, and the plan that found them.

    Args:
        collection: the chromadb collection (cosine space) to search.
        vec: the query vector.
        k: how many hits.
        where: a Chroma metadata filter, or None.
        exclude: ids never returned.
        counts: the collection's metadata counts (for the selectivity estimate).
        max_overfetch: the largest over-fetch before ``where`` takes over.
        index: the collection's metadata index, where the catalog keeps one.

    Raises:
        ValueError: ``where`` is malformed (the message names the clause).
    """
    if where:
        validate(where)
    exclude = set(exclude)
    total = counts.total
    vec = np.asarray(vec, dtype=np.float32).ravel()
    if k <= 0 or total <= 0:
        return [], Plan("plain", 1.0)
    need = min(k + len(exclude), total)
    plan = choose(where, counts, need, max_overfetch=max_overfetch, index=index)
    if plan.path == "ids":
        assert index is not None
        return _among(collection, vec, k, index, plan, exclude), plan
    if plan.path in ("overfetch", "pushdown"):
        assert where is not None
        fetch = plan.fetched
        while True:
            plan.rounds += 1
            got = _ask(collection, vec, min(fetch, total), plan.pushed, meta=True)
            ids, dists, metas = got["ids"][0], got["distances"][0], got["metadatas"][0]
            hits = [
                (i, 1.0 - float(d))
                for i, d, m in zip(ids, dists, metas, strict=True)
                if i not in exclude and matches(m, where)
            ]
            plan.fetched = len(ids)
            if len(hits) >= k or len(ids) < min(fetch, total) or len(ids) >= total:
                return hits[:k], plan
            rate = max(len(hits), 1) / max(len(ids), 1)
            fetch = math.ceil(need / rate * MARGIN)
            if fetch > max_overfetch:
                break  # too rare near this query: let Chroma's where find them
        plan.path = "where"
    plan.rounds += 1
    got = _ask(collection, vec, need, where, meta=False)
    hits = [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]
    plan.fetched = need
    return [h for h in hits if h[0] not in exclude][:k], plan
