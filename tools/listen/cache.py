"""Caption cache: one caption per (content hash, listener model, prompt version).

Captioning with an audio LLM costs seconds per track, so it is done once per track and
model and prompt, then reused: re-ingesting a moved file, rebuilding a catalog with
another embedder, or re-running ingest after a crash never pays for the same caption
twice. A new model or a reworded prompt changes the key, so stale captions are never
served for it. Stored in SQLite next to the catalog (``captions.sqlite``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path

from linernotes.tools.listen.base import Listener, ListenResult
from linernotes.tools.schemas import Measurements, Tags, TrackSummary

FILE_NAME = "captions.sqlite"


def cache_key(track_id: str, model: str | None, prompt_version: str | None) -> tuple[str, str, str]:
    """The key: the audio's content hash, who captioned it and with which prompt."""
    return (track_id, model or "", prompt_version or "")


class CaptionCache:
    """A small thread-safe SQLite table of ListenResults."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS captions (track_id TEXT, model TEXT, "
                "prompt_version TEXT, result TEXT, PRIMARY KEY (track_id, model, prompt_version))"
            )

    @classmethod
    def for_catalog(cls, folder: Path) -> CaptionCache:
        """The cache that lives in a catalog folder."""
        return cls(Path(folder) / FILE_NAME)

    def get(self, track_id: str, model: str | None, prompt_version: str | None):
        """The cached result for this key, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM captions WHERE track_id=? AND model=? AND prompt_version=?",
                cache_key(track_id, model, prompt_version),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data["summary"] = TrackSummary.model_validate(data["summary"])
        return ListenResult(**data)

    def put(
        self,
        track_id: str,
        result: ListenResult,
        model: str | None = None,
        prompt_version: str | None = None,
    ) -> None:
        """Store ``result`` under the given key parts (default: the result's own)."""
        data = asdict(result)
        data["summary"] = result.summary.model_dump()
        key = cache_key(track_id, model or result.model, prompt_version or result.prompt_version)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO captions VALUES (?, ?, ?, ?)", (*key, json.dumps(data))
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM captions").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()


class CachedListener:
    """A listener wrapped with the cache: same protocol, captions reused by content hash.

    ``prompt_version`` is read from the wrapped listener (every linernotes listener has
    one); a listener without it is cached under an empty version.
    """

    def __init__(self, listener: Listener, cache: CaptionCache):
        self.inner = listener
        self.cache = cache
        self.name = listener.name
        self.model = listener.model
        self.prompt_version: str | None = getattr(listener, "prompt_version", None)
        self.hits = 0

    def listen_id(
        self, track_id: str, path: Path, measurements: Measurements, tags: Tags
    ) -> ListenResult:
        """Caption by known content hash (ingest has it already: no second read)."""
        cached = self.cache.get(track_id, self.model, self.prompt_version)
        if cached is not None:
            self.hits += 1
            return cached
        result = self.inner.listen(path, measurements, tags)
        self.cache.put(track_id, result, self.model, self.prompt_version)
        return result

    def listen(self, path: Path, measurements: Measurements, tags: Tags) -> ListenResult:
        """The Listener protocol: hashes the file to find its cached caption."""
        from linernotes.tools.audio import content_hash

        return self.listen_id(content_hash(path), path, measurements, tags)
