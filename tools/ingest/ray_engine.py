"""``linernotes ingest --engine ray``: the local engine's stages as a Ray Data pipeline.

One machine's process pool stops at one machine; a label's catalog (hundreds of
thousands to millions of tracks, about 2 s of GPU per caption) needs a cluster. Ray Data
streams the same chain the local engine runs (``pipeline``): the driver finds and hashes
the files and drops the ids the catalog holds (``plan_run``), then

    analyse (CPU actors, ``worker.Analyser`` around ``worker.analyse_path``)
      -> embed the audio (an actor pool, one GPU per actor where the embedder wants one,
         ``stages.embed_stage``)
      -> caption (an actor pool around the ingest listener, ``stages.listen_stage``)
      -> on the driver, batch by batch: embed the captions, upsert (``_Run.commit``).

Why it is shaped this way:

* Same functions, same results: every stage is the local engine's own function, so track
  ids, measurements, captions and skip reasons are identical on either engine (a test
  compares them). Only the driver writes the catalog, one batch at a time, as the local
  engine does, so a killed run resumes the same way: landed batches are skipped.
* Rows carry pickled stage outcomes (bytes) rather than Arrow columns: the outcomes are
  the local engine's dataclasses, and keeping them opaque means no second schema to
  keep in step with them.
* Analysis runs in actors that each hold the local engine's ``worker.Analyser`` (one
  worker process): a decoder that crashes on a hostile file kills that process, not the
  Ray worker, and the Analyser retries the file alone and names it with the local
  engine's ``CRASH_REASON``, exactly as on one machine.
* Without ``--ray-address`` a small local Ray runtime is started (CPUs = ``workers`` + 1,
  a small object store) and shut down at the end, so it runs and is tested on a laptop.
"""

from __future__ import annotations

import contextlib
import logging
import math
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from linernotes.tools.errors import ConfigError
from linernotes.tools.ingest.discover import scan_paths
from linernotes.tools.ingest.pipeline import (
    IngestReport,
    Skip,
    _Run,
    plan_run,
    progress_bar,
)
from linernotes.tools.ingest.stages import (
    embed_stage,
    ingest_audio_embedder,
    listen_stage,
)
from linernotes.tools.ingest.worker import Analyser, Outcome, analyse_path
from linernotes.tools.settings import Settings

LOCAL_OBJECT_STORE = 128 * 2**20
"""Object store of a local runtime: rows are small (measurements, a vector, a caption)."""
GPU_EMBEDDERS = frozenset({"muq-mulan", "clap"})
"""Audio embedders that run on a GPU when the cluster has one."""
GPU_LISTENERS = frozenset({"hf"})
"""Listeners that load a model in-process (a GPU each when the cluster has them)."""
ACTOR_CPUS = 0.25
"""CPU share reserved by an embedding or captioning actor: they mostly wait on a model
or a server, and the CPUs are better spent on analysis tasks."""

AnalyseFn = Callable[[str, "float | None"], Outcome]


def require_ray() -> Any:
    """The ``ray`` module, or a clear error saying how to install the optional extra.

    Raises:
        ConfigError: Ray is not installed.
    """
    try:
        import ray
        import ray.data
    except ImportError as e:
        raise ConfigError(
            "--engine ray needs Ray, an optional extra: pip install 'linernotes[ray]' "
            f"(or `make ray`); import failed: {e}"
        ) from e
    return ray


@contextlib.contextmanager
def ray_runtime(address: str | None, workers: int) -> Iterator[Any]:
    """Connect to the cluster at ``address``, or start a local runtime; shut down after.

    A runtime that is already up (a test, a notebook) is used as it is and left running.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(
            num_cpus=max(1, workers) + 1,
            object_store_memory=LOCAL_OBJECT_STORE,
            include_dashboard=False,
            log_to_driver=False,
        )
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    try:
        yield ray
    finally:
        ray.shutdown()


# --- the stages as Ray Data callables (rows: id, path, payload = pickled outcome) ---------


class AnalyseActor:
    """Holds a one-process ``worker.Analyser``: crash isolation as in the local engine."""

    def __init__(self, max_duration_s: float | None, fn: AnalyseFn = analyse_path) -> None:
        self.analyser = Analyser(1, max_duration_s, fn=fn)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """``Analyser.run`` on the batch's paths, back in row order."""
        paths = [str(p) for p in batch["path"]]
        done = {o.path: o for o in self.analyser.run(paths, window=2)}
        return {**batch, "payload": [pickle.dumps(done[p]) for p in paths]}


class EmbedActor:
    """Holds the audio embedder (a model, on a GPU where it wants one) for many batches."""

    def __init__(self, settings: Settings, space: str) -> None:
        self.embedder = ingest_audio_embedder(settings, space)
        if self.embedder.space != space:
            raise ConfigError(
                f"a Ray worker's audio embedder is in space {self.embedder.space!r}, the "
                f"catalog's is {space!r}: install the same embedder (and adapter) on workers"
            )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """``stages.embed_stage`` on the batch."""
        ids, payloads = batch["id"], batch["payload"]
        items = [(str(i), pickle.loads(p)) for i, p in zip(ids, payloads, strict=True)]
        out = embed_stage(self.embedder, items)
        return {**batch, "payload": [pickle.dumps(o) for o in out]}


