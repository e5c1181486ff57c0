"""What the web UI's HTTP server lets through: one audio route, known hosts, optional login.

The UI must never become a file server for the machine it runs on. So:

* Audio is served by track id through ``/audio/{track_id}``, which streams exactly the
  file of that catalog track (a catalog record names it; nothing from the request is a
  path). No music folder is in gradio's ``allowed_paths``, and the catalog folder (records,
  threads, traces, Chroma files) is in its ``blocked_paths``.
* Only requests whose ``Host`` header names the bound address, localhost or a configured
  name are answered (``TrustedHostMiddleware``): a web page elsewhere cannot reach the UI
  through DNS rebinding.
* A login (gradio's own ``auth``) is optional, and the audio route checks the same login.
  Listening on a non-loopback address without one prints a clear warning.
"""

from __future__ import annotations

import contextlib
import ipaddress
import mimetypes
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from linernotes.tools.errors import ConfigError, LinernotesError

AUDIO_ROUTE = "audio/"
"""Relative URL prefix of a track's audio (relative, so the UI also works under a proxy)."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
_TRACK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def audio_url(track_id: str) -> str:
    """The URL a card's player streams a catalog track from."""
    return AUDIO_ROUTE + track_id


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); None stays None.

    Raises:
        ConfigError: the value has no colon, or an empty user or password.
    """
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("UI auth must look like USER:PASSWORD (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (only this machine can connect)."""
    if host.strip("[]") in ("localhost", "::1"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(server_name: str, extra: str | list[str] = "") -> list[str]:
    """Host header values to answer: localhost, the bound address and configured names.

    Binding to every interface (0.0.0.0 / ::) adds this machine's name and addresses, so
    the UI answers on the LAN by name or address, but not to a foreign name.
    """
    names = [n.strip() for n in (extra.split(",") if isinstance(extra, str) else extra)]
    hosts = {*LOOPBACK_NAMES, server_name, *(n for n in names if n)}
    if server_name in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        hosts.add(hostname)
        with contextlib.suppress(OSError):
            hosts.update(socket.gethostbyname_ex(hostname)[2])
    return sorted(h for h in hosts if h)


def warn_if_exposed(server_name: str, auth: Any, out: Any = None) -> str | None:
    """A warning when the UI listens beyond this machine without a login; printed and returned."""
    if is_loopback(server_name) or auth:
        return None
    text = (
        f"linernotes: WARNING: the UI listens on {server_name} without a login: anyone who "
        "can reach this address can chat with your catalog and play its audio. Add "
        "--auth USER:PASSWORD (or LINERNOTES_UI_AUTH), or bind to 127.0.0.1."
    )
    print(text, file=out or sys.stderr, flush=True)
    return text


def _logged_in(request: Request) -> bool:
    """The login gradio checks for its own routes (no login configured: everyone)."""
    app = request.app
    if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
        return True
    cookie_id = getattr(app, "cookie_id", "")
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return bool(token) and token in getattr(app, "tokens", {})


def audio_route(track_of: Callable[[str], Any]) -> APIRoute:
    """``GET /audio/{track_id}``: the audio file of one catalog track, nothing else.

    Args:
        track_of: a track id -> its catalog record, or None when there is none.
    """

    def audio(track_id: str, request: Request) -> FileResponse:
        if not _logged_in(request):
            raise HTTPException(status_code=401, detail="Not authenticated")
        track = None
        if _TRACK_ID.fullmatch(track_id):
            try:
                track = track_of(track_id)
            except LinernotesError:
                track = None
        path = Path(track.path) if track is not None else None
        if path is None or not path.is_file():
            raise HTTPException(status_code=404, detail="no such track")
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media, headers={"Cache-Control": "private"})

    return APIRoute("/" + AUDIO_ROUTE + "{track_id}", audio, methods=["GET"])


def app_kwargs(track_of: Callable[[str], Any], hosts: list[str]) -> dict[str, Any]:
    """What ``gr.Blocks.launch(app_kwargs=...)`` needs: the audio route and the host check."""
    return {
        "routes": [audio_route(track_of)],
        "middleware": [Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
    }
