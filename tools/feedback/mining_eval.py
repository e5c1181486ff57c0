"""Does the adapter bring the fast path closer to the judge? Held-out anchors, many seeds.

Everything is measured on anchors that no training triplet used, against the judge's
own scores over the whole candidate pool:

* ``judge_at_10``: mean judge score of the embedding's top-10 (what a listener gets);
* ``overlap_at_10``: share of the embedding's top-10 that is also in the judge's top-10;
* ``recall_at_10``: share of judge-approved tracks (score >= ``APPROVE``) in the top-10,
  over ``min(10, approved)`` so a perfect ranking scores 1;
* ``triplet_acc``: share of held-out triplets (mined like the training ones) whose
  positive is closer to the anchor than the negative.

``run_experiment`` repeats mine -> train for ``rounds`` rounds per seed (each seed
draws its own held-out anchors, training anchors and initialisation) and also trains a
control on the same triplets with positives and negatives shuffled: if the control
"improves" too, the gain is an artefact of the protocol, not of the judge's labels.

The judge is called once per (anchor, track) pair and cached in a score matrix; miners
read only the entries of tracks they would have had judged (top-k and explored ones),
so the experiment is exactly what ``linernotes mine`` would have seen, at a fraction of
the cost.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from linernotes.tools.feedback.adapter import (
    TrainConfig,
    l2_normalise,
    shuffle_labels,
    train_adapter,
)
from linernotes.tools.feedback.mining import (
    MiningConfig,
    sample_anchors,
    select_triplets,
    vector_neighbours,
)

if TYPE_CHECKING:
    from linernotes.tools.judge.base import Judge
    from linernotes.tools.reason.contexts import ContextProfile
    from linernotes.tools.schemas import Track

APPROVE = 0.6
"""Judge score from which a track counts as approved for the anchor (recall@10)."""
TOP = 10
METRICS: tuple[str, ...] = ("judge_at_10", "overlap_at_10", "recall_at_10", "triplet_acc")


def judge_matrix(
    judge: Judge, tracks: Sequence[Track], context: ContextProfile | None = None
) -> np.ndarray:
    """``S[i, j]``: the judge's score of track j for anchor i (NaN on the diagonal)."""
    index = {t.id: j for j, t in enumerate(tracks)}
    scores = np.full((len(tracks), len(tracks)), np.nan, dtype=np.float32)
    for i, anchor in enumerate(tracks):
        for v in judge.pointwise(anchor, list(tracks), context):
            scores[i, index[v.track_id]] = v.score
        scores[i, i] = np.nan
    return scores


def pool_scores(
    judge: Judge,
    tracks: Sequence[Track],
    spaces: Sequence[np.ndarray],
    anchors: np.ndarray,
    pool_k: int = 50,
    context: ContextProfile | None = None,
) -> np.ndarray:
    """Judge scores of each anchor's pool: the union of its top-``pool_k`` in every space.

    The affordable version of ``judge_matrix`` for a real catalog: every track either
    space would put in a top-10 is judged, so judge@10 is exact and the judge's own
    top-10 is taken over the tracks either space could retrieve. Returns rows as
    ``ranking_metrics`` wants them.
    """
    index = {t.id: j for j, t in enumerate(tracks)}
    units = [l2_normalise(v) for v in spaces]
    rows = np.full((len(anchors), len(tracks)), np.nan, dtype=np.float32)
    for r, a in enumerate(anchors):
        pool: set[int] = set()
        for unit in units:
            sims = unit @ unit[a]
            sims[a] = -np.inf
            pool |= set(np.argsort(-sims, kind="stable")[:pool_k].tolist())
        for v in judge.pointwise(tracks[a], [tracks[j] for j in sorted(pool)], context):
            rows[r, index[v.track_id]] = v.score
    return rows


def ranking_metrics(vecs: np.ndarray, rows: np.ndarray, anchors: np.ndarray) -> dict[str, float]:
    """judge@10, overlap@10 and recall@10 of the embedding's top-10 for ``anchors``.

    Args:
        vecs: ``(n, d)`` vectors of the space under test.
        rows: ``(len(anchors), n)`` judge scores of every track for each anchor; NaN
            where the track was not judged (outside the candidate pool) or is the anchor.
        anchors: row indices of the anchors in ``vecs``.
    """
    unit = l2_normalise(vecs)
    sims = unit[anchors] @ unit.T
    sims[np.arange(len(anchors)), anchors] = -np.inf
    judge_at, overlap, recall = [], [], []
    for r in range(len(anchors)):
        top = np.argsort(-sims[r], kind="stable")[:TOP]
        s = np.nan_to_num(rows[r], nan=-1.0)
        best = set(np.argsort(-s, kind="stable")[:TOP].tolist())
        judge_at.append(float(s[top].mean()))
        overlap.append(len(best & set(top.tolist())) / TOP)
        approved = set(np.flatnonzero(s >= APPROVE).tolist())
        if approved:
            recall.append(len(approved & set(top.tolist())) / min(TOP, len(approved)))
    return {
        "judge_at_10": float(np.mean(judge_at)),
        "overlap_at_10": float(np.mean(overlap)),
        "recall_at_10": float(np.mean(recall)) if recall else float("nan"),
    }