class ListenActor:
    """Holds the ingest listener (cached, with the offline fallback) for many batches."""

    def __init__(self, settings: Settings, catalog_folder: str) -> None:
        from linernotes.tools.listen.fallback import make_ingest_listener

        self.listener = make_ingest_listener(settings, Path(catalog_folder))

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """``stages.listen_stage`` on the batch; says if the listener fell back."""
        out = listen_stage(self.listener, [pickle.loads(p) for p in batch["payload"]])
        fallback = self.listener.failure or ""
        return {
            **batch,
            "payload": [pickle.dumps(o) for o in out],
            "fallback": [fallback] * len(out),
        }


def _gpus(ray: Any) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def build_dataset(
    ray: Any,
    rows: Sequence[tuple[str, str]],
    settings: Settings,
    *,
    space: str,
    catalog_folder: str,
    rows_per_block: int,
    analysers: int,
    analyse_fn: AnalyseFn = analyse_path,
) -> Any:
    """The lazy Ray Dataset of the pipeline over ``(track id, path)`` rows."""
    from ray.data import ActorPoolStrategy

    items = [{"id": i, "path": p} for i, p in rows]
    blocks = max(1, math.ceil(len(items) / max(1, rows_per_block)))
    ds = ray.data.from_items(items, override_num_blocks=blocks)
    ds = ds.map_batches(
        AnalyseActor,
        fn_constructor_kwargs={"max_duration_s": settings.max_duration_s, "fn": analyse_fn},
        batch_size=rows_per_block,
        compute=ActorPoolStrategy(size=max(1, analysers)),
        num_cpus=1,
    )
    gpus = _gpus(ray)

    def model_stage(ds: Any, actor: type, kwargs: dict[str, Any], on_gpu: bool) -> Any:
        """A model stage: one actor per GPU where it wants one and the cluster has them."""
        return ds.map_batches(
            actor,
            fn_constructor_kwargs=kwargs,
            batch_size=settings.batch_size,
            compute=ActorPoolStrategy(size=gpus if on_gpu else 1),
            num_cpus=ACTOR_CPUS,
            num_gpus=1 if on_gpu else 0,
        )

    embed_gpu = settings.embedder in GPU_EMBEDDERS and gpus > 0
    ds = model_stage(ds, EmbedActor, {"settings": settings, "space": space}, embed_gpu)
    listen_gpu = settings.listener in GPU_LISTENERS and gpus > 0
    kwargs = {"settings": settings, "catalog_folder": catalog_folder}
    return model_stage(ds, ListenActor, kwargs, listen_gpu)


def ingest_ray(
    paths: list[Path],
    settings: Settings,
    *,
    address: str | None = None,
    progress: bool = True,
    analyse_fn: AnalyseFn = analyse_path,
) -> IngestReport:
    """``pipeline.ingest`` on Ray: same arguments, same report, same catalog contents.

    Args:
        paths: Files and folders (searched recursively).
        settings: Backends, catalog, ``workers`` (local runtime CPUs), ``batch_size``.
        address: A running cluster (``ray start --head`` prints it); None starts a local
            runtime for this run.
        progress: Show the progress bar on stderr.
        analyse_fn: The per-file analysis (tests swap in one that crashes on purpose).

    Raises:
        ConfigError: Ray is not installed, a path does not exist, a backend setting is
            unusable, or the workers' embedder is in another space than the catalog.
        SpaceMismatchError: the catalog was built with other embedding spaces.
        BackendUnavailable: an embedder cannot be loaded.
    """
    start = time.perf_counter()
    scan = scan_paths(paths)
    files = scan.files
    report = IngestReport(files=len(files), catalog=str(Path(settings.catalog).expanduser()))
    report.skipped += [Skip(path=p, reason=r) for p, r in scan.problems]  # links, names...
    if files:
        with ray_runtime(address, settings.workers) as ray:
            _ingest(ray, files, settings, report, progress, analyse_fn)
    report.skipped.sort(key=lambda s: s.path)
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _ingest(
    ray: Any,
    files: list[Path],
    settings: Settings,
    report: IngestReport,
    progress: bool,
    analyse_fn: AnalyseFn,
) -> None:
    """The driver: plan, stream the dataset, commit batch by batch."""
    run = _Run(settings, report)
    report.catalog = str(run.catalog.folder)
    for skip in report.skipped:  # discovery's problems go into the ledger too
        run.catalog.record_skip(skip.path, skip.reason)
    todo, twins = plan_run(run, files, settings.workers, progress)
    if not todo:
        return
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the driver's own bar counts committed files
    cpus = int(ray.cluster_resources().get("CPU", 1))
    ds = build_dataset(
        ray,
        [(run.ids[p], p) for p in todo],
        settings,
        space=run.audio_embedder.space,
        catalog_folder=str(run.catalog.folder),
        rows_per_block=max(1, min(settings.batch_size, len(todo) // (4 * cpus))),
        analysers=max(1, cpus - 1),
        analyse_fn=analyse_fn,
    )
    with progress_bar(sum(len(twins[p]) for p in todo), progress) as run.bar:
        for batch in ds.iter_batches(batch_size=settings.batch_size, batch_format="numpy"):
            run.commit([pickle.loads(p) for p in batch["payload"]], twins)
            fell = [str(f) for f in batch.get("fallback", []) if f]
            report.listener_fallback = report.listener_fallback or (fell[0] if fell else None)
