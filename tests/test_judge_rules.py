"""The offline judge on hand-made tracks: dimensions, context gating, constraints, modes."""

from __future__ import annotations

import time

import pytest
from factories import make_track

from linernotes.tools.judge.rules import RulesJudge, normalise_dimensions
from linernotes.tools.reason.contexts import get_context, match_context
from linernotes.tools.schemas import DIMENSIONS, Constraints

ANCHOR = make_track("anchor", title="Dusty Tape 3", bpm=82, energy=0.22, genre="lo-fi hip-hop",
                    instruments=["piano", "drums"], perc=0.4)  # fmt: skip
STUDY_TWIN = make_track("twin", bpm=84, energy=0.25, genre="lo-fi hip-hop", perc=0.38,
                        instruments=["piano", "drums"])  # fmt: skip
STUDY_OTHER = make_track("calm", bpm=70, energy=0.15, genre="ambient", perc=0.05, bright=1200)
LOUD_TWIN = make_track("loud", bpm=88, energy=0.85, genre="lo-fi hip-hop", perc=0.6,
                       instruments=["piano", "drums"])  # fmt: skip
SUNG_TWIN = make_track("sung", bpm=82, energy=0.24, voice=0.9, genre="lo-fi hip-hop", perc=0.4)
RUNNER = make_track("runner", bpm=160, energy=0.9, genre="punk rock", perc=0.7, bright=3500,
                    voice=0.8, mode="major", key="E")  # fmt: skip
TECHNO = make_track("techno", bpm=128, energy=0.8, genre="techno", perc=0.75, bright=3000)
POOL = [STUDY_TWIN, STUDY_OTHER, LOUD_TWIN, SUNG_TWIN, RUNNER, TECHNO]


def test_plain_similarity_ranks_the_twin_first() -> None:
    verdicts = RulesJudge().pointwise(ANCHOR, [*POOL, ANCHOR], None, Constraints())
    assert verdicts[0].track_id == "twin"
    assert "anchor" not in {v.track_id for v in verdicts}
    assert [v.score for v in verdicts] == sorted((v.score for v in verdicts), reverse=True)
    assert set(verdicts[0].dimensions) <= set(DIMENSIONS)


def test_studying_context_dominates_and_explains_with_facts() -> None:
    verdicts = RulesJudge().pointwise(ANCHOR, POOL, get_context("studying"), Constraints())
    order = [v.track_id for v in verdicts]
    assert order[:2] == ["twin", "calm"]
    assert order.index("loud") > order.index("calm")
    top = verdicts[0]
    assert "Dusty Tape 3" in top.explanation and "84 BPM" in top.explanation
    assert "studying" in top.explanation and top.backend == "rules"
    assert top.dimensions["usage_context"] > 0.9


def test_running_context_prefers_fast_loud_tracks() -> None:
    verdicts = RulesJudge().pointwise(ANCHOR, POOL, get_context("running"), Constraints())
    order = [v.track_id for v in verdicts]
    assert set(order[:3]) == {"runner", "techno", "loud"}  # 88 BPM counts as 176 half-time
    assert order.index("runner") < order.index("twin")


def test_context_only_request_scores_fit() -> None:
    verdicts = RulesJudge().pointwise(None, POOL, get_context("sleep"), Constraints())
    assert verdicts[0].track_id == "calm"
    assert verdicts[0].anchor_id is None and "usage_context" in verdicts[0].dimensions


def test_hard_constraints_zero_or_exclude() -> None:
    c = Constraints(no_vocals=True, max_bpm=100, exclude_ids=["calm"])
    verdicts = {v.track_id: v for v in RulesJudge().pointwise(ANCHOR, POOL, None, c)}
    assert "calm" not in verdicts
    assert verdicts["sung"].score == 0 and "has vocals" in verdicts["sung"].differences[-1]
    assert verdicts["runner"].score == 0 and verdicts["twin"].score > 0.5


def test_calmer_relative_to_anchor() -> None:
    pool = [make_track("a1", bpm=82, energy=0.1, genre="lo-fi hip-hop"),
            make_track("a2", bpm=82, energy=0.4, genre="lo-fi hip-hop")]  # fmt: skip
    calm = RulesJudge().pointwise(ANCHOR, pool, None, Constraints(calmer=True))
    assert calm[0].track_id == "a1"
    more = RulesJudge().pointwise(ANCHOR, pool, None, Constraints(more_energetic=True))
    assert more[0].track_id == "a2"


def test_secondary_dimensions_cannot_justify_similarity() -> None:
    # Same tempo and energy as the anchor, but a different genre, timbre and vocals.
    stranger = make_track("stranger", bpm=82, energy=0.22, genre="punk rock", voice=0.95,
                          bright=5000, perc=0.95, mode="major")  # fmt: skip
    (v,) = RulesJudge().pointwise(ANCHOR, [stranger], None, Constraints())
    assert v.dimensions["tempo"] > 0.9 and v.dimensions["energy"] > 0.9
    assert v.score < 0.45


def test_pairwise_both_orders_and_tie() -> None:
    judge = RulesJudge()
    pv = judge.pairwise(ANCHOR, LOUD_TWIN, STUDY_TWIN, get_context("studying"))
    assert pv.winner == "B" and pv.consistent and pv.orders == ["B", "B"]
    assert pv.reasons and pv.confidence > 0.5
    twin2 = STUDY_TWIN.model_copy(update={"id": "twin2"})
    assert judge.pairwise(ANCHOR, STUDY_TWIN, twin2, None).winner == "tie"


def test_listwise_and_attribute() -> None:
    judge = RulesJudge()
    lv = judge.listwise(ANCHOR, POOL, get_context("studying"))
    assert lv.ranking[0] == "twin" and "studying" in lv.explanation
    assert [v.track_id for v in lv.verdicts] == lv.ranking
    rhythm = judge.attribute(ANCHOR, POOL, ["rhythm"])
    assert all(set(v.dimensions) == {"tempo"} for v in rhythm)
    assert rhythm[0].track_id in {"sung", "twin"}
    with pytest.raises(ValueError, match="unknown dimension 'groove'"):
        normalise_dimensions(["groove"])


def test_blended_context_is_judged() -> None:
    match = match_context("late-night driving")
    assert match is not None and match.components[0][0] == "driving"
    verdicts = RulesJudge().pointwise(ANCHOR, POOL, match.profile, Constraints())
    assert verdicts[0].context == "driving+sleep"


def test_sixty_candidates_are_fast() -> None:
    pool = [make_track(f"c{i}", bpm=60 + i * 2, energy=(i % 10) / 10, voice=(i % 3) / 3,
                       genre=["ambient", "techno", None][i % 3]) for i in range(60)]  # fmt: skip
    judge, ctx = RulesJudge(), get_context("studying")
    judge.pointwise(ANCHOR, pool, ctx, Constraints())
    best = min(_timed(lambda: judge.pointwise(ANCHOR, pool, ctx, Constraints())) for _ in range(5))
    assert best < 0.2  # generous for a shared CI core; bench/judge.py reports the figure


def _timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0