def mine_from_matrix(
    ids: Sequence[str],
    vecs: np.ndarray,
    scores: np.ndarray,
    anchors: Sequence[str],
    config: MiningConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Triplets (rows of track indices) mined with neighbours in ``vecs`` and cached scores."""
    index = {t: i for i, t in enumerate(ids)}
    nearest = vector_neighbours(ids, vecs)
    rows: list[tuple[int, int, int]] = []
    for anchor in anchors:
        a = index[anchor]
        near = nearest(anchor, config.k)
        others = sorted(set(ids) - set(near) - {anchor})
        explored = [others[i] for i in rng.permutation(len(others))[: config.explore]]
        judged = {t: float(scores[a, index[t]]) for t in [*near, *explored]}
        for pos, neg, _ in select_triplets(anchor, judged, near, config):
            rows.append((a, index[pos], index[neg]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def evaluate(
    vecs: np.ndarray, scores: np.ndarray, anchors: np.ndarray, triplets: np.ndarray
) -> dict[str, float]:
    """All four metrics of one space on held-out anchors and held-out triplets."""
    from linernotes.tools.feedback.adapter import triplet_accuracy

    out = ranking_metrics(vecs, scores[anchors], anchors)
    out["triplet_acc"] = triplet_accuracy(l2_normalise(vecs), triplets)
    return out


@dataclass
class SeedResult:
    """One seed: metrics per stage ('base', 'round1', ..., 'shuffled') and the counts."""

    seed: int
    metrics: dict[str, dict[str, float]]
    ceiling: float = float("nan")
    """Mean score of the judge's own top-10 on the held-out anchors (best judge@10)."""
    triplets: list[int] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)


@dataclass
class Experiment:
    """Every seed's results plus the protocol, ready for the report."""

    seeds: list[SeedResult]
    rounds: int
    kind: str
    n_tracks: int
    held_out: int
    context: str
    mining: dict[str, float | int]
    judge_seconds: float
    cross: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """judge@10 gain per seed, by context mined for, then context evaluated for."""

    def stages(self) -> list[str]:
        """Stage names in order: base, round1..N, shuffled."""
        return ["base", *(f"round{r}" for r in range(1, self.rounds + 1)), "shuffled"]

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{stage: {metric: {"mean", "std", "min", "max"}}}`` over seeds."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for stage in self.stages():
            out[stage] = {}
            for m in METRICS:
                vals = np.array([s.metrics[stage][m] for s in self.seeds], dtype=np.float64)
                out[stage][m] = {
                    "mean": float(np.nanmean(vals)),
                    "std": float(np.nanstd(vals)),
                    "min": float(np.nanmin(vals)),
                    "max": float(np.nanmax(vals)),
                }
        return out

    def gain(self, metric: str = "judge_at_10", stage: str | None = None) -> list[float]:
        """Per-seed change of ``metric`` from base to ``stage`` (default: the last round)."""
        stage = stage or f"round{self.rounds}"
        return [s.metrics[stage][metric] - s.metrics["base"][metric] for s in self.seeds]

    def to_json(self) -> dict[str, object]:
        """Plain data for ``--json`` and the report."""
        return {**asdict(self), "summary": self.summary()}


