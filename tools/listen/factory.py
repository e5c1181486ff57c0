"""Build the configured listener: one factory, heavy imports only inside their branch.

Ingest and the agent share this factory, so both always caption with the same backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linernotes.tools.listen.base import Listener
    from linernotes.tools.settings import Settings

LISTENER_NAMES = ("mir", "openai", "hf")


def make_listener(settings: Settings) -> Listener:
    """Return the listener named by ``settings.listener``.

    Raises:
        ValueError: for an unknown name, listing the expected ones.
    """
    match settings.listener:
        case "mir":
            from linernotes.tools.listen.mir import MirListener

            return MirListener()
        case "openai":
            from linernotes.tools.listen.openai_audio import OpenAIAudioListener

            return OpenAIAudioListener.from_settings(settings)
        case "hf":
            from linernotes.tools.listen.hf_audio import HFAudioListener

            return HFAudioListener.from_settings(settings)
        case other:
            raise ValueError(
                f"Unknown listener {other!r}. Expected one of: {', '.join(LISTENER_NAMES)}"
            )
