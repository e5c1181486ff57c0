"""Judge scores rank: they spread with fit, and tie only for candidates alike in everything.

Judged on the held-out demo (seed 1) against its labels: a list where every pick scores
0.50 (as 23 of 37 answers did) tells the listener nothing, and a score that does not
follow the labels ranks nothing.
"""

from __future__ import annotations

import pytest
from factories import make_track

from linernotes.agent.run import ask, session_for
from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.reason.contexts import get_context

REQUESTS = [
    "something for my workout",
    "calm music for studying",
    "punk rock for a road trip",
    "music to fall asleep to",
    "upbeat tracks for a party",
    "synth-pop with vocals",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_every_answer_ranks_its_picks_by_distinct_scores(heldout_catalog, text) -> None:
    answer = ask(text, heldout_catalog.settings)
    scores = [p.score for p in answer.picks]
    assert len(scores) >= 4, answer.reply
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores), scores


def test_anchored_answers_rank_by_distinct_scores(heldout_catalog) -> None:
    row = next(r for r in heldout_catalog.rows if r["style"] == "jazz piano trio")
    answer = ask(f"more like {row['title']}", heldout_catalog.settings)
    scores = [p.score for p in answer.picks]
    assert len(set(scores)) == len(scores) == heldout_catalog.settings.top_k


def _auc(pos: list[float], neg: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize(
    ("context", "label"), [("running", "workout_ok"), ("studying", "study_ok")]
)
def test_context_scores_follow_the_labels(heldout_catalog, context, label) -> None:
    catalog = session_for(heldout_catalog.settings).catalog
    tracks = catalog.tracks()
    labels = {r["path"]: r[label] == "1" for r in heldout_catalog.rows}
    verdicts = RulesJudge().pointwise(None, tracks, get_context(context))
    path = {t.id: t.path for t in tracks}
    pos = [v.score for v in verdicts if labels[path[v.track_id]]]
    neg = [v.score for v in verdicts if not labels[path[v.track_id]]]
    assert pos and neg
    assert _auc(pos, neg) >= 0.85
    top = [v.score for v in verdicts[:20]]
    assert len(set(top)) >= 18, top  # the tracks that fit are told apart too


def test_only_identical_candidates_tie() -> None:
    one = make_track("one", bpm=120, energy=0.8, genre="techno")
    twin = make_track("twin", bpm=120, energy=0.8, genre="techno")
    near = make_track("near", bpm=124, energy=0.78, genre="techno")
    verdicts = {
        v.track_id: v.score
        for v in RulesJudge().pointwise(None, [one, twin, near], get_context("running"))
    }
    assert verdicts["one"] == verdicts["twin"]
    assert verdicts["near"] != verdicts["one"]
