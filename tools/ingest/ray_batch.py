"""``recaption --engine ray`` and ``mine --engine ray``: their slow stage on a Ray actor pool.

Re-captioning (``listen.recaption.hear_again``: seconds of GPU per track with an audio LLM)
and judging (``feedback.mining.judge_anchors``: one LLM call per anchor with an LLM judge)
are the parts of those jobs that scale with the catalog. Everything around them stays as
it is on one machine: the driver selects the tracks or plans the anchors (neighbour
queries and the sampling RNG, in order, so the plan is the same), and writes the results
(new captions and their vectors, verdicts and triplets) into the catalog. The actors call
the very same stage functions the local path calls, on one batch each; results come back
in input order (``preserve_order``), so a round mined on Ray stores what the local one
would.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from linernotes.tools.ingest.ray_engine import ACTOR_CPUS, GPU_LISTENERS
from linernotes.tools.settings import Settings


class PickledActor:
    """A Ray Data actor whose rows carry one pickled item each (``payload``).

    Subclasses build their backend in ``__init__`` and map a list of items to a list of
    results of the same length in ``apply``.
    """

    def apply(self, items: list[Any]) -> list[Any]:
        """The stage on one batch."""
        raise NotImplementedError

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Unpickle, ``apply``, pickle back."""
        out = self.apply([pickle.loads(p) for p in batch["payload"]])
        return {"payload": [pickle.dumps(o) for o in out]}


class RecaptionActor(PickledActor):
    """``hear_again`` with the recaption listener (cached like the local command's)."""

    def __init__(self, settings: Settings, catalog_folder: str) -> None:
        from pathlib import Path

        from linernotes.tools.listen.cache import CachedListener, CaptionCache
        from linernotes.tools.listen.factory import make_listener

        cache = CaptionCache.for_catalog(Path(catalog_folder))
        self.listener = CachedListener(make_listener(settings), cache)

    def apply(self, items: list[Any]) -> list[Any]:
        """Hear the tracks again."""
        from linernotes.tools.listen.recaption import hear_again

        return hear_again(self.listener, items)


class JudgeActor(PickledActor):
    """``judge_anchors`` with the configured judge."""

    def __init__(self, settings: Settings, context: Any) -> None:
        from linernotes.tools.judge.base import make_judge

        self.judge = make_judge(settings)
        self.context = context

    def apply(self, items: list[Any]) -> list[Any]:
        """Judge each anchor's candidates."""
        from linernotes.tools.feedback.mining import judge_anchors

        return list(judge_anchors(self.judge, items, self.context))


def map_on_ray(
    ray: Any,
    items: Sequence[Any],
    actor: type[PickledActor],
    kwargs: dict[str, Any],
    *,
    batch_size: int,
    gpu: bool = False,
) -> Iterator[list[Any]]:
    """Run ``actor`` over ``items`` on an actor pool; yield result batches in input order.

    One actor per GPU when ``gpu`` and the cluster has GPUs, else one per spare CPU.
    """
    from ray.data import ActorPoolStrategy

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    gpus = int(ray.cluster_resources().get("GPU", 0)) if gpu else 0
    cpus = int(ray.cluster_resources().get("CPU", 1))
    rows = [{"payload": pickle.dumps(item)} for item in items]
    blocks = max(1, min(len(rows), 4 * max(gpus, cpus)))
    ds = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
        actor,
        fn_constructor_kwargs=kwargs,
        batch_size=batch_size,
        compute=ActorPoolStrategy(size=gpus or max(1, cpus - 1)),
        num_cpus=ACTOR_CPUS if gpus else 1,
        num_gpus=1 if gpus else 0,
    )
    for batch in ds.iter_batches(batch_size=batch_size, batch_format="numpy"):
        yield [pickle.loads(p) for p in batch["payload"]]


def recaption_hear(
    ray: Any, settings: Settings, catalog_folder: str
) -> Callable[[list[Any]], Iterator[list[Any]]]:
    """The ``hear`` argument of ``listen.recaption.recaption`` on Ray."""

    def hear(tracks: list[Any]) -> Iterator[list[Any]]:
        if not tracks:
            return iter([])
        kwargs = {"settings": settings, "catalog_folder": catalog_folder}
        gpu = settings.listener in GPU_LISTENERS
        return map_on_ray(
            ray, tracks, RecaptionActor, kwargs, batch_size=settings.batch_size, gpu=gpu
        )

    return hear


def mine_judge_many(
    ray: Any, settings: Settings, context: Any
) -> Callable[[list[Any]], Iterator[list[Any]]]:
    """The ``judge_many`` argument of ``feedback.mining.mine`` on Ray (one anchor a row)."""

    def judge_many(jobs: list[Any]) -> Iterator[list[Any]]:
        if not jobs:
            return
        kwargs = {"settings": settings, "context": context}
        for batch in map_on_ray(ray, jobs, JudgeActor, kwargs, batch_size=4):
            yield from batch

    return judge_many
