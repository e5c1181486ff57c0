"""A track's identity: a hash of its decoded audio, so re-tagging never makes a twin.

The first scheme hashed the whole file, tags included: re-tagging a song (or a tagger
rewriting its header) gave it a new id, and ingest added a second record for the same
path. Now the id hashes the *decoded* samples (plus rate and channel count), which tags do
not touch. Formats libsndfile cannot decode fall back to the file's bytes (they are then
refused by the analysis worker anyway, with the reason).

Decoding costs about a second per long track, so ids are cached per catalog in
``file_ids.sqlite``, keyed by (path, size, mtime): a re-run hashes only changed files.
The cache is only a shortcut: losing it (or a read-only catalog that cannot write it)
costs time, never correctness.

Catalogs built with the old scheme keep working: ``legacy_id`` is the old id, and ingest
recognises a file whose old id is in the catalog as that track (see ``reconcile``), so an
old catalog is never silently duplicated when re-ingested.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import soundfile as sf

from linernotes.tools.audio import content_hash

ID_SCHEME = "audio-v1"
"""Name of the id scheme (decoded-audio SHA-256), stored in catalogs built with it."""
_BLOCK = 1 << 16


def audio_id(path: str | Path) -> str:
    """SHA-256 (16 hex chars) of the decoded samples, rate and channels of ``path``.

    The file is opened as a file object, so names that are not valid UTF-8 work too.

    Raises:
        OSError: the file cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        try:
            with sf.SoundFile(fh) as f:
                h.update(f"{ID_SCHEME}:{f.samplerate}:{f.channels}:".encode())
                for block in f.blocks(blocksize=_BLOCK, dtype="int32"):
                    h.update(block.tobytes())
                return h.hexdigest()[:16]
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
            pass  # not decodable here: identify it by its bytes
    return content_hash(path)


def legacy_id(path: str | Path) -> str:
    """The id the first scheme gave ``path`` (SHA-256 of the whole file, tags included)."""
    return content_hash(path)


class IdCache:
    """(path, size, mtime_ns) -> audio id, in ``file_ids.sqlite`` of a catalog folder."""

    def __init__(self, folder: Path) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.fresh: set[str] = set()  # paths hashed this run (new, or changed on disk)
        with contextlib.suppress(sqlite3.Error, OSError):
            db = sqlite3.connect(str(folder / "file_ids.sqlite"), check_same_thread=False)
            db.execute(
                "CREATE TABLE IF NOT EXISTS ids (path TEXT PRIMARY KEY, size INTEGER, "
                "mtime INTEGER, id TEXT NOT NULL)"
            )
            db.commit()
            self._db = db

    @staticmethod
    def _key(path: Path) -> tuple[str, int, int]:
        st = os.stat(path)
        return str(path), st.st_size, st.st_mtime_ns

    def id_of(self, path: Path) -> str:
        """The audio id of ``path``, from the cache when its size and mtime are unchanged."""
        name, size, mtime = self._key(path)
        if self._db is not None:
            with self._lock:
                row = self._db.execute(
                    "SELECT id FROM ids WHERE path=? AND size=? AND mtime=?", (name, size, mtime)
                ).fetchone()
            if row:
                return str(row[0])
        track_id = audio_id(path)
        self.fresh.add(name)
        if self._db is not None:
            with self._lock, contextlib.suppress(sqlite3.Error):
                self._db.execute(
                    "INSERT OR REPLACE INTO ids VALUES (?, ?, ?, ?)", (name, size, mtime, track_id)
                )
                self._db.commit()
        return track_id

    def close(self) -> None:
        """Close the cache file."""
        if self._db is not None:
            with self._lock:
                self._db.close()
