"""SQLite files several processes share: created whole, read where nothing may be written.

Creation: a SQLite file is made whole or not at all, so no other process sees it half-made.

A new catalog's records file is made by whichever process opens the catalog first; two
ingests started together both do. Between SQLite creating the file and the tables being
written, the other process would find a file without tables, which is exactly what a
truncated or replaced (damaged) file looks like, and refuse the catalog. So the file is
built under a private name and hard-linked into place in one step; the process that
loses the race keeps the winner's file.

Reading a read-only folder (``read_only_connection``): the records and the metadata
index in one catalog file open the same way.

Taking turns (``folder_lock``): an advisory lock file in the catalog folder, for steps
that must not interleave across processes: ingests checking and writing a batch, and
Chroma creating (migrating) its own database, which two processes opening a new catalog
at once would otherwise both do ("database is locked").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

WRITE_LOCK = ".write.lock"
"""Ingests check what is present and write a batch as one step under it."""
OPEN_LOCK = ".open.lock"
"""Chroma's client is built (its database created or migrated) under it."""


@contextlib.contextmanager
def folder_lock(folder: Path, name: str) -> Iterator[None]:
    """Hold the lock file ``name`` of a catalog folder (processes on this machine wait).

    Not POSIX: no lock; what it guards may then race, as it did before.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(Path(folder) / name, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def create_sqlite(path: Path, schema: str) -> None:
    """Make ``path`` as a WAL database holding ``schema``, unless it appears meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.new")
    db = sqlite3.connect(str(tmp))
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
        db.commit()
    finally:
        db.close()  # the last connection folds the WAL back: one file to link
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it first: use that one
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that reads ``path`` in a read-only folder and can write nothing.

    A read-only folder is a backup or another user's library. mode=ro reads a WAL
    database whose -wal/-shm files exist; with none (a cleanly closed catalog) and no way
    to create them, the file is complete: immutable.

    Raises:
        sqlite3.OperationalError: neither way reads it.
    """
    for mode in ("mode=ro", "immutable=1"):
        db = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, check_same_thread=False)
        try:
            db.execute("SELECT name FROM sqlite_master").fetchall()
            return db
        except sqlite3.OperationalError:
            db.close()
    raise sqlite3.OperationalError(f"cannot read {path} in a read-only folder")
