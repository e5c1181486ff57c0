"""Hard-negative mining: triplet rules, thumbs, storage, the CLI, and the held-out gain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.catalog.records import Records, Triplet
from linernotes.tools.feedback.mining import (
    MiningConfig,
    catalog_neighbours,
    feedback_triplets,
    mine,
    sample_anchors,
    select_triplets,
)
from linernotes.tools.feedback.mining_eval import judge_matrix, ranking_metrics, run_experiment
from linernotes.tools.feedback.mining_report import write_report
from linernotes.tools.judge.base import RulesJudge
from linernotes.tools.schemas import Verdict
from linernotes.tools.settings import Settings
from linernotes.ui.cli import main


def copy_catalog(settings: Settings, dest: Path) -> Settings:
    """A private copy of the shared demo catalog (mining writes to its records)."""
    shutil.copytree(settings.catalog, dest)
    return settings.model_copy(update={"catalog": dest})


@pytest.fixture(scope="module")
def demo_data(demo_catalog):
    """Tracks and base vectors of the demo, with the rules judge's full score matrix."""
    catalog = open_catalog(demo_catalog.settings, create=False)
    tracks = catalog.tracks()
    vecs = catalog.audio_vectors([t.id for t in tracks])
    judge = RulesJudge()
    return tracks, vecs, judge, judge_matrix(judge, tracks)


# -- rules -----------------------------------------------------------------------------
def test_select_triplets_pairs_close_negatives_with_clearly_better_positives() -> None:
    scores = {"p1": 0.9, "p2": 0.7, "far": 0.8, "n1": 0.3, "n2": 0.6, "n3": 0.1}
    near = ["n1", "p2", "n2", "n3", "p1"]  # embedding order, nearest first
    config = MiningConfig(pos_min=0.65, gap=0.25, max_pos=3, max_per_anchor=10)
    got = select_triplets("a", scores, near, config)
    # positives: the judge's best >= 0.65 (p1, far, p2); negatives only among neighbours.
    assert ("p1", "n1", 0.6) in got and ("far", "n1", 0.5) in got and ("p2", "n3", 0.6) in got
    assert all(n in near for _, n, _ in got)
    assert all(gap >= 0.25 for _, _, gap in got)
    assert not any(n == "n2" and p == "p2" for p, n, _ in got)  # gap 0.1: not a label
    assert got[0][1] == "n1"  # the closest negative comes first (kept when capping)
    assert (
        len(
            select_triplets(
                "a", scores, near, MiningConfig(pos_min=0.65, gap=0.25, max_per_anchor=2)
            )
        )
        == 2
    )


def test_sample_anchors_is_seeded_and_excludes() -> None:
    ids = [f"t{i}" for i in range(20)]
    a = sample_anchors(ids, 5, seed=3, exclude={"t0", "t1"})
    assert a == sample_anchors(ids, 5, seed=3, exclude={"t0", "t1"})
    assert len(set(a)) == 5 and not {"t0", "t1"} & set(a)
    assert len(sample_anchors(ids, 50, seed=0)) == 20


def test_feedback_thumbs_become_triplets() -> None:
    rows = [
        {"anchor_id": "a", "track_id": "up", "context": None, "thumb": 1},
        {"anchor_id": "a", "track_id": "down", "context": None, "thumb": -1},
        {"anchor_id": None, "track_id": "x", "context": "studying", "thumb": 1},
    ]
    judged = [
        Verdict(track_id="good", anchor_id="a", score=0.8, confidence=0.5, explanation="",
                backend="rules"),
        Verdict(track_id="bad", anchor_id="a", score=0.1, confidence=0.5, explanation="",
                backend="rules"),
    ]  # fmt: skip
    out, unusable = feedback_triplets(rows, judged, round_=1, space="s", config=MiningConfig())
    pairs = {(t.positive_id, t.negative_id) for t in out}
    assert ("up", "down") in pairs and ("up", "bad") in pairs and ("good", "down") in pairs
    assert all(t.source == "feedback" and t.anchor_id == "a" for t in out)
    assert unusable == 1


