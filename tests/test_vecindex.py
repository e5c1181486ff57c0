"""VectorIndex: exact search, Chroma-compatible filters, upsert/remove bookkeeping."""

from __future__ import annotations

import chromadb
import numpy as np
import pytest

from linernotes.tools.catalog.store import bulk_upsert, vector_collection
from linernotes.tools.catalog.vecindex import VectorIndex

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


def _exact(vecs, ids, q, k, keep=None):
    scores = vecs @ (q / np.linalg.norm(q))
    order = [i for i in np.argsort(-scores) if keep is None or keep[i]]
    return [ids[i] for i in order[:k]]


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
    {"missing_key": "x"},
    {"missing_key": {"$ne": "x"}},
    {"genre": "no-such-genre"},
]


@pytest.fixture(scope="module")
def indexed():
    ids, vecs, metas = _data()
    index = VectorIndex(vecs.shape[1])
    index.add(ids, vecs, metas)
    return ids, vecs, metas, index


@pytest.mark.parametrize("where", FILTERS, ids=[str(f) for f in FILTERS])
def test_filter_matches_chroma(indexed, where) -> None:
    ids, vecs, metas, index = indexed
    collection = chromadb.EphemeralClient().get_or_create_collection(
        "parity", embedding_function=None
    )
    if collection.count() == 0:
        collection.add(ids=ids, embeddings=vecs, metadatas=metas)
    expected = set(collection.get(where=where, include=[])["ids"])
    got = {ids[i] for i in np.flatnonzero(index.mask(where))}
    assert got == expected


