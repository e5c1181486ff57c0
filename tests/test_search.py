"""Fast retrieval: neighbours, text search, fusion, filters, and files outside the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tiny_catalog

from linernotes.tools.catalog.filters import constraints_to_where
from linernotes.tools.catalog.search import (
    RRF_K,
    fuse,
    resolve_query,
    search_text,
    similar_to_track,
    to_hits,
)
from linernotes.tools.errors import TrackNotFoundError
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.schemas import Candidate, Constraints, Levels


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    _, catalog, backends, tracks = tiny_catalog.build(tmp_path_factory.mktemp("tiny"))
    return catalog, backends, tiny_catalog.by_title(tracks)


# -- filters ---------------------------------------------------------------------------
def test_no_constraints_no_filter() -> None:
    assert constraints_to_where(Constraints(), None) is None


def test_studying_context_filters_energy_and_voice() -> None:
    where = constraints_to_where(Constraints(), get_context("studying"))
    assert where == {
        "$and": [
            {"energy_level": {"$in": ["low", "medium"]}},
            {"voice_probability": {"$lte": 0.35}},  # heard as instrumental, not unsure
        ]
    }


def test_running_context_sets_an_energy_floor() -> None:
    where = constraints_to_where(Constraints(), get_context("running"))
    assert where == {"energy_level": {"$in": ["high", "very_high"]}}


def test_constraints_bpm_and_vocals() -> None:
    c = Constraints(vocals_only=True, min_bpm=90, max_bpm=110)
    assert constraints_to_where(c, None) == {
        "$and": [
            {"has_voice": True},
            {"tempo_bpm": {"$gte": 90.0}},
            {"tempo_bpm": {"$lte": 110.0}},
        ]
    }


def test_stricter_bound_wins_and_conflicts_follow_the_listener() -> None:
    # "not too loud" (max medium) with sleep (max low): low is stricter.
    where = constraints_to_where(Constraints(max_energy="medium"), get_context("sleep"))
    assert {"energy_level": {"$in": ["low"]}} in where["$and"]
    # a high-energy floor the listener asked for beats studying's ceiling
    where = constraints_to_where(Constraints(min_energy="high"), get_context("studying"))
    assert {"energy_level": {"$in": ["high", "very_high"]}} in where["$and"]


def test_relative_wishes_bound_against_the_anchor(tiny) -> None:
    _, _, t = tiny
    anchor = t["Techno 1"]
    where = constraints_to_where(
        Constraints(calmer=True, slower=True), None, Levels.of_track(anchor)
    )
    assert {"energy": {"$lt": anchor.measurements.energy}} in where["$and"]
    assert {"tempo_bpm": {"$lt": pytest.approx(anchor.measurements.tempo_bpm * 0.97)}} in where[
        "$and"
    ]


def test_filters_keep_what_chroma_keeps(tiny) -> None:
    """The planned query keeps exactly the rows Chroma's own filter keeps."""
    catalog, _, t = tiny
    where = constraints_to_where(Constraints(), get_context("studying"))
    hits = similar_to_track(catalog, t["Techno 1"], 20, where=where)
    titles = {catalog.get(h.track_id).title for h in hits}
    assert titles == {"Dub 1", "Dub 2", "Dub 3", "Lofi 1", "Lofi 2", "Lofi 3", "Lofi 4"}
    stored = catalog._audio.chroma.get(where=where, include=[])["ids"]
    assert {h.track_id for h in hits} == set(stored) - {t["Techno 1"].id}


# -- neighbours and text -----------------------------------------------------------------
def test_similar_to_track_excludes_itself_and_ranks_its_group_first(tiny) -> None:
    catalog, _, t = tiny
    hits = similar_to_track(catalog, t["Techno 1"].id, 3)
    assert t["Techno 1"].id not in {h.track_id for h in hits}
    assert {catalog.get(h.track_id).title for h in hits} == {"Techno 2", "Techno 3", "Techno 4"}
    assert hits[0].source == "audio"
    assert all(-1.0 <= h.similarity <= 1.0 for h in hits)


def test_similar_to_track_resolves_titles_and_honours_exclude(tiny) -> None:
    catalog, _, t = tiny
    hits = similar_to_track(catalog, "techno 1", 3, exclude=[t["Techno 2"].id])
    assert t["Techno 2"].id not in {h.track_id for h in hits}


def test_unknown_reference_raises(tiny) -> None:
    catalog, backends, _ = tiny
    with pytest.raises(TrackNotFoundError, match="no track matches"):
        resolve_query(catalog, "zzzz qqqq xxxx", backends)


def test_search_text_uses_caption_space_for_non_joint_embedders(tiny) -> None:
    catalog, backends, t = tiny
    hits = search_text(catalog, t["Pop 1"].caption, 3, backends=backends)
    # the fake embedder ignores numbers, so the three pop captions tie
    assert {catalog.get(h.track_id).title for h in hits} == {"Pop 1", "Pop 2", "Pop 3"}
    assert hits[0].source == "text"