def test_triplets_table_dedups_and_counts_rounds(tmp_path: Path) -> None:
    records = Records(tmp_path / "records.sqlite")
    t = Triplet(anchor_id="a", positive_id="p", negative_id="n", source="judge", round=2,
                space="s", gap=0.4, backend="rules")  # fmt: skip
    assert records.add_triplets([t, t]) == 1
    assert records.add_triplets([t]) == 0
    assert records.mining_rounds() == 2
    assert records.triplets(source="judge")[0] == t
    assert records.triplets(source="feedback") == []
    assert records.count("verdicts") == 0  # existing methods unchanged
    records.close()


# -- on the demo catalog ---------------------------------------------------------------
def test_mine_stores_verdicts_and_hard_negatives(demo_catalog, tmp_path: Path) -> None:
    settings = copy_catalog(demo_catalog.settings, tmp_path / "catalog")
    catalog = open_catalog(settings, create=False)
    tracks = catalog.tracks()
    catalog.records.add_feedback(tracks[1].id, 1, anchor_id=tracks[0].id)
    catalog.records.add_feedback(tracks[2].id, -1, anchor_id=tracks[0].id)
    config = MiningConfig(anchors=12, k=15, explore=5)
    report = mine(catalog, RulesJudge(), config)
    assert report.round == 1 and report.anchors == 12
    assert report.judged == len(catalog.verdicts(mode="pointwise")) == 12 * 20
    assert report.triplets > 0 and report.feedback_triplets >= 1
    assert report.total == len(catalog.records.triplets()) == report.new
    assert {t.backend for t in catalog.records.triplets(source="judge")} == {"rules"}
    nearest = catalog_neighbours(catalog)
    scores = {(v.anchor_id, v.track_id): v.score for v in catalog.verdicts()}
    for t in catalog.records.triplets(source="judge"):
        assert t.negative_id in nearest(t.anchor_id, config.k)  # close in embedding space
        gap = scores[(t.anchor_id, t.positive_id)] - scores[(t.anchor_id, t.negative_id)]
        assert gap >= config.gap - 1e-6  # ... and judged clearly worse
    again = mine(catalog, RulesJudge(), config)
    assert again.round == 2


def test_one_round_raises_held_out_judge_agreement_and_shuffled_does_not(
    demo_data, tmp_path: Path
) -> None:
    tracks, vecs, judge, scores = demo_data
    exp = run_experiment(tracks, vecs, judge, seeds=(0, 1, 2), rounds=1, scores=scores)
    gains = np.array(exp.gain("judge_at_10"))
    overlap = np.array(exp.gain("overlap_at_10"))
    control = np.array(exp.gain("judge_at_10", stage="shuffled"))
    assert (gains > 0).all(), gains  # every seed improves
    assert gains.mean() > 2 * gains.std() and gains.mean() > 0.005, gains
    assert overlap.mean() > 0.03, overlap
    assert control.mean() <= 0.0, control  # noise labels teach nothing useful
    path = write_report(exp, tmp_path / "report", {"catalog": "demo"})
    text = path.read_text()
    assert "±" in text and "shuffled" in text and "report.png" in text
    assert (tmp_path / "report" / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "report" / "report.json").read_text())["experiment"]["seeds"]


def test_ranking_metrics_on_a_known_example() -> None:
    # 12 tracks on a line; the anchor is track 0 and the judge likes tracks 1-10 (score 1).
    vecs = np.stack([np.cos(np.linspace(0, 1.2, 12)), np.sin(np.linspace(0, 1.2, 12))], 1)
    rows = np.full((1, 12), 0.0)
    rows[0, 1:11] = 1.0
    rows[0, 0] = np.nan
    perfect = ranking_metrics(vecs, rows, np.array([0]))
    assert perfect == {"judge_at_10": 1.0, "overlap_at_10": 1.0, "recall_at_10": 1.0}
    rows[0, 1] = 0.0  # the nearest track is now a miss, track 11 is the 10th approved
    rows[0, 11] = 1.0
    got = ranking_metrics(vecs, rows, np.array([0]))
    assert got["judge_at_10"] == pytest.approx(0.9) and got["recall_at_10"] == pytest.approx(0.9)


def test_mine_cli_json(demo_catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = copy_catalog(demo_catalog.settings, tmp_path / "catalog")
    code = main(["mine", "--catalog", str(settings.catalog), "--anchors", "5", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["anchors"] == 5 and out["round"] == 1 and out["space"] == "acoustic-v3"
    assert len(open_catalog(settings, create=False).records.triplets()) == out["total"]
