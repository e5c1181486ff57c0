"""``linernotes serve-store``: run a Chroma server that many linernotes users can share.

It runs ``chroma run`` (the CLI of the chromadb package) on a data folder, in the
foreground, until Ctrl-C. Clients then set ``LINERNOTES_STORE=http`` and
``LINERNOTES_STORE_URL=http://HOST:PORT`` (see the README's "Many users" section).
"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from linernotes.ui.commands.common import add_parser, settings_from


def register(sub: Any) -> None:
    """Add the ``serve-store`` command."""
    parser = add_parser(sub, "serve-store", "run a Chroma server for shared catalogs")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on")
    parser.add_argument("--path", type=Path, help="data folder (default: CATALOG/chroma-server)")
    parser.set_defaults(func=run)


def _interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt, so the server is stopped outside the handler."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Start the server, print where it listens, and wait until it stops or Ctrl-C."""
    from linernotes.tools.catalog.store import start_chroma_server, stop_chroma_server

    path = args.path or Path(settings_from(args).catalog) / "chroma-server"
    server = start_chroma_server(Path(path), host=args.host, port=args.port)
    print(f"Chroma server on {server.url} storing in {path} (log: {path}/chroma-server.log)")
    print(f"Clients: LINERNOTES_STORE=http LINERNOTES_STORE_URL={server.url}")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C, below
    try:
        return int(server.process.wait() or 0)
    except KeyboardInterrupt:
        return 0
    finally:
        stop_chroma_server(server)
        signal.signal(signal.SIGTERM, previous)
