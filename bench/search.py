"""Search benchmark: filtered top-k through Chroma alone, planned vs Chroma's ``where``.

Usage:
    .venv/bin/python bench/search.py [--n 100000] [--queries 200] [--baseline-queries 40]
        [--k 50]

Synthetic 512-d vectors (clustered around 200 centres, like tracks of related styles)
carry metadata: genre (one of 20), energy (float), has_voice (bool), tempo bpm (float).
Queries are "more like this track" vectors (a stored vector plus noise). Filters, cycled
over queries, span the selectivities the agent uses: one genre (5 %), no vocals (60 %),
calm instrumental (24 %), fast in three genres (7 %), a narrow three-way filter (0.5 %).

One run measures, on the catalog's own classes (``VectorCollection`` with its metadata
counts in a ``records.sqlite``, queried by ``tools.catalog.planner``):
- bulk insert rate (vectors, metadata, documents and counts), against the same records
  upserted straight into Chroma with their documents (the baseline, same run);
- open + first filtered query, median over ``--opens`` fresh processes;
- in a fresh process: open + first filtered query, then ``--queries`` filtered top-k
  queries (p50/p95 overall and per filter, the path each took: over-fetch, Chroma's
  where, or Chroma among the ids the catalog's metadata index lists) and their recall@k
  against an exact filtered numpy search, then the process's peak resident memory;
- the baseline in the same process: Chroma's ``where`` for every filtered query, and
  the planner/baseline p95 ratio.
The machine is shared: the load average is printed next to the figures.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

DIM = 512
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("one genre", {"genre": "g3"}),
    ("no vocals", {"has_voice": False}),
    ("calm instrumental", {"$and": [{"energy": {"$lt": 0.4}}, {"has_voice": False}]}),
    ("fast, 3 genres", {"$and": [{"genre": {"$in": ["g1", "g5", "g9"]}}, {"bpm": {"$gte": 130}}]}),
    ("narrow", {"$and": [{"genre": "g7"}, {"energy": {"$gt": 0.8}}, {"has_voice": True}]}),
]
NAME = "bench-audio"


def synth(n: int, seed: int = 0) -> tuple[list[str], np.ndarray, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, DIM)).astype(np.float32)
    vecs = centres[rng.integers(0, 200, n)] + 0.8 * rng.standard_normal((n, DIM), np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"trk{i:07d}" for i in range(n)]
    genre, energy = rng.integers(0, 20, n), rng.random(n)
    voice, bpm = rng.random(n) < 0.4, 60 + 120 * rng.random(n)
    metas = [
        {"genre": f"g{genre[i]}", "energy": float(energy[i]), "has_voice": bool(voice[i]),
         "bpm": round(float(bpm[i]), 1)}
        for i in range(n)
    ]  # fmt: skip
    return ids, vecs, metas


def stats_ms(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1e3
    return {"p50": round(float(np.percentile(ms, 50)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2)}  # fmt: skip


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that across ``exec`` from the forked
    parent, so a child of this bench (which held 100k vectors and their metadata) would
    report the parent's ~1 GB instead of its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def recall(got: list[list[str]], truth: list[list[str]]) -> float:
    scores = [len(set(g) & set(t)) / len(t) for g, t in zip(got, truth, strict=True) if t]
    return round(float(np.mean(scores)), 4)


def open_collection(folder: Path) -> Any:
    """The benchmark collection as the catalog opens one (client, state, counts)."""
    import chromadb

    from linernotes.tools.catalog.records import Records
    from linernotes.tools.catalog.state import SqliteState
    from linernotes.tools.catalog.vectors import VectorCollection

    client = chromadb.PersistentClient(
        path=str(folder / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    state = SqliteState(Records(folder / "records.sqlite"))
    return VectorCollection(client, NAME, "bench-space", "audio", state), state


def build(folder: Path, n: int) -> dict[str, Any]:
    """Insert the synthetic catalog; return the insert rate."""
    ids, vecs, metas = synth(n)
    docs = [json.dumps({"id": i, "title": f"Title {i[3:]}"}) for i in ids]
    coll, state = open_collection(folder)
    t = time.perf_counter()
    coll.upsert(ids, vecs, metas, docs)
    state.bump()
    return {"insert_per_s": round(n / (time.perf_counter() - t))}


def raw_chroma_insert(n: int) -> dict[str, Any]:
    """Baseline: the same records upserted straight into Chroma, documents included (how
    the catalog wrote them before its documents moved to records.sqlite)."""
    import chromadb

    from linernotes.tools.catalog.store import bulk_upsert, vector_collection

    ids, vecs, metas = synth(n)
    docs = [json.dumps({"id": i, "title": f"Title {i[3:]}"}) for i in ids]
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(
            path=tmp, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        coll = vector_collection(client, NAME, metadata={"space": "bench-space"})
        t = time.perf_counter()
        bulk_upsert(coll, ids, vecs, metas, documents=docs)
        return {"raw_chroma_insert_per_s": round(n / (time.perf_counter() - t))}


def open_timed(folder: Path, k: int, i: int) -> tuple[Any, Any, dict[str, Any]]:
    """In a fresh process: time the imports, then open + the ``i``-th filtered query.

    Returns the collection, its state and the two figures (seconds).
    """
    query = np.load(folder / "queries.npz")["queries"][i]
    t = time.perf_counter()
    import chromadb  # noqa: F401  (a CLI pays this once per process; reported apart)

    import linernotes.tools.catalog.vectors  # noqa: F401

    imports_s = time.perf_counter() - t
    t = time.perf_counter()
    coll, state = open_collection(folder)
    coll.query(query, k, FILTERS[i % len(FILTERS)][1], (), state.generation())
    return coll, state, {"open_first_query_s": time.perf_counter() - t, "imports_s": imports_s}


def child_open(folder: Path, k: int, i: int) -> dict[str, Any]:
    """Run in a fresh process: imports, then open + one filtered query (the ``i``-th)."""
    return open_timed(folder, k, i)[2]


def child(folder: Path, k: int, nq: int, nbase: int) -> dict[str, Any]:
    """Run in a fresh process: open, query, measure (see the module docstring)."""
    from linernotes.tools.catalog.where import to_chroma

    data = np.load(folder / "queries.npz")
    queries = data["queries"]
    truth = json.loads((folder / "truth.json").read_text())
    wheres = [FILTERS[i % len(FILTERS)][1] for i in range(nq)]
    coll, state, opened = open_timed(folder, k, 0)
    out: dict[str, Any] = {name: round(v, 3) for name, v in opened.items()}
    times, got, paths = [], [], []
    for i in range(nq):
        t = time.perf_counter()
        hits = coll.query(queries[i], k, wheres[i], (), state.generation())
        times.append(time.perf_counter() - t)
        got.append([h[0] for h in hits])
        paths.append(coll.last_plan.path if coll.last_plan else "?")
    out["planned"] = {**stats_ms(times), "recall": recall(got, truth[:nq])}
    out["by_filter"] = {
        name: {**stats_ms(times[j::len(FILTERS)]),
               "recall": recall(got[j::len(FILTERS)], truth[j:nq:len(FILTERS)]),
               "paths": sorted(set(paths[j::len(FILTERS)]))}
        for j, (name, _) in enumerate(FILTERS)
    }  # fmt: skip
    counts = coll.counts(state.generation())
    out["estimated_selectivity"] = {name: round(counts.selectivity(w), 4) for name, w in FILTERS}
    t_u = []
    for i in range(nq):
        t = time.perf_counter()
        coll.query(queries[i], k, None, (), state.generation())
        t_u.append(time.perf_counter() - t)
    out["unfiltered"] = stats_ms(t_u)
    out["max_rss_mb_after_queries"] = peak_rss_mb()
    base_t, base_got = [], []
    for i in range(nbase):
        t = time.perf_counter()
        res = coll.chroma.query(query_embeddings=queries[i : i + 1], n_results=k,
                                where=to_chroma(wheres[i]), include=["distances"])  # fmt: skip
        base_t.append(time.perf_counter() - t)
        base_got.append(res["ids"][0])
    out["baseline_where"] = {**stats_ms(base_t), "recall": recall(base_got, truth[:nbase])}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=40)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--opens", type=int, default=5, help="fresh processes timing open")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-open", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.child_open is not None:
        print(json.dumps(child_open(args.child, args.k, args.child_open)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.k, args.queries, args.baseline_queries)))
        return
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out: dict[str, Any] = {"n": args.n, "k": args.k, "dim": DIM}
        out.update(build(folder, args.n))
        ids, vecs, metas = synth(args.n)
        rng = np.random.default_rng(1)
        nq = args.queries
        queries = vecs[rng.integers(0, args.n, nq)] + 0.05 * rng.standard_normal((nq, DIM))
        queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
        from linernotes.tools.catalog.where import matches

        masks = [np.fromiter((matches(m, w) for m in metas), bool, args.n) for _, w in FILTERS]
        out["true_selectivity"] = {
            name: round(float(m.mean()), 4) for (name, _), m in zip(FILTERS, masks, strict=True)
        }
        truth = []
        for i in range(nq):
            scores = np.where(masks[i % len(FILTERS)], vecs @ queries[i], -np.inf)
            top = np.argsort(-scores)[: args.k]
            truth.append([ids[j] for j in top if np.isfinite(scores[j])])
        np.savez(folder / "queries.npz", queries=queries)
        (folder / "truth.json").write_text(json.dumps(truth))
        del vecs, metas
        cmd = [sys.executable, __file__, "--child", str(folder), "--k", str(args.k),
               "--queries", str(nq), "--baseline-queries", str(args.baseline_queries)]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out.update(json.loads(res.stdout.strip().splitlines()[-1]))
        opens = []
        for i in range(args.opens):  # each a fresh process, as a CLI call is
            cmd = [sys.executable, __file__, "--child", str(folder), "--child-open", str(i + 1)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            opens.append(json.loads(res.stdout.strip().splitlines()[-1]))
    if opens:
        out["open_first_query_runs_s"] = [round(o["open_first_query_s"], 3) for o in opens]
        out["open_first_query_s"] = round(median(o["open_first_query_s"] for o in opens), 3)
        out["imports_s"] = round(median(o["imports_s"] for o in opens), 3)
    out.update(raw_chroma_insert(args.n))
    out["insert_ratio_vs_raw_chroma"] = round(
        out["insert_per_s"] / out["raw_chroma_insert_per_s"], 3
    )
    out["p95_ratio_planned_vs_where"] = round(
        out["planned"]["p95"] / out["baseline_where"]["p95"], 3
    )
    out["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    out["cpus"] = os.cpu_count()
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(f"{args.n:,} x {DIM}-d, top-{args.k}: insert {out['insert_per_s']:,}/s (raw Chroma "
          f"with documents {out['raw_chroma_insert_per_s']:,}/s); open + first query "
          f"{out['open_first_query_s']} s (median of {len(opens)} fresh processes); "
          f"max RSS {out['max_rss_mb_after_queries']} MB")  # fmt: skip
    p, b = out["planned"], out["baseline_where"]
    print(f"filtered (planner): p50 {p['p50']} ms, p95 {p['p95']} ms, recall@{args.k} "
          f"{p['recall']}; Chroma where only: p50 {b['p50']} ms, p95 {b['p95']} ms")  # fmt: skip
    for name, s in out["by_filter"].items():
        print(f"  {name:<18} kept {out['true_selectivity'][name]:.2%} (est "
              f"{out['estimated_selectivity'][name]:.2%}): p50 {s['p50']} p95 {s['p95']} ms, "
              f"recall {s['recall']}, path {'/'.join(s['paths'])}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
