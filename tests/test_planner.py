"""The query planner through Chroma: filters agree with Chroma, every path finds the same.

Chroma answers every vector query (``tools.catalog.planner``); these tests hold the
planner's three paths (over-fetch + filter here, Chroma's ``where``, ``where`` on one
clause + filter here) to an exact numpy filtered search, and the Python filter
evaluator to Chroma's own ``get(where=...)``.
"""

from __future__ import annotations

import chromadb
import numpy as np
import pytest

from linernotes.tools.catalog import planner
from linernotes.tools.catalog.counts import MetaCounts, bucket, deltas
from linernotes.tools.catalog.records import Records
from linernotes.tools.catalog.state import SqliteState
from linernotes.tools.catalog.store import vector_collection
from linernotes.tools.catalog.vectors import VectorCollection
from linernotes.tools.catalog.where import matches, to_chroma

GENRES = ["ambient", "techno", "jazz", "folk", "metal"]


def _data(n: int = 400, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"t{i:04d}" for i in range(n)]
    metas = []
    for i in range(n):
        m = {
            "genre": GENRES[i % len(GENRES)],
            "energy": float(rng.random()),
            "has_voice": bool(i % 3 == 0),
            "bpm": int(rng.integers(60, 180)),
        }
        if i % 7 == 0:
            del m["genre"]  # some records lack a key
        if i % 11 == 0:
            m["bpm"] = float(m["bpm"])  # ints and floats mix, as in real catalogs
        metas.append(m)
    return ids, vecs, metas


