"""The worker side of ingest: decode, validate and measure files in separate processes.

Decoding and signal analysis are the CPU-heavy part of ingest and the part most exposed
to hostile input (a decoder that crashes or runs out of memory on a broken file), so they
run in worker processes started with ``spawn`` (safe beside the threads that Chroma and
torch start in the main process, and the same on Linux, macOS and Windows). This module
imports only what a worker needs, so a worker starts quickly; everything it returns is
small and picklable (measurements, a descriptor, tags), never decoded samples.

A worker that dies (segfault, OOM kill) breaks its whole pool and every file in flight
with it. ``Analyser.run`` then retries each of those files once, alone in a fresh
one-worker process, so the one file that really crashes is named and skipped while the
innocent ones that were merely in flight beside it are kept.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linernotes.tools.errors import LinernotesError

if TYPE_CHECKING:
    from linernotes.tools.analysis.measure import Analysis
    from linernotes.tools.schemas import Tags

CRASH_REASON = (
    "the worker process crashed while decoding this file (twice; the second time alone), "
    "so the decoder cannot read it safely"
)


@dataclass(frozen=True)
class Analysed:
    """A file that decoded and measured cleanly, with the header facts a Track needs."""

    path: str
    analysis: Analysis
    format: str
    sample_rate: int
    channels: int
    tags: Tags


@dataclass(frozen=True)
class Failed:
    """A file that cannot be ingested, with the reason shown to the user and remembered."""

    path: str
    reason: str


Outcome = Analysed | Failed
AnalyseFn = Callable[[str, "float | None"], Outcome]


def analyse_path(path: str, max_duration_s: float | None = None) -> Outcome:
    """Decode, validate and measure one file and read its tags (runs in a worker).

    Expected problems with the file (``LinernotesError``: undecodable, empty, silent,
    too short or too long, NaN samples) come back as ``Failed`` so one bad file never
    stops the others; anything else is a bug and raises.
    """
    from linernotes.tools.analysis.measure import analyse_file
    from linernotes.tools.audio import probe, read_tags

    try:
        analysis, clip = analyse_file(path, max_duration_s=max_duration_s)
        info = clip.source if clip.source is not None else probe(path)
        tags = read_tags(path)
    except LinernotesError as e:
        return Failed(path, str(e))
    return Analysed(path, analysis, info.format, info.sample_rate, info.channels, tags)


def _init_worker() -> None:
    """Worker initializer: leave Ctrl-C to the main process; die with it, even by ``kill -9``.

    Ctrl-C reaches every process of the terminal's group; the main process handles it and
    shuts the pool down, so workers ignore it rather than each printing a traceback. A pool
    worker holds both ends of its task pipe, so it never sees the parent go and would
    otherwise wait forever as an orphan after the main process is killed.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def warm_up() -> None:
    """Import what ``analyse_path`` needs, so a worker is ready before the first file."""
    import mutagen  # noqa: F401

    import linernotes.tools.analysis.measure  # noqa: F401


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
    )


class Analyser:
    """Worker processes that analyse files; started early so they boot in the background.

    Starting a worker costs about a second (a fresh interpreter importing numpy and
    scipy). Building the ``Analyser`` first thing lets that overlap with the main
    process's own set-up (loading the embedders, opening the catalog, hashing).

    Args:
        workers: Worker processes.
        max_duration_s: Longest audio accepted, passed to ``fn``.
        in_process: Analyse in this process, one file after the other (no isolation;
            the serial baseline for benchmarks and a debugging aid).
        fn: The per-file function; a picklable top-level function (tests swap in one that
            crashes on purpose).
    """

    def __init__(
        self,
        workers: int,
        max_duration_s: float | None = None,
        *,
        in_process: bool = False,
        fn: AnalyseFn = analyse_path,
    ) -> None:
        self.workers = max(1, workers)
        self.max_duration_s = max_duration_s
        self.in_process = in_process
        self.fn = fn
        self._pool: ProcessPoolExecutor | None = None
        if not in_process:
            self._pool = _spawn_pool(self.workers)
            for _ in range(self.workers):
                self._pool.submit(warm_up)

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (those still starting exit once they are up)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def run(self, paths: Iterable[str], window: int | None = None) -> Iterator[Outcome]:
        """Analyse ``paths`` and yield one outcome per path as each completes.

        Results come in completion order, not input order. At most ``window`` files are
        in flight at once (default ``4 * workers``), so a caller that spends time on each
        result (embedding, captioning, writing the catalog) keeps the workers busy without
        piling up results in memory.
        """
        if self._pool is None:
            for path in paths:
                yield self.fn(path, self.max_duration_s)
            return
        todo = iter(paths)
        window = window or 4 * self.workers
        running: dict[Future[Outcome], str] = {}
        while True:
            for path in todo:
                running[self._pool.submit(self.fn, path, self.max_duration_s)] = path
                if len(running) >= window:
                    break
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            crashed: list[str] = []
            for future in done:
                path = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    crashed.append(path)
                    continue
                except Exception as e:
                    e.add_note(f"while analysing {path}")
                    raise
                yield outcome
            if crashed:
                # A broken pool fails every future it holds; keep those that finished first.
                wait(running)
                for future, path in running.items():
                    if future.exception() is None:
                        yield future.result()
                    else:
                        crashed.append(path)
                running.clear()
                self._pool.shutdown(wait=True, cancel_futures=True)
                yield from self._retry_alone(crashed)
                self._pool = _spawn_pool(self.workers)

    def _retry_alone(self, paths: list[str]) -> Iterator[Outcome]:
        """Analyse each path once more in a one-worker process; a second crash names it."""
        pool = _spawn_pool(1)
        try:
            for path in paths:
                try:
                    yield pool.submit(self.fn, path, self.max_duration_s).result()
                except BrokenProcessPool:
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = _spawn_pool(1)
                    yield Failed(path, CRASH_REASON)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def analyse_all(
    paths: Iterable[str],
    *,
    workers: int,
    max_duration_s: float | None = None,
    in_process: bool = False,
    window: int | None = None,
    fn: AnalyseFn = analyse_path,
) -> Iterator[Outcome]:
    """Analyse files with a fresh ``Analyser`` (see there); yield each outcome once."""
    with Analyser(workers, max_duration_s, in_process=in_process, fn=fn) as analyser:
        yield from analyser.run(paths, window)
