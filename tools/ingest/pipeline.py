"""Folders of audio -> catalog: found, hashed, measured, embedded, captioned, upserted.

The flow (ARCHITECTURE.md, "The flow": Ingest): find audio files -> content-hash ids -> drop the ids
the catalog already holds -> decode, validate and measure in worker processes
(``tools.ingest.worker``) -> in this process, batch by batch: embed the audio, caption
(listen), embed the captions, build ``Track`` records, upsert.

Why it is shaped this way:

* Ids are content hashes, and each batch is upserted as soon as it is complete, so a
  re-run adds nothing twice and a run killed at any point (even ``kill -9``) is finished
  by simply running it again: the batches that landed are recognised and skipped.
* A bad file never stops the others. Expected problems (``InvalidAudioError`` and the
  other ``LinernotesError``s about one file) become a ``Skip`` in the report and a row in
  the catalog's skip ledger; a later run that finds the file fixed ingests it and clears
  the row. Problems that concern every file (a listener server that is down, a catalog
  built with another embedding space) stop the run with a clear error instead of
  skipping the whole library one file at a time.
* Embedders, listener and catalog live only in the main process: they hold models and the
  Chroma client, which are expensive to load and must not be forked.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field
from tqdm import tqdm

from linernotes.tools.catalog.atomic import WRITE_LOCK, folder_lock
from linernotes.tools.errors import CatalogError, LinernotesError
from linernotes.tools.ingest.discover import scan_paths
from linernotes.tools.ingest.identity import IdCache
from linernotes.tools.ingest.reconcile import Plan, prune, reconcile
from linernotes.tools.ingest.stages import (
    PER_FILE_ERRORS,
    Heard,
    embed_stage,
    ingest_audio_embedder,
    listen_stage,
    title_for,
    track_record,
)
from linernotes.tools.ingest.worker import Analysed, Analyser, Failed
from linernotes.tools.schemas import Record, Track

if TYPE_CHECKING:
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.listen.base import ListenResult
    from linernotes.tools.settings import Settings

__all__ = [
    "PER_FILE_ERRORS",
    "IngestReport",
    "Skip",
    "find_audio_files",
    "ingest",
    "title_for",
    "track_record",
]


class Skip(Record):
    """A file that was not ingested, and why."""

    path: str = Field(description="Absolute path of the file.")
    reason: str = Field(description="What is wrong with it, in words.")


class IngestReport(Record):
    """What one ingest run did."""

    files: int = Field(0, description="Audio files found under the given paths.")
    added: int = Field(0, description="Tracks added to the catalog by this run.")
    already_present: int = Field(
        0,
        description="Files whose content the catalog already held (or a duplicate of "
        "another file in this run).",
    )
    replaced: int = Field(
        0, description="Changed files whose new record replaced the old one (same path)."
    )
    relocated: int = Field(0, description="Moved files whose record now has the new path.")
    retagged: int = Field(0, description="Known files whose new tags were written to the record.")
    pruned: list[str] = Field(
        default_factory=list, description="Ids removed because their files are gone (--prune)."
    )
    skipped: list[Skip] = Field(
        default_factory=list, description="Files and folders that could not be read, and why."
    )
    seconds: float = Field(0.0, description="Wall-clock time of the run.")
    catalog: str = Field("", description="Catalog folder written to.")
    listener_fallback: str | None = Field(
        None,
        description="Why the configured listener was replaced by the offline captioner "
        "part-way (its server went down); None when it never was.",
    )

    @property
    def tracks_per_min(self) -> float:
        """Throughput of this run over the tracks it added."""
        return round(60.0 * self.added / self.seconds, 1) if self.seconds > 0 else 0.0


def find_audio_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every audio-looking file under ``paths`` (see ``tools.ingest.discover.scan_paths``)."""
    return scan_paths(list(paths)).files


def _hash_all(
    files: Sequence[Path], threads: int, show: bool, cache: IdCache
) -> Iterator[tuple[Path, str | None, str | None]]:
    """Audio ids of ``files`` in input order, as ``(path, id, None)`` or ``(path, None, why)``.

    Decoding and hashing release the GIL, so a few threads overlap them; unchanged files
    come from the id cache without decoding (``tools.ingest.identity``).
    """

    def one(p: Path) -> tuple[Path, str | None, str | None]:
        try:
            return p, cache.id_of(p), None
        except OSError as e:
            return p, None, f"cannot read {p}: {e.strerror or e}"

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        yield from tqdm(
            pool.map(one, files),
            total=len(files),
            desc="hashing",
            unit="file",
            file=sys.stderr,
            disable=not show or len(files) < 200,
            leave=False,
        )