FILTERS = [
    {"genre": "jazz"},
    {"genre": {"$ne": "jazz"}},
    {"genre": {"$in": ["jazz", "folk"]}},
    {"genre": {"$nin": ["jazz", "folk"]}},
    {"energy": {"$lt": 0.3}},
    {"energy": {"$gte": 0.5}},
    {"bpm": {"$gt": 120}},
    {"bpm": {"$lte": 90.5}},
    {"bpm": 100},
    {"has_voice": True},
    {"has_voice": {"$ne": True}},
    {"has_voice": 1},  # a number never equals a bool in Chroma
    {"$and": [{"genre": "techno"}, {"energy": {"$gt": 0.2}}]},
    {"$or": [{"genre": "metal"}, {"has_voice": True}]},
    {"$and": [{"$or": [{"genre": "ambient"}, {"bpm": {"$lt": 80}}]}, {"has_voice": False}]},
    {"$and": [{"genre": "jazz"}, {"energy": {"$gt": 0.4}}, {"has_voice": False}]},
    {"missing_key": "x"},
    {"missing_key": {"$ne": "x"}},
    {"genre": "no-such-genre"},
]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """400 records in a real embedded Chroma collection, with their metadata counts."""
    folder = tmp_path_factory.mktemp("planner")
    ids, vecs, metas = _data()
    client = chromadb.PersistentClient(
        path=str(folder / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    state = SqliteState(Records(folder / "records.sqlite"))
    coll = VectorCollection(client, "audio-planner", "test-v1", "audio", state)
    coll.upsert(ids, vecs, metas, ids)
    return ids, vecs, metas, coll


def _exact(vecs, ids, q, k, keep):
    scores = vecs @ (q / np.linalg.norm(q))
    return [ids[i] for i in np.argsort(-scores) if keep[i]][:k]


@pytest.mark.parametrize("where", FILTERS, ids=[str(f) for f in FILTERS])
def test_python_filter_agrees_with_chroma(stored, where) -> None:
    ids, _, metas, coll = stored
    expected = set(coll.chroma.get(where=to_chroma(where), include=[])["ids"])
    assert {i for i, m in zip(ids, metas, strict=True) if matches(m, where)} == expected


@pytest.mark.parametrize("path", ["overfetch", "where", "pushdown"])
@pytest.mark.parametrize("where", FILTERS[:16], ids=[str(f) for f in FILTERS[:16]])
def test_every_path_returns_the_exact_filtered_neighbours(stored, where, path, monkeypatch):
    ids, vecs, metas, coll = stored
    counts = coll.counts(0)
    need = 20 + 2
    plan = planner.choose(where, counts, need)
    if path == "where":
        monkeypatch.setattr(planner, "choose", lambda *a, **k: planner.Plan("where", 0.5, need))
    elif path == "pushdown":
        if not plan or len(planner._clauses(where)) < 2:
            pytest.skip("one clause: nothing to push down")
        clause = min(planner._clauses(where), key=counts.selectivity)
        monkeypatch.setattr(
            planner, "choose", lambda *a, **k: planner.Plan("pushdown", 0.1, 60, pushed=clause)
        )
    else:
        monkeypatch.setattr(planner, "choose", lambda *a, **k: planner.Plan("overfetch", 0.5, 30))
    q = np.random.default_rng(2).standard_normal(vecs.shape[1]).astype(np.float32)
    keep = np.array([matches(m, where) for m in metas])
    keep[[0, 5]] = False
    hits, done = planner.query(coll.chroma, q, 20, where, [ids[0], ids[5]], counts)
    assert [h[0] for h in hits] == _exact(vecs, ids, q, 20, keep)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    if hits:
        top = vecs[ids.index(hits[0][0])] @ (q / np.linalg.norm(q))
        assert hits[0][1] == pytest.approx(float(top), abs=1e-4)
    assert done.path in {path, "where"}  # an over-fetch that runs dry ends in `where`


def test_overfetch_widens_when_the_estimate_was_optimistic(stored) -> None:
    ids, vecs, metas, coll = stored
    where = {"genre": "jazz"}  # keeps 1 in 6; tell the planner it keeps nearly all
    lying = MetaCounts({("genre", "str", "jazz"): 390}, total=400)
    hits, plan = planner.query(coll.chroma, vecs[3], 30, where, [], lying)
    keep = np.array([matches(m, where) for m in metas])
    assert [h[0] for h in hits] == _exact(vecs, ids, vecs[3], 30, keep)
    assert plan.path == "overfetch" and plan.rounds >= 2


def test_planner_picks_by_selectivity() -> None:
    counts = MetaCounts(
        {("v", "bool", "False"): 60_000, ("v", "bool", "True"): 40_000,
         ("g", "str", "g7"): 5_000, ("e", "num", "0.9"): 20_000},
        total=100_000,
    )  # fmt: skip
    assert planner.choose(None, counts, 50).path == "plain"
    broad = planner.choose({"v": False}, counts, 50)
    assert broad.path == "overfetch" and 50 < broad.fetched < 200
    narrow = {"$and": [{"g": "g7"}, {"e": {"$gt": 0.8}}, {"v": True}]}
    assert planner.choose(narrow, counts, 50).path in {"pushdown", "where"}
    assert planner.choose({"g": "nothing"}, counts, 50).path == "where"


def test_counts_follow_upserts_and_estimate_selectivity(stored) -> None:
    ids, vecs, metas, coll = stored
    counts = coll.counts(0)
    assert counts.total == len(ids)
    for where in FILTERS[:16]:
        true = np.mean([matches(m, where) for m in metas])
        assert counts.selectivity(where) == pytest.approx(true, abs=0.12), where
    coll.upsert([ids[1]], vecs[1:2], [{"genre": "changed"}], ["x"])  # merged, not doubled
    again = coll.counts(1)
    assert again.values("genre")["changed"] == 1
    assert sum(again.values("genre").values()) == sum(counts.values("genre").values())
    coll.upsert([ids[1]], vecs[1:2], [metas[1]], [ids[1]])


def test_bad_filters_name_the_problem(stored) -> None:
    _, vecs, _, coll = stored
    counts = coll.counts(0)
    with pytest.raises(ValueError, match=r"\$gt needs an int or a float"):
        planner.query(coll.chroma, vecs[0], 3, {"genre": {"$gt": "a"}}, [], counts)
    with pytest.raises(ValueError, match="unsupported where operator"):
        planner.query(coll.chroma, vecs[0], 3, {"genre": {"$regex": "a"}}, [], counts)
    with pytest.raises(ValueError, match="non-empty list"):
        planner.query(coll.chroma, vecs[0], 3, {"$or": []}, [], counts)


def test_bucket_and_deltas() -> None:
    assert [bucket(x) for x in (0.0, 0.4237, 128.4, 1349.0)] == [0.0, 0.42, 130.0, 1300.0]
    d = deltas([{"a": "x", "b": True, "c": 1, "l": [1]}, {"a": "x"}])
    assert d == {("a", "str", "x"): 2, ("b", "bool", "True"): 1, ("c", "num", "1.0"): 1}


def test_empty_collection_answers_nothing(tmp_path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    vector_collection(client, "empty-test")
    coll = VectorCollection(
        client, "empty-test", "s", "audio", SqliteState(Records(tmp_path / "r.sqlite"))
    )
    assert coll.query(np.ones(4), 5, {"a": 1}, [], 0) == []


# -- the metadata index (tools.catalog.metaindex) and the ids path --------------------


def _index(coll):
    _, index = coll._planning(coll.state.generation())
    assert index is not None, "an embedded catalog keeps a metadata index"
    return index


INDEX_FILTERS = [
    *FILTERS,
    {"$and": [{"energy": {"$gt": 0.2}}, {"genre": {"$ne": "jazz"}}]},
    {"$and": [{"bpm": {"$gte": 100}}, {"genre": {"$nin": ["jazz", "folk"]}}]},
    {"$and": [{"energy": {"$lt": 0.9}}, {"missing_key": {"$ne": "x"}}]},
    {"$and": [{"has_voice": True}, {"$or": [{"genre": {"$ne": "metal"}}, {"bpm": 100}]}]},
    {"bpm": {"$gt": 100, "$lt": 140}},
    {"has_voice": {"$in": [True]}},
    {"bpm": {"$in": [100, 120]}},
]


@pytest.mark.parametrize("where", INDEX_FILTERS, ids=[str(f) for f in INDEX_FILTERS])
def test_index_keeps_what_chroma_keeps(stored, where) -> None:
    """The SQL over the index follows Chroma's where to the letter (or declines)."""
    _, _, _, coll = stored
    index = _index(coll)
    compiled = index.compile(planner._clauses(where), coll.counts(0))
    expected = set(coll.chroma.get(where=to_chroma(where), include=[])["ids"])
    if compiled is None:  # no positive clause to start from: a bare $ne / $nin / $or
        assert all(
            next(iter(c)) == "$or"
            or (isinstance(c[next(iter(c))], dict) and {*c[next(iter(c))]} <= {"$ne", "$nin"})
            for c in planner._clauses(where)
        )
        return
    assert set(index.ids(compiled)) == expected


@pytest.mark.parametrize("exact_max", [500, 0], ids=["exact scores", "chroma among ids"])
@pytest.mark.parametrize("where", FILTERS[:16], ids=[str(f) for f in FILTERS[:16]])
def test_ids_path_returns_the_exact_filtered_neighbours(stored, where, exact_max, monkeypatch):
    ids, vecs, metas, coll = stored
    index, counts = _index(coll), coll.counts(0)
    plan = planner._ids_plan(index, planner._clauses(where), counts, counts.selectivity(where))
    if plan is None:
        pytest.skip("no positive clause: the index is not used")
    monkeypatch.setattr(planner, "choose", lambda *a, **k: plan)
    monkeypatch.setattr(planner, "EXACT_MAX", exact_max)
    q = np.random.default_rng(3).standard_normal(vecs.shape[1]).astype(np.float32)
    keep = np.array([matches(m, where) for m in metas])
    keep[[0, 5]] = False
    hits, done = planner.query(coll.chroma, q, 20, where, [ids[0], ids[5]], counts, index=index)
    assert done.path == "ids"
    assert [h[0] for h in hits] == _exact(vecs, ids, q, 20, keep)
    if hits:
        top = vecs[ids.index(hits[0][0])] @ (q / np.linalg.norm(q))
        assert hits[0][1] == pytest.approx(float(top), abs=1e-4)


def test_ids_path_skips_indexed_ids_chroma_lacks(stored, monkeypatch) -> None:
    """An ingest writes the index before Chroma: a query in between still answers."""
    ids, vecs, metas, coll = stored
    index = _index(coll)
    index.index.replace(coll.name, {}, [(f"ghost{i}", {"genre": "jazz"}) for i in range(3)])
    try:
        where = {"genre": "jazz"}
        counts = coll.counts(0)
        plan = planner._ids_plan(index, planner._clauses(where), counts, 0.2)
        monkeypatch.setattr(planner, "choose", lambda *a, **k: plan)
        for exact_max in (500, 0):
            monkeypatch.setattr(planner, "EXACT_MAX", exact_max)
            hits, _ = planner.query(coll.chroma, vecs[2], 10, where, [], counts, index=index)
            keep = np.array([matches(m, where) for m in metas])
            assert [h[0] for h in hits] == _exact(vecs, ids, vecs[2], 10, keep)
    finally:
        index.index.replace(coll.name, {f"ghost{i}": {"genre": "jazz"} for i in range(3)}, [])


def test_index_follows_writes_and_fills_an_older_collection(tmp_path) -> None:
    ids, vecs, metas = _data(60)
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    state = SqliteState(Records(tmp_path / "records.sqlite"))
    coll = VectorCollection(client, "audio-idx", "s", "audio", state)
    coll.upsert(ids, vecs, metas, ids)
    index = _index(coll)
    jazz = index.compile([{"genre": "jazz"}], coll.counts(0))
    assert jazz is not None
    assert set(index.ids(jazz)) == {
        i for i, m in zip(ids, metas, strict=True) if matches(m, {"genre": "jazz"})
    }
    coll.update([ids[1]], [{"genre": "jazz"}])
    coll.delete([ids[2]])
    now = set(index.ids(jazz))
    assert ids[1] in now and ids[2] not in now
    assert now == set(coll.chroma.get(where={"genre": "jazz"}, include=[])["ids"])
    # A collection written before the index existed is filled once, on first query.
    db = state.meta_index()._db  # type: ignore[union-attr]
    db.execute("DELETE FROM meta_index"), db.execute("DELETE FROM indexed"), db.commit()
    fresh = VectorCollection(client, "audio-idx", "s", "audio", state)
    hits = fresh.query(vecs[4], 5, {"genre": "jazz"}, [], state.bump())
    assert set(index.ids(jazz)) == now and len(hits) == 5


def test_planner_prefers_the_index_over_deep_overfetch_and_where() -> None:
    from linernotes.tools.catalog.metaindex import Compiled

    class FakeIndex:
        def compile(self, clauses, counts):
            return Compiled("SELECT 1", [], clauses[0], len(clauses) - 1)

    counts = MetaCounts(
        {("v", "bool", "False"): 60_000, ("v", "bool", "True"): 40_000,
         ("g", "str", "g7"): 5_000, ("e", "num", "0.9"): 20_000},
        total=100_000,
    )  # fmt: skip
    assert planner.choose({"v": False}, counts, 50, index=FakeIndex()).path == "overfetch"
    assert planner.choose({"g": "g7"}, counts, 50, index=FakeIndex()).path == "ids"
    narrow = {"$and": [{"g": "g7"}, {"e": {"$gt": 0.8}}, {"v": True}]}
    assert planner.choose(narrow, counts, 50, index=FakeIndex()).path == "ids"
