"""The request suite (agent/scenarios/requests.yaml) on a held-out demo catalog.

197 single requests typed the way people type (genres in everyday words, negations,
ranges, counts in words, instruments, moods, typos, contexts, off-topic, absent titles
and artists, other languages) and 22 multi-turn threads, scored on the demo manifest's
labels through ``linernotes eval``'s own runner. The catalog is rendered with seed 1:
the offline constants were fitted on seed 0, so this is a held-out check.

Done when (issue 11): at least 90% of requests answered with at least 75% of picks
satisfying what was asked; off-topic and absent-song requests return no picks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.agent.evaluate import load_suite, run_suite

SUITE = Path(__file__).resolve().parents[1] / "agent" / "scenarios" / "requests.yaml"
CONVO_KINDS = {"thread-convo"}  # threads that need issue 11 part B (undo, condition edits)


@pytest.fixture(scope="module")
def held_out(heldout_catalog):
    """The shared seed-1 demo of tests/conftest.py (60 tracks, five per style)."""
    return heldout_catalog.settings, heldout_catalog.manifest


@pytest.fixture(scope="module")
def report(held_out, tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings, manifest = held_out
    out = tmp_path_factory.mktemp("eval")
    return run_suite(load_suite(SUITE), settings, manifest, out)


def _rate(turns: list[dict]) -> float:
    return sum(t["passed"] for t in turns) / len(turns)


def test_suite_is_big_and_varied() -> None:
    suite = load_suite(SUITE)
    kinds = {r.kind for r in suite.requests}
    assert len(suite.requests) >= 150 and len(suite.conversations) >= 20
    assert {"negation", "range", "typo", "offtopic", "absent", "language"} <= kinds


def test_requests_are_understood(report: dict) -> None:
    turns = [t for t in report["turns"] if t["kind"] not in CONVO_KINDS]
    failed = [f"{t['say']}: {'; '.join(t['failures'])}" for t in turns if not t["passed"]]
    assert _rate(turns) >= 0.90, "\n".join(failed)
    assert report["metrics"]["picks_satisfying"] >= 0.90


@pytest.mark.parametrize("kind", ["offtopic", "absent"])
def test_off_topic_and_absent_never_get_unasked_picks(report: dict, kind: str) -> None:
    turns = [t for t in report["turns"] if t["kind"] == kind]
    failed = [f"{t['say']}: {'; '.join(t['failures'])}" for t in turns if not t["passed"]]
    assert not failed, "\n".join(failed)


def test_every_kind_is_mostly_understood(report: dict) -> None:
    """No kind of request may lag far behind the rest (reversed negations did, at 0%)."""
    for kind, m in report["metrics"]["kinds"].items():
        if kind not in CONVO_KINDS:
            assert m["rate"] >= 0.8, (kind, m)


def test_threads_needing_conversation_features(report: dict) -> None:
    turns = [t for t in report["turns"] if t["kind"] in CONVO_KINDS]
    assert all(t["passed"] for t in turns)


@pytest.mark.parametrize("say", ["something calm by the sea", "songs by the fire for reading"])
def test_everyday_by_phrases_are_requests_not_titles(report: dict, say: str) -> None:
    """Lower-case "<title> by <artist>" is a name only when both sides are not plain words."""
    turn = next(t for t in report["turns"] if t["say"] == say)
    assert turn["passed"], turn["failures"]


@pytest.mark.parametrize("say", ["music that sounds like rain", "songs like the ocean"])
def test_lower_case_similes_are_descriptions_not_absent_names(report: dict, say: str) -> None:
    """ "like <words>" typed without capitals searches the words; "like Kid A" stays a name."""
    turn = next(t for t in report["turns"] if t["say"] == say)
    assert turn["passed"], turn["failures"]


@pytest.mark.parametrize(
    "say",
    [
        "90bpm",
        "100-120bpm",
        "120ish bpm",
        "sumthing for running",
        "somthing upbeat to work out to",
        "songs that aren't fast and aren't loud",
        "music that doesn't have vocals",
        "something that isnt too sad",
    ],
)
def test_one_word_tempos_misspellings_and_contractions_are_read(report: dict, say: str) -> None:
    """ "90bpm" alone was an absent title (no picks); "sumthing" was read as "soothing",
    which capped the energy of a request for running; "aren't fast" asked for fast."""
    turn = next(t for t in report["turns"] if t["say"] == say)
    assert turn["passed"], turn["failures"]
