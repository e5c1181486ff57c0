"""The catalog folder's write lock, so concurrent ingests on one machine count exactly."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the catalog folder's write lock: ingests on this machine write one at a time.

    Two ingests of the same files would otherwise both see a track absent and both
    report it added; the lock makes "absent, so written by me" exact.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, counts may then overstate concurrent adds
        yield
        return
    with open(Path(folder) / ".write.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
