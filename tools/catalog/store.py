"""The Chroma side of the catalog: which client, how collections are made, fast writes.

One user with a catalog folder gets an embedded ``chromadb.PersistentClient`` in
``CATALOG/chroma``; many users share a Chroma server (``linernotes serve-store``, which
runs ``chroma run``) through ``chromadb.HttpClient``. ``make_client`` picks from
``settings.store``/``settings.store_url`` so the catalog never cares which.

Bulk writes: nearly all of an upsert's time is spent inside Chroma's Rust core building
its HNSW graph, so what makes it fast (``bench/search.py`` measures it) is batches near
the client's ``max_batch_size`` (one graph update per batch instead of one per 16
records), no embedding function (vectors are always given), and a graph built with
``ef_construction=64`` instead of Chroma's 100 (faster inserts at nearly the same recall).
Chroma answers every search (``tools.catalog.planner``); ``ef_search`` 200 keeps the deep
over-fetches of a filtered query accurate.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from linernotes.tools.catalog.atomic import OPEN_LOCK, folder_lock
from linernotes.tools.errors import BackendUnavailable, ConfigError
from linernotes.tools.settings import Settings

EMBEDDED_DIR = "chroma"
# HNSW settings for the catalog's vector collections (see the module docstring for why).
BULK_HNSW: dict[str, Any] = {
    "space": "cosine",
    "ef_construction": 64,
    "max_neighbors": 16,
    "ef_search": 200,
}
DEFAULT_BULK_BATCH = 5000


def _chroma_settings() -> Any:
    import chromadb

    return chromadb.Settings(anonymized_telemetry=False)


def parse_store_url(url: str) -> tuple[str, int, bool]:
    """Split ``http(s)://host:port`` into (host, port, ssl); the port defaults by scheme."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"store_url must look like http://HOST:PORT, got {url!r}")
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else 80)
    except ValueError as e:
        raise ConfigError(f"store_url has a bad port: {url!r}") from e
    return parts.hostname, port, ssl


