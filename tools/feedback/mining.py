"""Hard-negative mining: the judge's verdicts (and users' thumbs) become training triplets.

The loop (ARCHITECTURE.md, "The flow": Feedback): for sampled anchors, take the top-k
neighbours in the *current* embedding space, let the judge score them, and keep
triplets (anchor, positive, hard negative) where the negative is close in embedding
space yet judged clearly worse than the positive. Those are exactly the mistakes the
fast path makes, so a triplet loss on them moves retrieval toward the judge. A few
random non-neighbours are judged too (``explore``): they are how a relevant track that
the embedding puts far away gets found and pulled in, which top-k alone never shows.

The judge scores context-free similarity by default. One embedding space serves every
request, and the listening context is already applied downstream (metadata filters and
the judge's context gate), so the space should encode "sounds alike" the way the judge
means it. Mining for one context ("studying") teaches the space that calm tracks are
close to everything, which helps that context and hurts the others; ``--context`` is
there to mine it deliberately. The judge never sees the embedding's similarity here
(no ``audio_similarity``), so its verdicts are a fixed target the adapter cannot move.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from linernotes.tools.catalog.records import Triplet
from linernotes.tools.schemas import Record, Track, Verdict

if TYPE_CHECKING:
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.judge.base import Judge
    from linernotes.tools.reason.contexts import ContextProfile

Neighbours = Callable[[str, int], list[str]]
"""``(anchor_id, k) -> ids of the k nearest tracks``, nearest first, anchor excluded."""
JUDGE_SOURCE = "judge"
FEEDBACK_SOURCE = "feedback"
ROUNDS_KEY = "mining_rounds"
"""Records meta key counting mining rounds (a round that finds nothing still counts)."""


@dataclass(frozen=True)
class MiningConfig:
    """How anchors are sampled, what is judged, and what counts as a triplet.

    Attributes:
        anchors: anchors sampled per round.
        k: embedding neighbours judged per anchor (where hard negatives come from).
        explore: random non-neighbours judged per anchor (where far positives come from).
        seed: sampling seed.
        pos_min: lowest judge score of a positive.
        gap: lowest score gap between a positive and its negative, so ties and
            near-ties (where the judge is not sure either) never become labels.
        max_pos: positives kept per anchor (the judge's best).
        max_per_anchor: triplets kept per anchor (closest negatives first), so
            anchors with many neighbours do not dominate the loss.
    """

    anchors: int = 100
    k: int = 20
    explore: int = 10
    seed: int = 0
    pos_min: float = 0.55
    gap: float = 0.2
    max_pos: int = 6
    max_per_anchor: int = 40


class MiningReport(Record):
    """What one ``linernotes mine`` round did."""

    round: int = Field(description="Round number (1 = the first mine).")
    space: str = Field(description="Embedding space the neighbours came from.")
    context: str = Field("", description="Context judged for ('' = similarity only).")
    backend: str = Field("", description="Judge backend.")
    anchors: int = 0
    judged: int = Field(0, description="Verdicts written (anchor, candidate pairs).")
    positives: int = Field(0, description="Distinct (anchor, positive) pairs.")
    hard_negatives: int = Field(0, description="Distinct (anchor, hard negative) pairs.")
    triplets: int = Field(0, description="Judge triplets mined this round.")
    feedback_triplets: int = Field(0, description="Triplets from thumbs up/down.")
    feedback_unusable: int = Field(0, description="Thumbs without an anchor (no triplet).")
    new: int = Field(0, description="Triplets not stored before.")
    total: int = Field(0, description="Triplets stored after this round.")
    seconds: float = 0.0


def sample_anchors(ids: Sequence[str], n: int, seed: int, exclude: Iterable[str] = ()) -> list[str]:
    """``n`` distinct anchor ids drawn without replacement (all of them if fewer)."""
    skip = set(exclude)
    pool = sorted(i for i in ids if i not in skip)
    rng = np.random.default_rng(seed)
    return [pool[i] for i in rng.permutation(len(pool))[: max(0, n)]]


def catalog_neighbours(catalog: Catalog) -> Neighbours:
    """Neighbours in the catalog's active space (the fast path as users get it)."""

    def nearest(anchor_id: str, k: int) -> list[str]:
        vec = catalog.audio_vector(anchor_id)
        hits = catalog.query_audio(vec, k, exclude=[anchor_id], space=catalog.audio_space)
        return [c.track_id for c in hits]

    return nearest


def vector_neighbours(ids: Sequence[str], vecs: np.ndarray) -> Neighbours:
    """Neighbours by cosine over in-memory vectors (experiments over many spaces)."""
    index = {t: i for i, t in enumerate(ids)}
    unit = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def nearest(anchor_id: str, k: int) -> list[str]:
        sims = unit @ unit[index[anchor_id]]
        sims[index[anchor_id]] = -np.inf
        order = np.argsort(-sims, kind="stable")[:k]
        return [ids[i] for i in order]

    return nearest


def select_triplets(
    anchor_id: str,
    scores: Mapping[str, float],
    neighbours: Sequence[str],
    config: MiningConfig,
) -> list[tuple[str, str, float]]:
    """(positive, negative, gap) for one anchor from its judged candidates.

    Positives are the judge's best candidates above ``pos_min`` (neighbours or explored);
    negatives are embedding neighbours scored at least ``gap`` below the positive,
    closest first: close in embedding space, judged irrelevant.
    """
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    positives = [t for t, s in ranked if s >= config.pos_min and t != anchor_id][: config.max_pos]
    out: list[tuple[str, str, float]] = []
    for neg in neighbours:  # nearest first: the hardest negatives are kept when capping
        if neg not in scores or neg == anchor_id:
            continue
        for pos in positives:
            gap = scores[pos] - scores[neg]
            if pos != neg and gap >= config.gap:
                out.append((pos, neg, round(gap, 4)))
    return out[: config.max_per_anchor]


def plan_anchor(
    tracks: Mapping[str, Track],
    anchor_id: str,
    neighbours: Neighbours,
    config: MiningConfig,
    rng: np.random.Generator,
) -> tuple[list[str], list[str]]:
    """``(nearest, explored)`` candidate ids of one anchor (``rng`` is consumed in order)."""
    near = neighbours(anchor_id, config.k)
    others = sorted(set(tracks) - set(near) - {anchor_id})
    explored = [others[i] for i in rng.permutation(len(others))[: config.explore]]
    return near, explored


def judge_anchors(
    judge: Judge,
    jobs: Iterable[tuple[Track, list[Track]]],
    context: ContextProfile | None,
) -> Iterator[list[Verdict]]:
    """The judging stage: the verdicts of each ``(anchor, candidates)``, in order.

    Both engines call this: ``mine`` over every anchor here, the Ray engine
    (``tools.ingest.ray_batch``) over one batch of anchors per actor.
    """
    for anchor, candidates in jobs:
        yield judge.pointwise(anchor, candidates, context)


def mine_anchor(
    judge: Judge,
    tracks: Mapping[str, Track],
    anchor_id: str,
    neighbours: Neighbours,
    config: MiningConfig,
    context: ContextProfile | None,
    rng: np.random.Generator,
) -> tuple[list[Verdict], list[tuple[str, str, float]]]:
    """Judge one anchor's neighbours (+ explored tracks); return verdicts and triplets."""
    near, explored = plan_anchor(tracks, anchor_id, neighbours, config, rng)
    job = (tracks[anchor_id], [tracks[i] for i in [*near, *explored]])
    (verdicts,) = judge_anchors(judge, [job], context)
    scores = {v.track_id: v.score for v in verdicts}
    return verdicts, select_triplets(anchor_id, scores, near, config)


def feedback_triplets(
    feedback: Sequence[Mapping[str, Any]],
    verdicts: Sequence[Verdict],
    *,
    round_: int,
    space: str,
    config: MiningConfig,
) -> tuple[list[Triplet], int]:
    """Triplets from users' thumbs: liked beats disliked for the same anchor and context.

    A thumb alone still teaches something: a liked track beats what the judge rejected
    for that anchor, and what the judge approved beats a disliked track. Thumbs given
    without an anchor (context-only requests) cannot form a triplet; they are counted.
    Returns ``(triplets, unusable thumbs)``.
    """
    ups: dict[tuple[str, str], set[str]] = defaultdict(set)
    downs: dict[tuple[str, str], set[str]] = defaultdict(set)
    unusable = 0
    for row in feedback:
        if not row.get("anchor_id"):
            unusable += 1
            continue
        key = (str(row["anchor_id"]), str(row.get("context") or ""))
        (ups if int(row["thumb"]) > 0 else downs)[key].add(str(row["track_id"]))
    judged: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for v in verdicts:
        if v.anchor_id:
            judged[(v.anchor_id, v.context or "")][v.track_id] = v.score
    out: list[Triplet] = []
    for key in sorted(set(ups) | set(downs)):
        anchor, context = key
        liked, disliked = ups[key] - downs[key], downs[key] - ups[key]
        scores = judged.get(key, {})
        approved = {t for t, s in scores.items() if s >= config.pos_min} - disliked
        rejected = {t for t, s in scores.items() if s <= config.pos_min - config.gap} - liked
        pairs = {(p, n, 1.0) for p in liked for n in disliked}
        pairs |= {(p, n, 0.5) for p in liked for n in rejected}
        pairs |= {(p, n, 0.5) for p in approved for n in disliked}
        for p, n, gap in sorted(pairs):
            if anchor not in (p, n):
                out.append(_triplet(anchor, p, n, context, round_, space, gap))
    return out, unusable


def _triplet(
    anchor: str,
    pos: str,
    neg: str,
    context: str,
    round_: int,
    space: str,
    gap: float,
    backend: str = FEEDBACK_SOURCE,
) -> Triplet:
    """One stored triplet; ``backend`` is the judge's (it says who labelled it)."""
    source = FEEDBACK_SOURCE if backend == FEEDBACK_SOURCE else JUDGE_SOURCE
    return Triplet(
        anchor_id=anchor, positive_id=pos, negative_id=neg, context=context, source=source,
        round=round_, space=space, gap=gap, backend=backend,
    )  # fmt: skip


def mine(
    catalog: Catalog,
    judge: Judge,
    config: MiningConfig | None = None,
    context: ContextProfile | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    judge_many: Callable[[list[tuple[Track, list[Track]]]], Iterable[list[Verdict]]] | None = None,
) -> MiningReport:
    """One mining round on a catalog: judge neighbours, store verdicts and triplets.

    Args:
        catalog: the catalog, opened in its active space (neighbours come from there).
        judge: any judge backend (``tools.judge.base.make_judge``).
        config: sampling and selection rules; ``MiningConfig()`` when omitted.
        context: listening context to judge for; None judges similarity only.
        progress: called with ``(done, total)`` after each anchor.
        judge_many: runs ``judge_anchors`` over the ``(anchor, candidates)`` jobs and
            yields each anchor's verdicts in order (the Ray engine); default: here.

    Returns:
        Counts of what was judged and mined, stored in ``catalog.records``.
    """
    config = config or MiningConfig()
    start = time.perf_counter()
    records = catalog.records
    round_ = max(int(records.get_meta(ROUNDS_KEY) or 0), records.mining_rounds()) + 1
    records.set_meta(ROUNDS_KEY, round_)
    tracks = {t.id: t for t in catalog.tracks()}
    anchors = sample_anchors(list(tracks), config.anchors, config.seed + 1000 * round_)
    rng = np.random.default_rng(config.seed)
    nearest = catalog_neighbours(catalog)
    ctx = context.name if context else ""
    space = catalog.audio_space
    report = MiningReport(round=round_, space=space, context=ctx, anchors=len(anchors))
    triplets: list[Triplet] = []
    positives: set[tuple[str, str]] = set()
    negatives: set[tuple[str, str]] = set()
    plans = [(a, *plan_anchor(tracks, a, nearest, config, rng)) for a in anchors]
    jobs = [(tracks[a], [tracks[i] for i in [*near, *far]]) for a, near, far in plans]
    judged = (judge_many or (lambda js: judge_anchors(judge, js, context)))(jobs)
    for i, ((anchor, near, _), verdicts) in enumerate(zip(plans, judged, strict=True)):
        scores = {v.track_id: v.score for v in verdicts}
        chosen = select_triplets(anchor, scores, near, config)
        catalog.add_verdicts(verdicts, mode="pointwise")
        report.judged += len(verdicts)
        backend = verdicts[0].backend if verdicts else judge.name
        report.backend = report.backend or backend
        for pos, neg, gap in chosen:
            positives.add((anchor, pos))
            negatives.add((anchor, neg))
            triplets.append(_triplet(anchor, pos, neg, ctx, round_, space, gap, backend))
        if progress is not None:
            progress(i + 1, len(anchors))
    fb, report.feedback_unusable = feedback_triplets(
        records.feedback(), catalog.verdicts(), round_=round_, space=space, config=config
    )
    report.triplets, report.feedback_triplets = len(triplets), len(fb)
    report.positives, report.hard_negatives = len(positives), len(negatives)
    report.new = records.add_triplets(triplets + fb)
    report.total = len(records.triplets())
    report.seconds = round(time.perf_counter() - start, 3)
    return report
