"""Build the configured listener from the registry (``tools.registry.LISTENERS``).

Ingest and the agent share this factory, so both always caption with the same backend;
the backend's module (and its heavy imports) loads only when it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linernotes.tools.registry import LISTENERS

if TYPE_CHECKING:
    from linernotes.tools.listen.base import Listener
    from linernotes.tools.settings import Settings


def make_listener(settings: Settings) -> Listener:
    """Return the listener named by ``settings.listener``.

    Raises:
        UnknownBackend: for an unknown name, listing the registered ones.
    """
    return LISTENERS.build(settings.listener, settings)