def make_client(settings: Settings) -> Any:
    """Return the chromadb client the settings ask for (embedded folder or a server).

    Raises:
        BackendUnavailable: ``store = "http"`` and no Chroma server answers at
            ``store_url``; the message says how to start one.
    """
    import chromadb

    if settings.store == "embedded":
        return _embedded_client(Path(settings.catalog).expanduser() / EMBEDDED_DIR)
    host, port, ssl = parse_store_url(settings.store_url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
    except (ValueError, OSError) as e:
        raise BackendUnavailable(
            f"cannot reach the Chroma server at {settings.store_url}: {e}. Start one with "
            f"`linernotes serve-store --port {port}` or set LINERNOTES_STORE=embedded"
        ) from e


def _read_only_copy(folder: Path) -> Path:
    """A private copy of a read-only embedded store, deleted when this process exits.

    Chroma always opens its database for writing, so a read-only folder is read through
    a copy.
    """
    copy = Path(tempfile.mkdtemp(prefix="linernotes-readonly-")) / EMBEDDED_DIR
    shutil.copytree(folder, copy)
    atexit.register(shutil.rmtree, copy.parent, True)
    return copy


def _embedded_client(folder: Path) -> Any:
    """The embedded Chroma of a catalog folder; read-only folders and damage said plainly.

    Raises:
        CatalogError: ``chroma.sqlite3`` is damaged (named, with what to do).
    """
    import chromadb

    from linernotes.tools.catalog.records import writable

    private = folder.is_dir() and not writable(folder)
    if private:
        folder = _read_only_copy(folder)
    else:
        folder.mkdir(parents=True, exist_ok=True)
    try:
        if private:
            return chromadb.PersistentClient(path=str(folder), settings=_chroma_settings())
        with folder_lock(folder.parent, OPEN_LOCK):  # one process creates/migrates at a time
            return chromadb.PersistentClient(path=str(folder), settings=_chroma_settings())
    except Exception as e:  # chromadb raises its own InternalError from the Rust core
        text = str(e).lower()
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            from linernotes.tools.catalog.records import damaged

            raise damaged(folder / "chroma.sqlite3", e, folder.parent) from e
        raise


def vector_collection(client: Any, name: str, *, metadata: Mapping[str, Any] | None = None) -> Any:
    """Get or create a collection of given vectors (cosine, no embedding function).

    New collections get ``BULK_HNSW``; an existing one keeps the settings it was built
    with (Chroma fixes them at creation).
    """
    return client.get_or_create_collection(
        name,
        configuration={"hnsw": dict(BULK_HNSW)},
        metadata=dict(metadata) if metadata else None,
        embedding_function=None,
    )


def bulk_upsert(
    collection: Any,
    ids: Sequence[str],
    vecs: np.ndarray,
    metadatas: Sequence[Mapping[str, Any]] | None = None,
    documents: Sequence[str] | None = None,
    *,
    batch_size: int | None = None,
) -> int:
    """Upsert many records in the fewest, largest batches the client accepts.

    Args:
        collection: A chromadb collection (embedded or HTTP).
        ids: Record ids, unique.
        vecs: ``(len(ids), dim)`` vectors; sent as one float32 array per batch.
        metadatas: Optional metadata per record.
        documents: Optional document text per record.
        batch_size: Records per call; defaults to the smaller of 5,000 and the client's
            ``get_max_batch_size()``.

    Returns:
        The number of records written.
    """
    n = len(ids)
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    if vecs.ndim != 2 or len(vecs) != n:
        raise ValueError(f"expected {n} vectors as a 2-D array, got shape={vecs.shape}")
    for name, seq in (("metadatas", metadatas), ("documents", documents)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"got {n} ids but {len(seq)} {name}")
    if len(set(ids)) != n:
        raise ValueError("ids passed to bulk_upsert must be unique")
    if n == 0:
        return 0
    if batch_size is None:
        limit = DEFAULT_BULK_BATCH
        client_limit = getattr(getattr(collection, "_client", None), "get_max_batch_size", None)
        if client_limit is not None:
            limit = min(limit, int(client_limit()))
        batch_size = limit
    ids = list(ids)
    for start in range(0, n, batch_size):
        stop = start + batch_size
        collection.upsert(
            ids=ids[start:stop],
            embeddings=vecs[start:stop],
            metadatas=None if metadatas is None else list(metadatas[start:stop]),
            documents=None if documents is None else list(documents[start:stop]),
        )
    return n


# --- a local Chroma server (serve-store and the tests) ----------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def chroma_command(path: Path, host: str, port: int) -> list[str]:
    """The ``chroma run`` command line, using the CLI installed beside this Python."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        found = shutil.which("chroma")
        if found is None:
            script = "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()"
            return [sys.executable, "-c", script, "run", "--path", str(path),
                    "--host", host, "--port", str(port)]  # fmt: skip
        exe = Path(found)
    return [str(exe), "run", "--path", str(path), "--host", host, "--port", str(port)]


@dataclass
class ChromaServer:
    """A running ``chroma run`` process and where it listens."""

    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def url(self) -> str:
        """The server's base URL, the value ``store_url`` takes."""
        return f"http://{self.host}:{self.port}"


def heartbeat(url: str, timeout_s: float = 1.0) -> bool:
    """True when a Chroma server answers its heartbeat at ``url``."""
    import httpx

    try:
        return httpx.get(f"{url}/api/v2/heartbeat", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def start_chroma_server(
    path: Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    log: Path | None = None,
    timeout_s: float = 60.0,
) -> ChromaServer:
    """Start ``chroma run`` on ``path`` and return once its heartbeat answers.

    Raises:
        BackendUnavailable: the server exited or did not answer within ``timeout_s``
            (the message carries the end of its log).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    log = log or path / "chroma-server.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            chroma_command(path, host, port), stdout=out, stderr=subprocess.STDOUT, env=env
        )
    server = ChromaServer(proc, host, port)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if heartbeat(server.url):
            return server
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop_chroma_server(server)
    tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
    raise BackendUnavailable(f"chroma server on {server.url} did not start:\n{tail}")


def stop_chroma_server(server: ChromaServer, timeout_s: float = 10.0) -> None:
    """Stop the server (SIGTERM, then SIGKILL after ``timeout_s``)."""
    proc = server.process
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


@contextmanager
def local_chroma_server(
    path: Path, port: int | None = None, *, host: str = "127.0.0.1"
) -> Iterator[ChromaServer]:
    """Run a Chroma server on loopback for the duration of a ``with`` block."""
    server = start_chroma_server(path, host=host, port=port)
    try:
        yield server
    finally:
        stop_chroma_server(server)


# --- one client per catalog, reopened when another process wrote ------------------------


def reopen_embedded(settings: Settings) -> Any:
    """A fresh embedded client for the catalog folder, with Chroma's caches dropped.

    An embedded ``PersistentClient`` keeps its HNSW segments in memory and never notices
    vectors another process added (its queries then miss them, or fail on ids its graph
    lacks). Chroma shares one system per folder inside a process; dropping that entry
    makes the next client load the segments from disk again (~10-25 ms).
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    ident = str(Path(settings.catalog).expanduser() / EMBEDDED_DIR)
    SharedSystemClient._identifier_to_system.pop(ident, None)
    SharedSystemClient._identifier_to_refcount.pop(ident, None)
    return make_client(settings)


class StoreHandle:
    """The Chroma client of one catalog, kept fresh against the catalog's generation.

    Every reader calls ``sync()`` before it reads: when another process (or another
    ``Catalog`` in this one) committed since, the embedded client is reopened and the
    callbacks registered with ``on_change`` drop their caches. A Chroma server is always
    fresh, so only the caches are dropped there.
    """

    def __init__(self, settings: Settings | None, client: Any, state: Any) -> None:
        self.settings = settings
        self.client = client
        self.state = state
        self.embedded = settings is not None and settings.store == "embedded"
        self.seen = state.generation()
        self._callbacks: list[Any] = []

    def on_change(self, callback: Any) -> None:
        """Call ``callback()`` whenever the generation moves on."""
        self._callbacks.append(callback)

    def sync(self) -> int:
        """The current generation, after refreshing what it made stale."""
        now = self.state.generation()
        if now != self.seen:
            self.refresh()
            self.seen = now
        return now

    def refresh(self) -> None:
        """Reopen the embedded client and drop every cache (also after a failed query)."""
        if self.embedded and self.settings is not None:
            self.client = reopen_embedded(self.settings)
        for callback in self._callbacks:
            callback()

    def committed(self) -> None:
        """Bump the generation after a write; this process's own writes need no refresh."""
        now = self.state.bump()
        if now != self.seen + 1:  # someone else wrote too since we last looked
            self.refresh()
        self.seen = now
