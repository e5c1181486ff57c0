"""Build the configured embedders from the registry (``tools.registry``), lazily imported.

Ingest and search call the same factories, so a catalog is always queried with the
embedder it was built with (the catalog checks the space names on open).
"""

from __future__ import annotations

from linernotes.tools.embed.base import AudioEmbedder, TextEmbedder
from linernotes.tools.registry import EMBEDDERS, TEXT_EMBEDDERS
from linernotes.tools.settings import Settings


def make_audio_embedder(settings: Settings) -> AudioEmbedder:
    """Return the audio embedder named by ``settings.embedder``, in the catalog's space.

    When the catalog has an active embedding adapter (``linernotes train-adapter``), the
    base embedder is wrapped in it so ingest and search land in the space the index
    was built with; ``settings.adapter`` pins a version, or ``"none"`` for the bare one.

    Raises:
        UnknownBackend: the name is not registered in ``registry.EMBEDDERS``.
    """
    from linernotes.tools.feedback.adapter_store import with_active_adapter

    return with_active_adapter(make_base_audio_embedder(settings), settings)


def make_base_audio_embedder(settings: Settings) -> AudioEmbedder:
    """Return the bare audio embedder named by ``settings.embedder`` (no adapter).

    Raises:
        UnknownBackend: the name is not registered in ``registry.EMBEDDERS``.
    """
    return EMBEDDERS.build(settings.embedder, settings)


def make_text_embedder(settings: Settings) -> TextEmbedder:
    """Return the caption text embedder named by ``settings.text_embedder``.

    Raises:
        UnknownBackend: the name is not registered in ``registry.TEXT_EMBEDDERS``.
    """
    return TEXT_EMBEDDERS.build(settings.text_embedder, settings)