class _Run:
    """One ingest run: the backends, the catalog, the report and the progress bar.

    Shared by both engines: the Ray engine's driver uses it for the catalog, the skip
    ledger and ``commit``, and never builds the listener (its actors do).
    """

    def __init__(self, settings: Settings, report: IngestReport) -> None:
        from linernotes.tools.catalog.catalog import open_catalog
        from linernotes.tools.embed.factory import make_text_embedder

        self.settings = settings
        self.report = report
        self.catalog: Catalog = open_catalog(settings)
        if getattr(self.catalog.records, "read_only", False):
            raise CatalogError(
                f"catalog {self.catalog.folder} is read-only: cannot ingest into it (make "
                "the folder writable, or ingest into another catalog with --catalog)"
            )
        # The same embedder search uses: in the catalog's active space (adapter, if any).
        self.audio_embedder = ingest_audio_embedder(settings, self.catalog.audio_space)
        self.text_embedder = make_text_embedder(settings)
        self._listener: Any = None
        self.plan = Plan()
        self.previously_skipped = {s["path"] for s in self.catalog.skipped()}
        self.ids: dict[str, str] = {}  # path analysed -> its content id
        self.bar: Any = None

    @property
    def listener(self) -> Any:
        """The ingest listener (built on first use; the Ray engine's driver never does)."""
        if self._listener is None:
            from linernotes.tools.listen.fallback import make_ingest_listener

            self._listener = make_ingest_listener(self.settings, self.catalog.folder)
        return self._listener

    def warm_text(self) -> None:
        """Load the caption embedder's model in the background (errors resurface later)."""
        with contextlib.suppress(LinernotesError):
            self.text_embedder.embed(["warm-up"])

    def skip(self, paths: Iterable[str], reason: str) -> None:
        """Report and remember a refused file (and its same-content twins)."""
        for path in paths:
            self.report.skipped.append(Skip(path=path, reason=reason))
            self.catalog.record_skip(path, reason)
            self.previously_skipped.add(path)
            self.advance(1)

    def forget_skips(self, paths: Iterable[str]) -> None:
        """Clear the skip rows of files that are now in the catalog."""
        for path in paths:
            if path in self.previously_skipped:
                self.catalog.clear_skip(path)
                self.previously_skipped.discard(path)

    def write_batch(self, batch: list[Analysed], twins: dict[str, list[str]]) -> None:
        """Embed, caption and upsert one batch of analysed files (the local engine)."""
        embedded = embed_stage(self.audio_embedder, [(self.ids[i.path], i) for i in batch])
        self.commit(listen_stage(self.listener, embedded), twins)
        self.report.listener_fallback = self.listener.failure

    def commit(self, outcomes: Sequence[Heard | Failed], twins: dict[str, list[str]]) -> None:
        """Skip the failed, embed the captions of the rest and upsert them as one batch."""
        tracks: list[Track] = []
        audio_vecs: list[np.ndarray] = []
        for outcome in outcomes:
            if isinstance(outcome, Failed):
                self.skip(twins[outcome.path], outcome.reason)
                continue
            tracks.append(self._track(outcome.item, outcome.heard))
            audio_vecs.append(outcome.vector)
        if not tracks:
            return
        # Another ingest of the same files may have written some of them meanwhile: those
        # count as already present, not as added (the report says what this run did).
        text_vecs = self.text_embedder.embed([t.caption for t in tracks])
        # check and write as one step across processes: two ingests of the same files would
        # otherwise both see a track absent and both report it added
        with folder_lock(self.catalog.folder, WRITE_LOCK):
            before = self.catalog.existing_ids([t.id for t in tracks])
            self.catalog.upsert(tracks, np.stack(audio_vecs), np.asarray(text_vecs, np.float32))
            old = [self.plan.replaces[t.id] for t in tracks if t.id in self.plan.replaces]
            self.report.replaced += len(self.catalog.delete(old)) if old else 0
        for t in tracks:
            self.forget_skips(twins[t.path])
        new = [t for t in tracks if t.id not in before]
        self.report.added += len(new)
        self.report.already_present += sum(len(twins[t.path]) for t in tracks) - len(new)
        self.advance(sum(len(twins[t.path]) for t in tracks))

    def advance(self, n: int) -> None:
        """Move the progress bar by ``n`` files done (written to the catalog or skipped)."""
        if self.bar is not None:
            self.bar.set_postfix(
                added=self.report.added, skipped=len(self.report.skipped), refresh=False
            )
            self.bar.update(n)

    def _track(self, item: Analysed, heard: ListenResult) -> Track:
        """The catalog record of one analysed, captioned file."""
        return track_record(
            self.ids[item.path],
            item,
            heard,
            embedder_space=self.audio_embedder.space,
            text_space=self.text_embedder.space,
        )


