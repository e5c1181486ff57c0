"""Search benchmark: the project's VectorIndex vs Chroma's where-filter vs an exact scan.

Usage:
    .venv/bin/python bench/search.py [--sizes 10000,100000] [--queries 200]
        [--chroma-queries 40] [--k 50] [--naive-insert 3000]

For each size, synthetic 512-d vectors (clustered around 200 centres, like tracks of
related styles) carry metadata: genre (one of 20), energy (float), has_voice (bool),
tempo bpm (float). Queries are "more like this track" vectors (a stored vector plus
noise). Filters, cycled over queries, span the selectivities the agent uses: one genre
(5 %), no vocals (60 %), calm instrumental (24 %), fast in three genres (7 %), and a
narrow three-way filter (0.5 %).

Measured, all in one run: top-k latency p50/p95 unfiltered and filtered for
``tools.catalog.vecindex.VectorIndex`` (filter evaluation included), Chroma's own ``query`` with
``where``, and an exact numpy scan (matmul + mask + full argsort); recall@k of each
against the exact filtered result; Chroma insert rate with ``tools.catalog.store.bulk_upsert``
vs ingest-sized batches of 16 (on the first ``--naive-insert`` vectors, which is
generous to it: its rate falls as the index grows); the time to load the index from
Chroma. The machine is shared: the load average is printed next to the figures.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from linernotes.tools.catalog.store import bulk_upsert, vector_collection
from linernotes.tools.catalog.vecindex import VectorIndex

DIM = 512
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("one genre", {"genre": "g3"}),
    ("no vocals", {"has_voice": False}),
    ("calm instrumental", {"$and": [{"energy": {"$lt": 0.4}}, {"has_voice": False}]}),
    ("fast, 3 genres", {"$and": [{"genre": {"$in": ["g1", "g5", "g9"]}}, {"bpm": {"$gte": 130}}]}),
    ("narrow", {"$and": [{"genre": "g7"}, {"energy": {"$gt": 0.8}}, {"has_voice": True}]}),
]


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
    return {
        "p50": round(float(np.percentile(ms, 50)), 2),
        "p95": round(float(np.percentile(ms, 95)), 2),
    }


def timed(fn: Callable[[int], list[str]], count: int) -> tuple[list[float], list[list[str]]]:
    times, results = [], []
    for i in range(count):
        t = time.perf_counter()
        results.append(fn(i))
        times.append(time.perf_counter() - t)
    return times, results


def recall(got: list[list[str]], truth: list[list[str]]) -> float:
    scores = [len(set(g) & set(t)) / len(t) for g, t in zip(got, truth, strict=True) if t]
    return round(float(np.mean(scores)), 4)


def run_size(n: int, args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    ids, vecs, metas = synth(n)
    k, nq, ncq = args.k, args.queries, args.chroma_queries
    picks = rng.integers(0, n, nq)
    queries = vecs[picks] + 0.05 * rng.standard_normal((nq, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    wheres = [FILTERS[i % len(FILTERS)][1] for i in range(nq)]
    out: dict[str, Any] = {"n": n}

    t = time.perf_counter()
    index = VectorIndex(DIM, capacity=n)
    index.add(ids, vecs, metas)
    out["index_build_s"] = round(time.perf_counter() - t, 2)
    masks = {json.dumps(w): index.mask(w) for _, w in FILTERS}
    out["filter_selectivity"] = {name: round(float(masks[json.dumps(w)].mean()), 4)
                                 for name, w in FILTERS}  # fmt: skip

    def exact(i: int, filtered: bool) -> list[str]:
        scores = vecs @ queries[i]
        if filtered:
            scores = np.where(masks[json.dumps(wheres[i])], scores, -np.inf)
        order = np.argsort(-scores)[:k]
        return [ids[j] for j in order if np.isfinite(scores[j])]

    t_ex_u, truth_u = timed(lambda i: exact(i, False), nq)
    t_ex_f, truth_f = timed(lambda i: exact(i, True), nq)
    t_vi_u, got_u = timed(lambda i: [h[0] for h in index.query(queries[i], k)], nq)
    t_vi_f, got_f = timed(lambda i: [h[0] for h in index.query(queries[i], k, wheres[i])], nq)
    out["numpy_exact"] = {"unfiltered": stats_ms(t_ex_u), "filtered": stats_ms(t_ex_f)}
    out["vecindex"] = {
        "unfiltered": stats_ms(t_vi_u), "filtered": stats_ms(t_vi_f),
        "recall_unfiltered": recall(got_u, truth_u), "recall_filtered": recall(got_f, truth_f),
        "filtered_by_filter": {
            name: stats_ms([t for t, w in zip(t_vi_f, wheres, strict=True) if w is where])
            for name, where in FILTERS
        },
    }  # fmt: skip

    import chromadb

    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(
            path=tmp, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        naive = client.get_or_create_collection(
            "naive", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        m = min(n, args.naive_insert)
        t = time.perf_counter()
        for s in range(0, m, 16):
            naive.upsert(
                ids=ids[s : s + 16], embeddings=vecs[s : s + 16], metadatas=metas[s : s + 16]
            )
        out["insert_naive_per_s"] = round(m / (time.perf_counter() - t))
        client.delete_collection("naive")

        coll = vector_collection(client, f"bench-{n}")
        t = time.perf_counter()
        bulk_upsert(coll, ids, vecs, metas)
        out["insert_bulk_per_s"] = round(n / (time.perf_counter() - t))
        t = time.perf_counter()
        loaded = VectorIndex.from_collection(coll, dim=DIM)
        out["index_load_from_chroma_s"] = round(time.perf_counter() - t, 2)
        assert len(loaded) == n

        def chroma(i: int, filtered: bool) -> list[str]:
            res = coll.query(query_embeddings=queries[i : i + 1], n_results=k,
                             where=wheres[i] if filtered else None, include=[])  # fmt: skip
            return res["ids"][0]

        t_ch_u, ch_u = timed(lambda i: chroma(i, False), ncq)
        t_ch_f, ch_f = timed(lambda i: chroma(i, True), ncq)
        out["chroma"] = {
            "unfiltered": stats_ms(t_ch_u), "filtered": stats_ms(t_ch_f),
            "recall_unfiltered": recall(ch_u, truth_u[:ncq]),
            "recall_filtered": recall(ch_f, truth_f[:ncq]),
        }  # fmt: skip
    return out


def show(r: dict[str, Any]) -> None:
    print(f"\n== {r['n']:,} vectors x {DIM}-d  (index build {r['index_build_s']} s, "
          f"load from Chroma {r['index_load_from_chroma_s']} s)")  # fmt: skip
    print(f"{'top-k latency ms':<28}{'unfilt p50':>11}{'p95':>8}{'filt p50':>10}{'p95':>8}"
          f"{'recall filt':>13}")  # fmt: skip
    for name, key in (("VectorIndex (project)", "vecindex"), ("Chroma where-filter", "chroma"),
                      ("numpy exact scan", "numpy_exact")):  # fmt: skip
        s = r[key]
        rec = s.get("recall_filtered", 1.0)
        print(f"{name:<28}{s['unfiltered']['p50']:>11}{s['unfiltered']['p95']:>8}"
              f"{s['filtered']['p50']:>10}{s['filtered']['p95']:>8}{rec:>13}")  # fmt: skip
    for name, s in r["vecindex"]["filtered_by_filter"].items():
        sel = r["filter_selectivity"][name]
        print(f"  VectorIndex '{name}' ({sel:.1%} kept): p50 {s['p50']} ms, p95 {s['p95']} ms")
    print(
        f"Chroma insert: bulk_upsert {r['insert_bulk_per_s']:,}/s, "
        f"batches of 16 {r['insert_naive_per_s']:,}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chroma-queries", type=int, default=40)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--naive-insert", type=int, default=3000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        results.append(run_size(n, args, rng))
        show(results[-1])
    summary = {
        "k": args.k, "dim": DIM, "cpus": os.cpu_count(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "seconds": round(time.perf_counter() - started, 1), "sizes": results,
    }  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
