"""The store suite, run against both an embedded PersistentClient and a real Chroma server.

The server is ``chroma run`` from the chromadb package, started on a free loopback port
by ``tools.catalog.store.local_chroma_server`` and reached through ``make_client`` with
``store = "http"``, exactly as a shared deployment is.
"""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.tools.catalog import planner
from linernotes.tools.catalog.counts import MetaCounts, deltas
from linernotes.tools.catalog.store import (
    bulk_upsert,
    free_port,
    heartbeat,
    local_chroma_server,
    make_client,
    parse_store_url,
    vector_collection,
)
from linernotes.tools.catalog.where import matches
from linernotes.tools.errors import BackendUnavailable, ConfigError
from linernotes.tools.settings import Settings

N, DIM = 600, 24


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with local_chroma_server(tmp_path_factory.mktemp("chroma-server")) as running:
        yield running


@pytest.fixture(params=["embedded", "http"])
def client(request, tmp_path):
    if request.param == "embedded":
        return make_client(Settings(catalog=tmp_path / "catalog", store="embedded"))
    url = request.getfixturevalue("server").url
    return make_client(Settings(catalog=tmp_path / "catalog", store="http", store_url=url))


@pytest.fixture
def records():
    rng = np.random.default_rng(7)
    vecs = rng.standard_normal((N, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"id{i:04d}" for i in range(N)]
    metas = [{"genre_tag": ["jazz", "techno", "folk"][i % 3], "energy": (i % 10) / 10,
              "has_voice": i % 2 == 0} for i in range(N)]  # fmt: skip
    return ids, vecs, metas


def test_upsert_get_query_filter(client, records, request) -> None:
    ids, vecs, metas = records
    name = f"audio-{request.node.callspec.id}-{free_port()}"
    coll = vector_collection(client, name, metadata={"space": "test-v1"})
    assert bulk_upsert(coll, ids, vecs, metas, documents=ids, batch_size=250) == N
    assert coll.count() == N and coll.metadata["space"] == "test-v1"

    got = coll.get(ids=["id0003", "id0004"], include=["embeddings", "metadatas", "documents"])
    assert got["documents"] == ["id0003", "id0004"]
    assert np.allclose(got["embeddings"][0], vecs[3], atol=1e-6)
    assert got["metadatas"][1]["genre_tag"] == "techno"

    res = coll.query(query_embeddings=vecs[10:11], n_results=3, include=["distances"])
    assert res["ids"][0][0] == "id0010" and res["distances"][0][0] == pytest.approx(0, abs=1e-5)

    where = {"$and": [{"genre_tag": "jazz"}, {"energy": {"$lt": 0.5}}, {"has_voice": True}]}
    filtered = coll.query(query_embeddings=vecs[12:13], n_results=5, where=where, include=[])
    expected = {i for i, m in zip(ids, metas, strict=True) if matches(m, where)}
    assert set(filtered["ids"][0]) <= expected and len(filtered["ids"][0]) == 5
    assert set(coll.get(where=where, include=[])["ids"]) == expected
    counts = MetaCounts(deltas(metas), N)
    for path in ("overfetch", "where"):  # the planner, through this client, either way
        plan = planner.Plan(path, 0.1, 200)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(planner, "choose", lambda *a, plan=plan, **k: plan)
            hits, _ = planner.query(coll, vecs[12], 5, where, [], counts)
        assert [h[0] for h in hits] == filtered["ids"][0]

    bulk_upsert(coll, ["id0003"], vecs[4:5], [{"genre_tag": "changed", "energy": None}])
    merged = coll.get(ids=["id0003"])["metadatas"][0]  # Chroma merges metadata on upsert
    assert merged == {"genre_tag": "changed", "has_voice": False}
    assert coll.count() == N
    client.delete_collection(name)


def test_server_restarts_keep_the_data(tmp_path, records) -> None:
    ids, vecs, metas = records
    with local_chroma_server(tmp_path / "data") as first:
        coll = vector_collection(make_client(Settings(store="http", store_url=first.url)), "kept")
        bulk_upsert(coll, ids[:50], vecs[:50], metas[:50])
    assert not heartbeat(first.url)
    with local_chroma_server(tmp_path / "data") as second:
        client = make_client(Settings(store="http", store_url=second.url))
        assert client.get_collection("kept").count() == 50


def test_unreachable_server_is_backend_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(BackendUnavailable, match="linernotes serve-store"):
        make_client(Settings(store="http", store_url=url))


def test_store_url_parsing() -> None:
    assert parse_store_url("http://10.0.0.5:8765") == ("10.0.0.5", 8765, False)
    assert parse_store_url("https://chroma.example.org") == ("chroma.example.org", 443, True)
    assert parse_store_url("localhost:9000") == ("localhost", 9000, False)
    with pytest.raises(ConfigError, match="store_url"):
        parse_store_url("ftp://x")


def test_serve_store_command_is_registered() -> None:
    from linernotes.ui.cli import build_parser
    from linernotes.ui.commands import serve_store

    args = build_parser().parse_args(["serve-store", "--port", "9999", "--path", "/tmp/x"])
    assert args.func is serve_store.run and args.port == 9999 and args.host == "127.0.0.1"
