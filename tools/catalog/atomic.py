"""Create a SQLite file whole or not at all, so no other process sees it half-made.

A new catalog's records file is made by whichever process opens the catalog first; two
ingests started together both do. Between SQLite creating the file and the tables being
written, the other process would find a file without tables, which is exactly what a
truncated or replaced (damaged) file looks like, and refuse the catalog. So the file is
built under a private name and hard-linked into place in one step; the process that
loses the race keeps the winner's file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


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