def test_search_text_goes_to_audio_space_for_joint_embedders(tiny) -> None:
    catalog, backends, t = tiny

    class Joint(tiny_catalog.FakeAudioEmbedder):
        joint_text = True

        def embed_text(self, texts):
            return np.stack([catalog.audio_vector(t["Lofi 2"].id) for _ in texts])

    joint = type(backends)(backends.settings, Joint(), backends.text)
    assert search_text(catalog, "anything", 1, backends=joint)[0].track_id == t["Lofi 2"].id


# -- fusion ----------------------------------------------------------------------------
def _c(track_id: str, sim: float, source: str = "x") -> Candidate:
    return Candidate(track_id=track_id, similarity=sim, source=source)


def test_rrf_rewards_agreement_and_keeps_first_lists_similarity() -> None:
    fused = fuse(
        {"audio": [_c("a", 0.9), _c("b", 0.8)], "text": [_c("b", 0.3), _c("c", 0.2)]},
        k=3,
        weights={"audio": 1.0, "text": 1.0},
    )
    assert [c.track_id for c in fused] == ["b", "a", "c"]
    assert fused[0].source == "audio+text"
    assert fused[0].similarity == 0.8  # the audio cosine, not a max over scales


def test_rrf_weights_are_applied() -> None:
    lists = {"audio": [_c("a", 0.9)], "text": [_c("b", 0.9)]}
    assert fuse(lists, 2, {"audio": 1.0, "text": 2.0})[0].track_id == "b"
    assert fuse(lists, 2, {"audio": 2.0, "text": 1.0})[0].track_id == "a"
    assert 1.0 / (RRF_K + 1) > 1.0 / (RRF_K + 2)


def test_similar_puts_filter_passing_neighbours_first(tiny) -> None:
    """The agent's search_similar fuses plain and filtered neighbours of the anchor."""
    from linernotes.agent.ops import Env, search_similar
    from linernotes.agent.state import Context

    catalog, backends, _ = tiny
    ctx = Context(catalog=catalog, backends=backends, reasoner=None, judge=None, candidates_k=6)
    calm = Constraints(no_vocals=True, max_energy="medium")  # what "studying" filters on
    out = search_similar(Env(ctx, {}), "Techno 1", constraints=calm)
    fused = out.data
    assert {c.source for c in fused} >= {"audio+filtered"}
    top = [catalog.get(c.track_id).title for c in fused[:3]]
    assert top[0].startswith(("Dub", "Techno"))
    assert any(title.startswith("Dub") for title in top)


def test_to_hits_ranks_from_one(tiny) -> None:
    catalog, _, t = tiny
    hits = to_hits(catalog, similar_to_track(catalog, t["Lofi 1"], 2))
    assert [h.rank for h in hits] == [1, 2]
    assert hits[0].path.endswith(".wav")


# -- the CLI on the demo catalog, with a file that is not in it ----------------------------
def _write_tone(path: Path) -> Path:
    import soundfile as sf

    sr = 22050
    t = np.arange(int(sr * 12)) / sr
    beat = (np.sin(2 * np.pi * 2.0 * t) > 0.95).astype(np.float32)
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * beat * np.random.default_rng(0).normal(
        size=t.size
    )
    sf.write(path, y.astype(np.float32), sr)
    return path


def test_cli_search_like_a_file_outside_the_catalog(demo_catalog, tmp_path, capsys) -> None:
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.ui.cli import main

    wav = _write_tone(tmp_path / "new song.wav")
    folder = str(demo_catalog.settings.catalog)
    before = len(open_catalog(demo_catalog.settings, create=False))
    assert main(["search", "--catalog", folder, "--like", str(wav), "--k", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["in_catalog"] is False
    assert len(out["hits"]) == 5
    assert [h["rank"] for h in out["hits"]] == [1, 2, 3, 4, 5]
    assert len(open_catalog(demo_catalog.settings, create=False)) == before


def test_cli_search_text_human_output(demo_catalog, capsys) -> None:
    from linernotes.ui.cli import main

    folder = str(demo_catalog.settings.catalog)
    assert main(["search", "--catalog", folder, "--text", "calm piano", "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert "Closest to “calm piano”" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 3


def test_lookup_is_exact_or_prefix_and_a_near_miss_is_only_offered(tiny) -> None:
    catalog, _, t = tiny
    assert catalog.resolve("  TECHNO 1 ").id == t["Techno 1"].id  # exact, any case
    assert catalog.resolve(t["Lofi 2"].id[:8]).id == t["Lofi 2"].id  # id prefix
    assert catalog.resolve(t["Dub 3"].path).id == t["Dub 3"].id  # file path
    with pytest.raises(TrackNotFoundError, match=r"did you mean 'Techno 1'"):
        catalog.resolve("Tekno 1")  # a typo is never used silently
    stats = catalog.stats()
    assert stats["tracks"] == len(catalog) and sum(stats["listeners"].values()) == len(catalog)
