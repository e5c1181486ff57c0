"""Keep ingest going when the listener's server is down: the offline captioner takes over.

A model server that stops answering half-way through a long ingest must not lose the
run. The first ``BackendUnavailable`` switches the rest of the run to the offline ``mir``
captioner; every track captioned that way says so in its provenance
(``listener = "mir (fallback: openai unavailable)"`` plus a note with the reason), so
``linernotes recaption --stale`` can hear them properly once the server is back.
Captions from the real listener are cached by content hash (``CaptionCache``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from linernotes.tools.errors import BackendUnavailable, LinernotesError
from linernotes.tools.listen.base import Listener, ListenResult
from linernotes.tools.listen.cache import CaptionCache
from linernotes.tools.listen.mir import MirListener
from linernotes.tools.schemas import Measurements, Tags

log = logging.getLogger(__name__)

Item = tuple[str, Path, Measurements, Tags]
"""(content id, path, measurements, tags) of one track to caption."""


class FallbackListener:
    """Caption batches with ``primary``; after it becomes unavailable, with ``mir``."""

    def __init__(self, primary: Listener, cache: CaptionCache | None = None) -> None:
        self.primary = primary
        self.cache = cache
        self.offline = MirListener()
        self.failure: str | None = None
        self.prompt_version: str | None = getattr(primary, "prompt_version", None)

    @property
    def fallback_label(self) -> str:
        """The listener name written on tracks the offline captioner took over."""
        return f"mir (fallback: {self.primary.name} unavailable)"

    def listen_batch(self, items: Sequence[Item]) -> list[ListenResult | LinernotesError]:
        """One result per item, in order; per-file errors are returned in place."""
        results: list[ListenResult | LinernotesError | None] = [None] * len(items)
        todo = list(range(len(items)))
        if self.failure is None:
            if self.cache is not None:
                for i in list(todo):
                    hit = self.cache.get(items[i][0], self.primary.model, self.prompt_version)
                    if hit is not None:
                        results[i] = hit
                        todo.remove(i)
            try:
                heard = self._primary([items[i][1:] for i in todo])
            except BackendUnavailable as e:
                self.failure = str(e)
                log.warning("listener unavailable, captioning from measurements instead: %s", e)
            else:
                for i, result in zip(todo, heard, strict=True):
                    results[i] = result
                    if self.cache is not None and isinstance(result, ListenResult):
                        self.cache.put(items[i][0], result, self.primary.model, self.prompt_version)
                todo = []
        for i in todo:
            results[i] = self._offline(items[i])
        return [r for r in results if r is not None]

    def _primary(
        self, triples: Sequence[tuple[Path, Measurements, Tags]]
    ) -> list[ListenResult | LinernotesError]:
        if not triples:
            return []
        many = getattr(self.primary, "listen_many", None)
        if many is not None:
            out: list[ListenResult | LinernotesError] = many(list(triples))
        else:
            out = []
            for path, m, tags in triples:
                try:
                    out.append(self.primary.listen(path, m, tags))
                except BackendUnavailable:
                    raise
                except LinernotesError as e:
                    out.append(e)
        down = next((r for r in out if isinstance(r, BackendUnavailable)), None)
        if down is not None:
            raise down
        return out

    def _offline(self, item: Item) -> ListenResult:
        _, path, measurements, tags = item
        result = self.offline.listen(path, measurements, tags)
        if self.failure is None:  # the primary is the offline captioner itself
            return result
        note = f"{self.primary.name} listener unavailable: {self.failure}"
        return replace(result, listener=self.fallback_label, notes=[*result.notes, note])


def make_ingest_listener(settings: object, catalog_folder: Path) -> FallbackListener:
    """The listener ingest uses: the configured one, cached, with the offline fallback."""
    from linernotes.tools.listen.factory import make_listener

    primary = make_listener(settings)  # type: ignore[arg-type]
    cache = None if primary.name == "mir" else CaptionCache.for_catalog(catalog_folder)
    return FallbackListener(primary, cache)