def ingest(
    paths: list[Path],
    settings: Settings,
    *,
    progress: bool = True,
    in_process: bool = False,
    prune_missing: bool = False,
) -> IngestReport:
    """Add every new audio file under ``paths`` to the catalog ``settings.catalog`` names.

    Args:
        paths: Files and folders (searched recursively).
        settings: Backends, catalog, ``workers``, ``batch_size`` and ``max_duration_s``.
        progress: Show progress bars on stderr.
        in_process: Decode and measure in this process instead of worker processes (the
            serial baseline; no crash isolation).
        prune_missing: Remove the catalog's tracks under ``paths`` whose files are gone.

    Returns:
        What was added, what was already present, and every skipped file with its reason.

    Worker processes are started with ``spawn``, so a script that calls this needs the
    usual ``if __name__ == "__main__":`` guard around its entry point.

    Raises:
        ConfigError: a path does not exist, or a backend setting is unusable.
        SpaceMismatchError: the catalog was built with other embedding spaces.
        BackendUnavailable: the listener or an embedder cannot be reached or loaded.
    """
    start = time.perf_counter()
    scan = scan_paths(paths)
    files = scan.files
    report = IngestReport(files=len(files), catalog=str(Path(settings.catalog).expanduser()))
    report.skipped += [Skip(path=p, reason=r) for p, r in scan.problems]
    if not files and not prune_missing:
        report.seconds = round(time.perf_counter() - start, 3)
        return report
    # Workers boot (about a second each) while this process loads models and the catalog.
    with Analyser(settings.workers, settings.max_duration_s, in_process=in_process) as analyser:
        run = _ingest(files, settings, analyser, report, progress)
    if prune_missing:
        report.pruned = prune(run.catalog, paths)
    report.skipped = sorted(
        (_as_found(s, scan.links) for s in report.skipped), key=lambda s: s.path
    )
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _as_found(skip: Skip, links: dict[str, str]) -> Skip:
    """A skip named by the link in the folder, not only by its far target.

    A link "song.mp3 -> /etc/passwd" was reported as "/etc/passwd", a file the user never
    listed; the reason still names the target.
    """
    link = links.get(skip.path)
    if link is None:
        return skip
    said = "" if skip.path in skip.reason else f" (it links to {skip.path})"
    return Skip(path=link, reason=skip.reason + said)


def _ingest(
    files: list[Path],
    settings: Settings,
    analyser: Analyser,
    report: IngestReport,
    progress: bool,
) -> _Run:
    """The body of ``ingest``: hash, drop what is present, analyse, write batch by batch."""
    run = _Run(settings, report)
    _ = run.listener  # a listener that cannot be built stops the run before any work
    report.catalog = str(run.catalog.folder)
    for skip in report.skipped:  # discovery's problems go into the ledger too
        run.catalog.record_skip(skip.path, skip.reason)

    todo, twins = plan_run(run, files, settings.workers, progress)
    run.bar = progress_bar(sum(len(twins[p]) for p in todo), progress)
    # The caption model loads lazily on first use: load it now, beside the first analyses.
    warm = threading.Thread(target=run.warm_text, name="warm-text-embedder", daemon=True)
    if todo:
        warm.start()
    batch: list[Analysed] = []
    try:
        with run.bar:
            window = max(2 * settings.batch_size, 4 * settings.workers)
            for outcome in analyser.run(todo, window):
                if isinstance(outcome, Failed):
                    run.skip(twins[outcome.path], outcome.reason)
                    continue
                batch.append(outcome)
                if len(batch) >= settings.batch_size:
                    run.write_batch(batch, twins)
                    batch = []
            run.write_batch(batch, twins)
    finally:
        if warm.is_alive():
            warm.join()  # never leave a thread importing torch while the process exits
    return run


def plan_run(
    run: _Run, files: Sequence[Path], threads: int, progress: bool
) -> tuple[list[str], dict[str, list[str]]]:
    """Hash ``files``, drop what the catalog holds; return ``(todo paths, twins)``.

    ``twins`` maps each representative path to every path with its content (a file
    copied twice is analysed once). Unreadable files are skipped here, and the content
    ids are left in ``run.ids`` (both engines plan the same way). Moved, re-tagged and
    changed files are matched to their records here (``tools.ingest.reconcile``).
    """
    twins: dict[str, list[str]] = {}
    ids = run.ids
    by_id: dict[str, str] = {}
    cache = IdCache(run.catalog.folder)
    hashed = list(_hash_all(files, threads, progress, cache))
    cache.close()
    for file, track_id, error in hashed:
        name = str(file)
        if track_id is None:
            run.skip([name], str(error))
        elif track_id in by_id:
            twins[by_id[track_id]].append(name)
        else:
            by_id[track_id] = name
            twins[name] = [name]
            ids[name] = track_id
    present = run.catalog.existing_ids(by_id)
    run.plan = reconcile(run.catalog, ids, twins, present, threads, cache.fresh)
    run.report.relocated = len(run.plan.relocated)
    run.report.retagged = len(run.plan.retagged)
    todo = [p for p, i in ids.items() if i not in present]
    for name, track_id in ids.items():
        if track_id in present:
            run.report.already_present += len(twins[name])
            run.forget_skips(twins[name])
    return todo, twins


def prune_paths(paths: Sequence[str | Path], settings: Settings) -> list[str]:
    """Remove the catalog's tracks under ``paths`` whose files are gone (any engine)."""
    from linernotes.tools.catalog.catalog import open_catalog

    return prune(open_catalog(settings, create=False), paths)


def progress_bar(total: int, show: bool) -> Any:
    """The ingest progress bar on stderr (files done: written or skipped)."""
    return tqdm(
        total=total,
        desc="ingest",
        unit="track",
        file=sys.stderr,
        disable=not show,
        dynamic_ncols=True,
        smoothing=0.1,
    )