def test_unfiltered_query_is_exact_cosine(indexed) -> None:
    ids, vecs, _, index = indexed
    q = np.random.default_rng(1).standard_normal(vecs.shape[1]).astype(np.float32) * 3
    hits = index.query(q, 10)
    assert [h[0] for h in hits] == _exact(vecs, ids, q, 10)
    cos = float(vecs[ids.index(hits[0][0])] @ q / np.linalg.norm(q))
    assert hits[0][1] == pytest.approx(cos, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


@pytest.mark.parametrize("scan_fraction", [0.0, 1.0])  # masked-full-scan path, gather path
@pytest.mark.parametrize("where", FILTERS[:15], ids=[str(f) for f in FILTERS[:15]])
def test_filtered_query_is_exact_on_both_paths(indexed, where, scan_fraction) -> None:
    ids, vecs, _, index = indexed
    default, index.scan_fraction = index.scan_fraction, scan_fraction
    q = np.random.default_rng(2).standard_normal(vecs.shape[1]).astype(np.float32)
    keep = index.mask(where)
    hits = index.query(q, 25, where=where, exclude=[ids[0], ids[5]])
    keep = keep.copy()
    keep[[0, 5]] = False
    assert [h[0] for h in hits] == _exact(vecs, ids, q, 25, keep)
    index.scan_fraction = default


def test_query_edge_cases(indexed) -> None:
    ids, vecs, _, index = indexed
    assert index.query(vecs[3], 0) == []
    assert index.query(vecs[3], 5, where={"genre": "no-such-genre"}) == []
    assert index.query(vecs[3], 1)[0][0] == ids[3]
    assert len(index.query(vecs[3], 10_000)) == len(ids)
    assert VectorIndex(4).query(np.ones(4), 3) == []
    with pytest.raises(ValueError, match="dim 16"):
        index.query(np.ones(5), 3)
    with pytest.raises(ValueError, match=r"\$gt needs an int or a float"):
        index.mask({"genre": {"$gt": "a"}})
    with pytest.raises(ValueError, match="unsupported where operator"):
        index.mask({"genre": {"$regex": "a"}})
    with pytest.raises(ValueError, match="non-empty list"):
        index.mask({"$or": []})


def test_upsert_and_remove_keep_rows_consistent() -> None:
    ids, vecs, metas = _data(50, 8)
    index = VectorIndex(8, capacity=4)  # forces growth
    index.add(ids, vecs, metas)
    index.add([ids[10]], -vecs[10], [{"genre": "changed", "bpm": None}])  # merged, as Chroma
    assert len(index) == 50
    assert index.metadata(ids[10]) == {"genre": "changed", "energy": metas[10]["energy"],
                                       "has_voice": metas[10]["has_voice"]}  # fmt: skip
    assert index.query(-vecs[10], 1)[0][0] == ids[10]
    index.remove([ids[0], ids[10], "unknown"])
    assert len(index) == 48 and ids[0] not in index and ids[10] not in index
    moved = ids[49]  # the last row moved into a freed slot: still findable, same metadata
    assert index.query(vecs[49], 1)[0] == (moved, pytest.approx(1.0, abs=1e-5))
    assert index.metadata(moved) == {k: float(v) if not isinstance(v, str | bool) else v
                                     for k, v in metas[49].items()}  # fmt: skip
    assert {ids[i] for i in np.flatnonzero(index.mask({"genre": "changed"}))} == set()
    assert set(index.ids) == set(ids) - {ids[0], ids[10]}


def test_from_collection_round_trip(tmp_path) -> None:
    ids, vecs, metas = _data(1200, 16)
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    collection = vector_collection(client, "audio-test")
    assert bulk_upsert(collection, ids, vecs, metas, batch_size=500) == 1200
    index = VectorIndex.from_collection(collection, page=500)
    assert len(index) == 1200 and index.dim == 16
    q = vecs[7]
    assert [h[0] for h in index.query(q, 5)] == _exact(vecs, ids, q, 5)
    where = {"$and": [{"genre": "folk"}, {"energy": {"$lt": 0.5}}]}
    assert {ids[i] for i in np.flatnonzero(index.mask(where))} == set(
        collection.get(where=where, include=[])["ids"]
    )
    empty = vector_collection(client, "empty-test")
    assert len(VectorIndex.from_collection(empty, dim=16)) == 0
    with pytest.raises(ValueError, match="pass dim="):
        VectorIndex.from_collection(empty)


def _clustered(n: int, dim: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((60, dim)).astype(np.float32)
    vecs = centres[rng.integers(0, 60, n)] + 0.6 * rng.standard_normal((n, dim), np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"c{i:05d}" for i in range(n)]
    return ids, vecs, [{"has_voice": bool(i % 4 == 0), "energy": (i % 10) / 10} for i in range(n)]


@pytest.mark.parametrize("where", [None, {"has_voice": False}, {"energy": {"$gte": 0.3}}])
def test_inverted_file_finds_the_exact_neighbours(where) -> None:
    ids, vecs, metas = _clustered(6000, 32)
    index = VectorIndex(32, ivf_min_rows=1000, exact_rows=200)
    index.add(ids, vecs, metas)
    index.prepare()
    assert index.ivf_fraction < 0.5  # structured data: the inverted file is in use
    keep = np.ones(len(ids), bool) if where is None else index.mask(where)
    recalls = []
    for q in vecs[:40] + 0.05:
        truth = _exact(vecs, ids, q, 20, keep)
        assert [h[0] for h in index.query(q, 20, where, exact=True)] == truth
        recalls.append(len({h[0] for h in index.query(q, 20, where)} & set(truth)) / 20)
    assert np.mean(recalls) >= 0.95
    index.add(["late"], vecs[:1] * -1, [{"has_voice": False, "energy": 0.5}])  # after training
    assert index.query(-vecs[0], 1, where)[0][0] == "late"  # passes all three filters


def test_unstructured_vectors_calibrate_to_exact_search() -> None:
    ids, vecs, metas = _data(4000, 256, seed=4)  # isotropic 256-d: no list can be skipped
    index = VectorIndex(256, ivf_min_rows=1000, exact_rows=200)
    index.add(ids, vecs, metas)
    index.prepare()
    assert index.ivf_fraction >= 0.5
    q = vecs[9] + 0.01
    assert [h[0] for h in index.query(q, 30)] == _exact(vecs, ids, q, 30)