def held_out_rows(n: int, share: float, seed: int) -> np.ndarray:
    """Rows of the evaluation anchors for one seed (sorted; never mined for training)."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[: max(1, round(n * share))])


def cross_context_gains(
    tracks: Sequence[Track],
    base_vecs: np.ndarray,
    judge: Judge,
    contexts: dict[str, ContextProfile | None],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    held_out: float = 0.25,
    mining: MiningConfig | None = None,
    train: TrainConfig | None = None,
) -> dict[str, dict[str, list[float]]]:
    """judge@10 gain when mining for one context and judging for another (per seed).

    This is the evidence for mining context-free: an adapter mined for "studying"
    helps studying requests and hurts the others; the space serves them all.
    """
    mining = mining or MiningConfig()
    train = train or TrainConfig()
    ids = [t.id for t in tracks]
    base = l2_normalise(base_vecs)
    scores = {name: judge_matrix(judge, tracks, ctx) for name, ctx in contexts.items()}
    none = np.zeros((0, 3), dtype=np.int64)
    out: dict[str, dict[str, list[float]]] = {m: {e: [] for e in contexts} for m in contexts}
    for mined in contexts:
        for seed in seeds:
            rng = np.random.default_rng(seed)
            rows = held_out_rows(len(ids), held_out, seed)
            anchors = sample_anchors(ids, mining.anchors, seed * 1000 + 1,
                                     exclude={ids[i] for i in rows})  # fmt: skip
            triplets = mine_from_matrix(ids, base, scores[mined], anchors, mining, rng)
            if len(triplets) == 0:
                continue
            cfg = TrainConfig(**{**asdict(train), "seed": seed})
            adapted = train_adapter(base, triplets, cfg).weights.apply(base)
            for judged, s in scores.items():
                before = evaluate(base, s, rows, none)["judge_at_10"]
                after = evaluate(adapted, s, rows, none)["judge_at_10"]
                out[mined][judged].append(after - before)
    return out


def run_experiment(
    tracks: Sequence[Track],
    base_vecs: np.ndarray,
    judge: Judge,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    rounds: int = 1,
    held_out: float = 0.25,
    mining: MiningConfig | None = None,
    train: TrainConfig | None = None,
    context: ContextProfile | None = None,
    scores: np.ndarray | None = None,
) -> Experiment:
    """Mine -> train ``rounds`` times per seed and measure every stage on held-out anchors.

    Args:
        tracks: the catalog's tracks (rows of ``base_vecs``).
        base_vecs: frozen base-space vectors, one row per track.
        judge: the judge whose notion of relevance is the target.
        seeds: one run per seed (held-out split, anchor sample, initialisation).
        rounds: mine -> train rounds; round r mines neighbours in round r-1's space and
            trains a fresh adapter on every triplet mined so far.
        held_out: share of tracks kept as evaluation anchors (never mined).
        mining: mining rules (``anchors`` is the per-round sample from training tracks).
        train: adapter hyper-parameters (``seed`` is replaced by each run's seed).
        context: context to judge for (None: similarity only).
        scores: a precomputed ``judge_matrix`` (saves the judging time).
    """
    mining = mining or MiningConfig()
    train = train or TrainConfig()
    ids = [t.id for t in tracks]
    start = time.perf_counter()
    if scores is None:
        scores = judge_matrix(judge, tracks, context)
    judge_seconds = time.perf_counter() - start
    base = l2_normalise(base_vecs)
    results = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        eval_rows = held_out_rows(len(ids), held_out, seed)
        eval_ids = {ids[i] for i in eval_rows}
        # Held-out triplets: what the miner would find for the evaluation anchors.
        eval_triplets = mine_from_matrix(
            ids, base, scores, [ids[i] for i in eval_rows], mining, np.random.default_rng(seed)
        )
        res = SeedResult(seed, {"base": evaluate(base, scores, eval_rows, eval_triplets)})
        best = np.sort(np.nan_to_num(scores[eval_rows], nan=-1.0), axis=1)[:, -TOP:]
        res.ceiling = float(best.mean())
        vecs, pool = base, np.zeros((0, 3), dtype=np.int64)
        cfg = TrainConfig(**{**asdict(train), "seed": seed})
        for r in range(1, rounds + 1):
            anchors = sample_anchors(ids, mining.anchors, seed * 1000 + r, exclude=eval_ids)
            mined = mine_from_matrix(ids, vecs, scores, anchors, mining, rng)
            pool = np.unique(np.concatenate([pool, mined]), axis=0)
            result = train_adapter(base, pool, cfg)
            vecs = result.weights.apply(base)
            res.metrics[f"round{r}"] = evaluate(vecs, scores, eval_rows, eval_triplets)
            res.triplets.append(len(pool))
            res.train_seconds.append(result.seconds)
        control = train_adapter(base, shuffle_labels(pool, seed), cfg)
        res.metrics["shuffled"] = evaluate(
            control.weights.apply(base), scores, eval_rows, eval_triplets
        )
        results.append(res)
    return Experiment(
        seeds=results,
        rounds=rounds,
        kind=train.kind,
        n_tracks=len(ids),
        held_out=round(len(ids) * held_out),
        context=context.name if context else "",
        mining={k: v for k, v in asdict(mining).items() if k != "seed"},
        judge_seconds=round(judge_seconds, 3),
    )
