"""``linernotes ui``: serve the curator's web UI on this machine.

Binds to 127.0.0.1 by default: the UI can play every track of the catalog, so exposing it
on a network is a choice the user makes with ``--host``, best with ``--auth USER:PASSWORD``
(a warning says so when it is missing). ``--allowed-host NAME`` adds a Host header name to
answer to (a reverse proxy's). There is no ``--share`` (a public gradio.live tunnel would
publish the catalog's audio to anyone with the link).
"""

from __future__ import annotations

import argparse
from typing import Any

from linernotes.ui.commands.common import add_parser, settings_from


def _port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1-65535, got {value}")
    return number


def register(sub: Any) -> None:
    """Add the ``ui`` command."""
    parser = add_parser(sub, "ui", "serve the web UI: chat, playable picks, playlist, catalog")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help="require this login (else settings ui_auth / LINERNOTES_UI_AUTH; none by default)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this Host name (repeatable; else settings ui_hosts)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the catalog, warm the agent and serve until interrupted."""
    from linernotes.ui.app import launch

    settings = settings_from(args)
    print(f"linernotes: opening {settings.catalog} ...", flush=True)
    launch(
        settings,
        auth=args.auth,
        hosts=args.allowed_host,
        server_name=args.host,
        server_port=args.port,
    )
    return 0
