"""Listening contexts: the data file, keyword and embedding matching, blends, caching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from linernotes.tools.reason import contexts as ctxmod
from linernotes.tools.reason.contexts import (
    ContextProfile,
    blend_contexts,
    get_context,
    load_contexts,
    match_context,
)
from linernotes.tools.schemas import DIMENSIONS

REQUIRED = {"studying", "running", "sleep", "party", "commute", "dinner", "meditation",
            "gaming", "driving", "heartbreak", "morning"}  # fmt: skip


def test_data_file_has_every_required_context_with_targets() -> None:
    contexts = load_contexts()
    assert set(contexts) >= REQUIRED
    for c in contexts.values():
        assert c.description and c.examples and c.keywords and c.label
        assert set(c.weights) <= set(DIMENSIONS)
        assert 0 <= c.energy[0] <= c.energy[1] <= 1 and 30 <= c.bpm[0] <= c.bpm[1] <= 220
    assert get_context("studying").vocals == "avoid"
    assert get_context("studying").max_energy_level == "medium"
    assert get_context("running").min_energy_level == "high"
    with pytest.raises(KeyError, match="unknown context 'tea'"):
        get_context("tea")


def test_profile_refuses_unknown_dimensions_and_reversed_ranges() -> None:
    with pytest.raises(ValidationError, match="unknown dimensions"):
        ContextProfile(name="x", label="x", description="x", weights={"groove": 1.0})
    with pytest.raises(ValidationError, match="range must be"):
        ContextProfile(name="x", label="x", description="x", bpm=(120, 60))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("more like this but for studying", "studying"), ("something for my run", "running"),
     ("gym playlist", "running"), ("help me fall asleep", "sleep"), ("road trip!", "driving"),
     ("yoga class", "meditation"), ("coding session", "studying"), ("studying", "studying")],
)  # fmt: skip
def test_keyword_path(text: str, expected: str) -> None:
    match = match_context(text)
    assert match is not None and match.name == expected and match.method in {"keyword", "name"}


def test_two_keywords_blend_with_the_head_noun_weighing_more() -> None:
    match = match_context("late-night driving")
    assert match is not None and match.method == "keyword"
    assert [n for n, _ in match.components] == ["driving", "sleep"]
    assert match.components[0][1] > match.components[1][1]
    p = match.profile
    driving, sleep = get_context("driving"), get_context("sleep")
    assert p.name == "driving+sleep" and p.label == "late-night driving"
    assert sleep.energy[1] < p.energy[1] < driving.energy[1]
    assert p.max_energy_level is None  # a blend is never stricter than its main part


def test_blend_weights_and_votes() -> None:
    study, party = get_context("studying"), get_context("party")
    b = blend_contexts([(study, 3.0), (party, 1.0)])
    assert b.vocals == "avoid" and b.mode is None
    assert b.weight("energy") == pytest.approx(0.75 * 1.5 + 0.25 * 1.8, abs=1e-3)
    assert blend_contexts([(study, 1.0)]) is study


class FakeEmbedder:
    """Bag-of-words hashing embedder: deterministic, instant, counts its calls."""

    space = "fake-bow"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word.strip(",.!?"))) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def test_embedding_path_thresholds_and_caches(tmp_path: Path) -> None:
    emb = FakeEmbedder()
    ctxmod._EXAMPLE_CACHE.clear()
    match = match_context("elegant music for an evening meal", emb)  # no keyword, an example
    assert match is not None and match.method == "embedding" and match.name == "dinner"
    assert match_context("zzz qqq vvv", emb) is None  # nothing similar: no context
    assert match_context("jazz with trumpet", emb) is None  # a music description (null class)
    assert emb.calls == 4  # examples once + one call per query
    assert match_context("more like this", None) is None  # no keyword, no embedder


@pytest.fixture(scope="module")
def minilm() -> object:
    """The packaged MiniLM: a hard dependency, so failing to load it fails these tests."""
    from linernotes.tools.embed.text import MiniLMTextEmbedder

    return MiniLMTextEmbedder()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("music to help me concentrate", "studying"), ("after my girlfriend left me", "heartbreak"),
     ("epic boss battle", "gaming"), ("I need to get through my thesis tonight", "studying")],
)  # fmt: skip
def test_minilm_maps_unseen_phrasings(minilm: object, text: str, expected: str) -> None:
    match = match_context(text, minilm)  # type: ignore[arg-type]
    assert match is not None and match.components[0][0] == expected


# Held out: none of these is among the null class's examples in tools/data/contexts.yaml.
REFUSED = [
    "dreamy shoegaze with washed-out guitars",
    "bluegrass banjo picking",
    "a cello and harp duet",
    "slow blues with a wailing harmonica",
    "chiptune with bleepy square waves",
    "songs similar to the second track",
]


def test_refusal_phrases_are_held_out() -> None:
    import yaml

    from linernotes.tools.reason.contexts import NULL_CLASS

    raw = yaml.safe_load(ctxmod._data_path().read_text())
    seen = {e.lower() for e in raw[NULL_CLASS]["examples"]}
    assert not seen & {t.lower() for t in REFUSED}


@pytest.mark.parametrize("text", REFUSED)
def test_minilm_refuses_music_descriptions(minilm: object, text: str) -> None:
    assert match_context(text, minilm) is None  # type: ignore[arg-type]


def test_keyword_inside_a_longer_keyword_of_another_context_does_not_blend():
    from linernotes.tools.reason.contexts import match_context

    match = match_context("an instrumental dinner party")
    assert match is not None and match.components == [("dinner", 1.0)]
    both = match_context("a dinner with a party after")
    assert both is not None and {n for n, _ in both.components} == {"dinner", "party"}
