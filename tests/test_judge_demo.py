"""The offline judge on the ingested demo catalog, scored against the manifest's labels.

The demo's labels are facts of the composition (tools/demo), while the judge sees only
what ingest measured and wrote, so these tests measure the judge, not a lookup. They
cover what the first recommender needs ("more like X but for studying / for a run") and
the pairwise judge's accuracy on pairs with a clear answer (the rules judge scores each
track on its own, so its two orders agree by construction: order bias is tested on the
LLM judge, in test_judge_llm.py).
"""

from __future__ import annotations

import random
from itertools import zip_longest
from typing import Any

import pytest

from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.schemas import Constraints, Levels, Track

TOP_K = 8


@pytest.fixture(scope="module")
def labelled(demo_catalog: Any) -> tuple[list[Track], dict[str, dict[str, str]], Any]:
    """Catalog tracks, their manifest rows by track id, and the catalog."""
    from linernotes.tools.catalog.catalog import open_catalog

    catalog = open_catalog(demo_catalog.settings, create=False)
    tracks = catalog.tracks()
    rows = {t.id: demo_catalog.row_for(t.path) for t in tracks}
    assert len(tracks) == len(demo_catalog.rows)
    return tracks, rows, catalog


def _picks(judge: RulesJudge, anchor: Track, pool: list[Track], context: str) -> list[str]:
    verdicts = judge.pointwise(anchor, pool, get_context(context), Constraints())
    return [v.track_id for v in verdicts[:TOP_K] if v.score > 0]


def _retrieved(catalog: Any, anchor: Track, context: str, by_id: dict[str, Track]) -> list[Track]:
    """Roughly what the recommender retrieves: audio neighbours, plain and context-filtered."""
    from linernotes.tools.catalog.filters import constraints_to_where

    vec = catalog.audio_vector(anchor.id)
    where = constraints_to_where(Constraints(), get_context(context), Levels.of_track(anchor))
    plain = catalog.query_audio(vec, 60, exclude={anchor.id})
    fitting = catalog.query_audio(vec, 60, where=where, exclude={anchor.id}) if where else []
    pairs = zip_longest(fitting, plain)
    ids = list(dict.fromkeys(h.track_id for pair in pairs for h in pair if h is not None))
    return [by_id[i] for i in ids[:60]]


@pytest.mark.parametrize("source", ["whole catalog", "retrieved"])
def test_more_like_anchor_but_for_studying_or_a_run(labelled: Any, source: str) -> None:
    tracks, rows, catalog = labelled
    judge = RulesJudge()
    by_id = {t.id: t for t in tracks}
    study, run = [], []
    for anchor in tracks:
        study_pool = run_pool = tracks
        if source == "retrieved":
            study_pool = _retrieved(catalog, anchor, "studying", by_id)
            run_pool = _retrieved(catalog, anchor, "running", by_id)
        study += _picks(judge, anchor, study_pool, "studying")
        run += _picks(judge, anchor, run_pool, "running")
    study_ok = sum(rows[i]["study_ok"] == "1" for i in study) / len(study)
    high = [i for i in study if rows[i]["energy"] == "high"]
    workout_ok = sum(rows[i]["workout_ok"] == "1" for i in run) / len(run)
    print(f"{source}: study_ok {study_ok:.3f} ({len(study)} picks), high {len(high)}, "
          f"workout_ok {workout_ok:.3f} ({len(run)} picks)")  # fmt: skip
    assert study_ok >= 0.8
    assert not high
    assert workout_ok >= 0.8


def _clear_pairs(rows: dict[str, dict[str, str]], n: int, seed: int) -> list[tuple[str, str, str]]:
    """(context, better id, worse id) pairs whose answer the labels settle."""
    rng = random.Random(seed)
    ids = sorted(rows)
    good_study = [i for i in ids if rows[i]["study_ok"] == "1"]
    high = [i for i in ids if rows[i]["energy"] == "high"]
    good_run = [i for i in ids if rows[i]["workout_ok"] == "1" and rows[i]["energy"] == "high"]
    calm = [i for i in ids if rows[i]["energy"] == "low"]
    out = []
    for k in range(n):
        if k % 2 == 0:
            out.append(("studying", rng.choice(good_study), rng.choice(high)))
        else:
            out.append(("running", rng.choice(good_run), rng.choice(calm)))
    return out


def test_pairwise_picks_the_label_correct_track_in_both_orders(labelled: Any) -> None:
    tracks, rows, _ = labelled
    by_id = {t.id: t for t in tracks}
    judge = RulesJudge()
    rng = random.Random(1)
    pairs = _clear_pairs(rows, 240, seed=0)
    correct = 0
    for context, good, bad in pairs:
        anchor = by_id[rng.choice(sorted(rows))]
        if anchor.id in (good, bad):
            anchor = None
        a_first = rng.random() < 0.5
        a, b = (by_id[good], by_id[bad]) if a_first else (by_id[bad], by_id[good])
        pv = judge.pairwise(anchor, a, b, get_context(context))
        correct += pv.winner == ("A" if a_first else "B")
    accuracy = correct / len(pairs)
    print(f"pairwise accuracy {accuracy:.3f} on {len(pairs)}")
    assert accuracy >= 0.85
