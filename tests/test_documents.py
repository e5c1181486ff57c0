"""Where track records live: records.sqlite beside the metadata index, not Chroma.

Chroma full-text indexes every document it stores, which was a third of bulk insert
time; nothing searches documents by their words (the lexical index does). These tests
pin what users rely on: lookups by title, id prefix and path still answer, a catalog
built before the move keeps every record (copied out once), a crash's leftover document
never surfaces, and a catalog without the index (server mode) keeps documents in Chroma.
"""

from __future__ import annotations

import json

import chromadb
import numpy as np
import pytest
import tiny_catalog

from linernotes.tools.catalog.records import Records
from linernotes.tools.catalog.state import SqliteState
from linernotes.tools.catalog.vectors import VectorCollection
from linernotes.tools.errors import TrackNotFoundError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    _, catalog, _, tracks = tiny_catalog.build(tmp_path_factory.mktemp("docs"))
    return catalog, tiny_catalog.by_title(tracks)


def _client(folder):
    return chromadb.PersistentClient(
        path=str(folder / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )


def _records(n: int = 30):
    ids = [f"t{i:04d}" for i in range(n)]
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(n, 8)).astype(np.float32)
    metas = [{"title_key": f"song {i}", "genre": ["jazz", "folk"][i % 2]} for i in range(n)]
    docs = [json.dumps({"id": i, "title": f"Song {k}"}) for k, i in enumerate(ids)]
    return ids, vecs, metas, docs


def test_records_are_read_from_records_sqlite_and_chroma_holds_none(tiny) -> None:
    catalog, t = tiny
    stored = catalog._audio.chroma.get(include=["documents"])
    assert len(stored["ids"]) == len(t) and set(stored["documents"]) == {None}
    got = catalog.get_many([t["Dub 2"].id, "no-such-id"])
    assert list(got) == [t["Dub 2"].id] and got[t["Dub 2"].id].title == "Dub 2"
    assert sorted(x.title for x in catalog.tracks()) == sorted(t)


@pytest.mark.parametrize(
    ("ref", "title"),
    [
        ("dub 2", "Dub 2"),  # exact, any case
        ("  LOFI   3 ", "Lofi 3"),  # spaces collapsed
        ("Lof", "Lofi 1"),  # prefix: the first in title order
        ("op 2", "Pop 2"),  # the one title containing it
    ],
)
def test_titles_resolve_through_the_index(tiny, ref, title) -> None:
    catalog, t = tiny
    assert catalog.resolve(ref).id == t[title].id


def test_ids_paths_and_ambiguity(tiny) -> None:
    catalog, t = tiny
    assert catalog.resolve(t["Pop 3"].id[:7]).id == t["Pop 3"].id
    assert catalog.resolve(t["Techno 4"].path).id == t["Techno 4"].id
    with pytest.raises(TrackNotFoundError, match="no track matches 'echno'"):
        catalog.resolve("echno")  # inside four titles: never one picked silently


def test_a_leftover_document_of_a_crashed_write_never_surfaces(tiny) -> None:
    catalog, t = tiny
    coll = catalog._audio
    ghost = t["Pop 1"].model_copy(update={"id": "a0a0a0a0a0a0a0a0", "title": "Phantom Song"})
    held = coll._docs_here()
    assert held is not None
    held.replace(coll.name, {}, [(ghost.id, {"title_key": "phantom song"})],
                 docs=[(ghost.id, ghost.model_dump_json())])  # fmt: skip
    try:
        with pytest.raises(TrackNotFoundError):
            catalog.resolve("Phantom Song")
        for ref in (ghost.id, ghost.id[:9]):
            with pytest.raises(TrackNotFoundError):
                catalog.resolve(ref)
        assert ghost.id not in {x.id for x in catalog.tracks()}
    finally:
        held.replace(coll.name, {ghost.id: {"title_key": "x"}}, [], drop_docs=[ghost.id])


def test_an_older_collection_moves_its_documents_out_once(tmp_path) -> None:
    ids, vecs, metas, docs = _records()
    client = _client(tmp_path)
    old = client.get_or_create_collection("audio-old", embedding_function=None)
    old.upsert(ids=ids, embeddings=vecs, metadatas=metas, documents=docs)  # as before the move
    state = SqliteState(Records(tmp_path / "records.sqlite"))
    coll = VectorCollection(client, "audio-old", "s", "audio", state)
    assert coll.documents_by_id(ids[:3]) == dict(zip(ids[:3], docs[:3], strict=True))
    index = state.meta_index()
    assert index is not None and index.holds_docs("audio-old")
    assert sorted(coll.documents()) == sorted(docs)
    coll.update([ids[0]], [{"genre": "folk"}], ['{"id": "t0000", "title": "Renamed"}'])
    assert coll.documents_by_id([ids[0]])[ids[0]] == '{"id": "t0000", "title": "Renamed"}'
    again = VectorCollection(client, "audio-old", "s", "audio", state)  # another process
    assert again.documents_by_id([ids[0]])[ids[0]].endswith('"Renamed"}')
    assert again.find_names("title_key", "song 1", "prefix", 1) == {ids[1]: docs[1]}
    coll.delete([ids[1]])
    assert coll.documents_by_id([ids[1]]) == {} and len(list(coll.documents())) == len(ids) - 1


def test_without_the_index_documents_stay_in_chroma(tmp_path) -> None:
    class ServerLike(SqliteState):  # like ChromaState: no metadata index
        def meta_index(self):
            return None

    ids, vecs, metas, docs = _records()
    coll = VectorCollection(
        _client(tmp_path), "audio-srv", "s", "audio", ServerLike(Records(tmp_path / "r.sqlite"))
    )
    coll.upsert(ids, vecs, metas, docs)
    assert coll.chroma.get(ids=[ids[2]], include=["documents"])["documents"] == [docs[2]]
    assert coll.documents_by_id([ids[2]]) == {ids[2]: docs[2]}
    assert coll.find_documents({"$contains": '"id": "t0003'}, 2) == {ids[3]: docs[3]}
    assert coll.find_names("title_key", "song 3", "exact", 1) is None


def test_lookup_without_the_index_asks_chroma(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(SqliteState, "meta_index", lambda self: None)  # as in server mode
    _, catalog, _, tracks = tiny_catalog.build(tmp_path)
    t = tiny_catalog.by_title(tracks)
    assert catalog._audio.chroma.get(ids=[t["Dub 1"].id], include=["documents"])["documents"][0]
    for ref, title in (("DUB 2", "Dub 2"), ("Lof", "Lofi 1"), ("op 2", "Pop 2")):
        assert catalog.resolve(ref).id == t[title].id
    assert catalog.resolve(t["Pop 3"].id[:7]).id == t["Pop 3"].id
    with pytest.raises(TrackNotFoundError):
        catalog.resolve("echno")
