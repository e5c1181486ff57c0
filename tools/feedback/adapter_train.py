"""``linernotes train-adapter``: stored triplets -> a new adapter version, indexed, active.

Steps: read every stored triplet (judge-mined and from thumbs), hold out the triplets
of some anchors (early stopping and the card's metrics), train on frozen base vectors,
measure before/after on the held-out anchors (triplet accuracy, and the judge's view
of each space's top-10 over a judged pool), save ``<catalog>/adapters/vN/``, index the
catalog in the new space and make it active. The previous space stays indexed and is
one ``linernotes adapter rollback`` away.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from linernotes.tools.errors import ConfigError
from linernotes.tools.feedback.adapter import (
    TrainConfig,
    TrainResult,
    split_by_anchor,
    train_adapter,
)
from linernotes.tools.feedback.adapter_store import (
    AdapterCard,
    adapter_space,
    base_vectors,
    next_version,
    save_adapter,
    split_space,
    use_space,
)

if TYPE_CHECKING:
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.judge.base import Judge
    from linernotes.tools.reason.contexts import ContextProfile
    from linernotes.tools.schemas import Track
    from linernotes.tools.settings import Settings


def triplet_rows(
    catalog: Catalog, tracks: list[Track], context: str | None = ""
) -> tuple[np.ndarray, dict[str, Any]]:
    """Stored triplets of one context as index rows into ``tracks``.

    Triplets mined for different contexts disagree (a calm track is a positive for
    studying and a negative for running), so one adapter learns one context's notion;
    ``""`` (the default) is context-free similarity, None takes every triplet. Triplets
    naming tracks no longer in the catalog are dropped.
    """
    index = {t.id: i for i, t in enumerate(tracks)}
    stored = [t for t in catalog.records.triplets() if context is None or t.context == context]
    rows = [
        (index[t.anchor_id], index[t.positive_id], index[t.negative_id])
        for t in stored
        if t.anchor_id in index and t.positive_id in index and t.negative_id in index
    ]
    facts = {
        "rounds": max((t.round for t in stored), default=0),
        "contexts": sorted({t.context for t in stored}),
        "sources": dict(Counter(t.source for t in stored)),
        "dropped": len(stored) - len(rows),
    }
    return np.unique(np.array(rows, dtype=np.int64).reshape(-1, 3), axis=0), facts


def held_out_metrics(
    judge: Judge | None,
    tracks: list[Track],
    base: np.ndarray,
    result: TrainResult,
    val: np.ndarray,
    pool_k: int = 50,
    profile: ContextProfile | None = None,
) -> dict[str, float]:
    """Before/after numbers on the held-out anchors, for the card (judged for ``profile``)."""
    metrics = {
        "val_triplet_acc_before": result.val_acc_before,
        "val_triplet_acc_after": result.val_acc_after,
    }
    anchors = np.unique(val[:, 0]) if len(val) else np.zeros(0, dtype=np.int64)
    if judge is None or len(anchors) == 0:
        return metrics
    from linernotes.tools.feedback.mining_eval import pool_scores, ranking_metrics

    adapted = result.weights.apply(base)
    rows = pool_scores(judge, tracks, [base, adapted], anchors, pool_k, profile)
    for name, vecs in (("before", base), ("after", adapted)):
        for metric, value in ranking_metrics(vecs, rows, anchors).items():
            metrics[f"val_{metric}_{name}"] = value
    return metrics


def train_catalog_adapter(
    catalog: Catalog,
    settings: Settings,
    config: TrainConfig | None = None,
    *,
    judge: Judge | None = None,
    activate: bool = True,
    context: str | None = "",
    profile: ContextProfile | None = None,
) -> tuple[AdapterCard, Catalog]:
    """Train a new adapter version on the catalog's triplets; index it; make it active.

    Args:
        catalog: the catalog in its active space.
        settings: for re-analysing tracks that have no base vector yet.
        config: hyper-parameters (``TrainConfig()`` when omitted).
        judge: used to measure the held-out anchors' top-10 (None skips that).
        activate: index and switch to the new space (False only saves it).
        context: train on triplets mined for this context name ("" context-free,
            None all of them).
        profile: the context the held-out metrics are judged for (None: similarity).

    Returns:
        The saved card and the catalog seen through the new active space.

    Raises:
        ConfigError: no usable triplets are stored.
    """
    config = config or TrainConfig()
    tracks = catalog.tracks()
    rows, facts = triplet_rows(catalog, tracks, context)
    if len(rows) == 0:
        which = "any" if context is None else repr(context or "context-free")
        raise ConfigError(
            f"catalog {catalog.folder} has no stored triplets for {which} context: run "
            "`linernotes mine` first (with the same --context)"
        )
    base = base_vectors(catalog, tracks, settings)
    tr, va = split_by_anchor(rows[:, 0], config.val_fraction, config.seed)
    result = train_adapter(base, rows[tr], config, val_triplets=rows[va])
    metrics = held_out_metrics(judge, tracks, base, result, rows[va], profile=profile)
    base_space, _ = split_space(catalog.audio_space)
    version = next_version(catalog.folder)
    card = AdapterCard(
        version=version,
        space=adapter_space(base_space, version),
        base_space=base_space,
        kind=config.kind,
        dim=int(base.shape[1]),
        seed=config.seed,
        margin=config.margin,
        triplets=result.n_train,
        val_triplets=result.n_val,
        anchors=len(np.unique(rows[tr][:, 0])),
        rounds=facts["rounds"],
        contexts=facts["contexts"],
        sources=facts["sources"],
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        seconds=result.seconds,
        metrics={k: round(float(v), 4) for k, v in metrics.items() if np.isfinite(v)},
        config=asdict(config),
    )
    save_adapter(catalog.folder, result.weights, card)
    if not activate:
        return card, catalog
    return card, use_space(catalog, card.space, settings)


def config_from(**overrides: Any) -> TrainConfig:
    """A ``TrainConfig`` with the given non-None overrides (CLI options)."""
    return replace(TrainConfig(), **{k: v for k, v in overrides.items() if v is not None})
