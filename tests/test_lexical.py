"""The lexical index: BM25 over names, tags and captions; exact/prefix lookup; did-you-mean.

"punk rock" must find the tracks *tagged* punk rock (caption vectors alone returned 0 of
10 in issue 11), and a name must never be swapped silently for a near miss ("Kid A" for
"Kind Lagoon").
"""

from __future__ import annotations

import numpy as np
import pytest
import tiny_catalog

from linernotes.tools.catalog.lexical import LexicalIndex, lexical_for
from linernotes.tools.catalog.search import lexical_search, search_words


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    _, catalog, backends, tracks = tiny_catalog.build(tmp_path_factory.mktemp("tiny"))
    return catalog, backends, tracks


def _renamed(track, **changes):
    return track.model_copy(update=changes)


def test_bm25_ranks_tagged_tracks_first(tiny) -> None:
    catalog, _, tracks = tiny
    index = LexicalIndex()
    index.index_tracks(tracks)
    hits = index.search("lo-fi hip hop for studying", 20)
    top = {catalog.get(i).genre_tag for i, _ in hits[:4]}
    assert top == {"lo-fi hip hop"}
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert index.search("", 5) == [] and index.search("zzzz", 5) == []


def test_lookup_is_exact_or_prefix_never_fuzzy(tiny) -> None:
    _, _, tracks = tiny
    base = tracks[0]
    index = LexicalIndex()
    index.index_tracks(
        [
            _renamed(base, id="a" * 16, title="Kind Lagoon"),
            _renamed(base, id="b" * 16, title="Music for Airports", artist="Brian Eno"),
            _renamed(base, id="c" * 16, title="Kid Afternoon"),
        ]
    )
    assert index.lookup("Kid A") == []
    assert index.did_you_mean("Kid A")  # offered, for the answer to say
    hits = index.lookup("music for airports")
    assert [(h.track_id, h.exact) for h in hits] == [("b" * 16, True)]
    assert [h.track_id for h in index.lookup("Music for Airport")] == ["b" * 16]  # 80% prefix
    assert [h.field for h in index.lookup("brian eno")] == ["artist"]
    assert index.lookup("brian eno", "title") == []


def test_index_follows_upserts(tiny, tmp_path) -> None:
    catalog, backends, tracks = tiny
    index = lexical_for(catalog)
    assert len(index) == len(catalog)
    new = _renamed(tracks[0], id="f" * 16, title="Velvet Underpass", path=str(tmp_path / "x.wav"))
    vec_a = catalog.audio_vectors([tracks[0].id])
    vec_t = np.asarray(backends.text.embed([new.caption]), dtype=np.float32)
    catalog.upsert([new], vec_a, vec_t)
    assert [h.track_id for h in lexical_for(catalog).lookup("velvet underpass")] == ["f" * 16]


def test_lexical_list_is_fused_into_text_search(tiny) -> None:
    catalog, backends, _ = tiny
    lex = lexical_search(catalog, "techno", 5)
    assert lex and all(catalog.get(c.track_id).genre_tag == "techno" for c in lex)
    assert lex[0].similarity == 1.0 and lex[0].source == "lexical"
    fused = search_words(catalog, "techno", 6, backends=backends)
    assert any("lexical" in c.source for c in fused)
    assert sum(catalog.get(c.track_id).genre_tag == "techno" for c in fused[:4]) >= 3


def test_facets_ground_the_reader_without_loading_tracks(tiny) -> None:
    from linernotes.tools.reason.vocabulary import grounding_for

    catalog, _, _ = tiny
    g = grounding_for(catalog)
    assert {"techno", "lo-fi hip hop", "pop"} <= g.genres
    assert "saxophone" not in g.families


def test_an_index_without_facets_is_rebuilt(tiny, tmp_path) -> None:
    _, _, tracks = tiny
    index = LexicalIndex(tmp_path / "old.sqlite")
    index.index_tracks(tracks[:3])
    with index._db:  # an index written before facets existed
        index._db.execute("DELETE FROM facets")
    assert not index.complete()
    index.index_tracks(tracks[:3])
    assert index.complete() and len(index.facets()) >= 1
