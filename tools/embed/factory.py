"""Build the configured embedders: one factory per role, heavy imports inside each branch.

Ingest and search call the same factories, so a catalog is always queried with the
embedder it was built with (the catalog checks the space names on open).
"""

from __future__ import annotations

from linernotes.tools.embed.base import AudioEmbedder, TextEmbedder
from linernotes.tools.settings import Settings

AUDIO_EMBEDDERS = ("acoustic", "muq-mulan", "clap")
TEXT_EMBEDDERS = ("minilm",)


def make_audio_embedder(settings: Settings) -> AudioEmbedder:
    """Return the audio embedder named by ``settings.embedder``, in the catalog's space.

    When the catalog has an active embedding adapter (``linernotes train-adapter``), the
    base embedder is wrapped in it so ingest and search land in the space the index
    was built with; ``settings.adapter`` pins a version, or ``"none"`` for the bare one.

    Raises:
        ValueError: the name is not one of AUDIO_EMBEDDERS.
    """
    from linernotes.tools.feedback.adapter_store import with_active_adapter

    return with_active_adapter(make_base_audio_embedder(settings), settings)


def make_base_audio_embedder(settings: Settings) -> AudioEmbedder:
    """Return the bare audio embedder named by ``settings.embedder`` (no adapter).

    Raises:
        ValueError: the name is not one of AUDIO_EMBEDDERS.
    """
    match settings.embedder:
        case "acoustic":
            from linernotes.tools.embed.acoustic import AcousticEmbedder

            return AcousticEmbedder(settings)
        case "muq-mulan":
            from linernotes.tools.embed.muq_mulan import MuQMuLanEmbedder

            return MuQMuLanEmbedder(settings)
        case "clap":
            from linernotes.tools.embed.clap import ClapEmbedder

            return ClapEmbedder(settings)
        case other:
            raise ValueError(
                f"Unknown embedder '{other}'. Expected one of: {', '.join(AUDIO_EMBEDDERS)}"
            )


def make_text_embedder(settings: Settings) -> TextEmbedder:
    """Return the caption text embedder named by ``settings.text_embedder``.

    Raises:
        ValueError: the name is not one of TEXT_EMBEDDERS.
    """
    match settings.text_embedder:
        case "minilm":
            from linernotes.tools.embed.text import MiniLMTextEmbedder

            return MiniLMTextEmbedder()
        case other:
            raise ValueError(
                f"Unknown text embedder '{other}'. Expected one of: {', '.join(TEXT_EMBEDDERS)}"
            )
