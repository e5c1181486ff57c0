"""The HTTP layer under the ``openai`` SDK, for the two places the project touches it.

Newer SDKs are built on ``httpx2``, older ones on ``httpx``; ``sdk_http`` names whichever
is installed, so connection pools (``OpenAIChat.async_pool``) use the SDK's own classes.
``sdk_transport`` lets tests hand the client a plain ``httpx`` transport (a
``MockTransport`` that scripts a server) whatever the SDK is built on.
"""

from __future__ import annotations

import sys
from typing import Any

import openai


def sdk_http() -> Any:
    """The HTTP library the installed SDK is built on (``httpx``, ``httpx2`` in newer ones)."""
    base = openai.DefaultHttpxClient.__mro__[1]
    return sys.modules[base.__module__.split(".")[0]]


class _Bridge:
    """Serve SDK requests through a plain ``httpx`` transport (tests' ``MockTransport``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def handle_request(self, request: Any) -> Any:
        import httpx

        sent = httpx.Request(
            request.method, str(request.url), headers=request.headers.raw, content=request.read()
        )
        got = self.inner.handle_request(sent)
        got.read()
        return sdk_http().Response(got.status_code, headers=got.headers.raw, content=got.content)

    def close(self) -> None:
        self.inner.close()


def sdk_transport(transport: Any) -> Any:
    """``transport`` as the SDK's HTTP client accepts it (bridged when it is plain httpx)."""
    http = sdk_http()
    if transport is None or isinstance(transport, http.BaseTransport):
        return transport
    bridge = type("HttpxBridge", (_Bridge, http.BaseTransport), {})
    return bridge(transport)
