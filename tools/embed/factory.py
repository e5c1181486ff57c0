"""Build the configured embedders from the registry (``tools.registry``), lazily imported.

Ingest and search call the same factories, so a catalog is always queried with the
embedder it was built with. The catalog owns its active space (``Catalog.audio_space``):
callers open the catalog first and pass that space here, so an embedder is wrapped in
the adapter the space names; nothing here reads the catalog. ``*_space_name`` give a
backend's space without loading its weights (the catalog needs only the name).
"""

from __future__ import annotations

import threading

from linernotes.tools.embed.base import AudioEmbedder, TextEmbedder
from linernotes.tools.registry import EMBEDDERS, TEXT_EMBEDDERS
from linernotes.tools.settings import Settings


def make_audio_embedder(settings: Settings, space: str | None = None) -> AudioEmbedder:
    """Return the audio embedder named by ``settings.embedder``, producing ``space``.

    ``space`` is the catalog's active audio space (``Catalog.audio_space``): when it
    names an adapter (``acoustic-v1+adapter-v2``), the base embedder is wrapped in that
    adapter, loaded from ``settings.catalog``; None or the base space gives the bare one.

    Raises:
        UnknownBackend: the name is not registered in ``registry.EMBEDDERS``.
        SpaceMismatchError: ``space`` is not this embedder's space or an adapter of it.
    """
    base = make_base_audio_embedder(settings)
    if space is None or space == base.space:
        return base
    from linernotes.tools.feedback.adapter_store import wrap_in_space

    return wrap_in_space(base, space, settings)


def audio_space_name(settings: Settings) -> str:
    """The space of the configured audio backend, without loading its weights.

    A backend class with a fixed ``space`` class attribute is read without being built;
    CLAP names its space after its checkpoint; any other backend is built (backends
    load their weights lazily or not at all when only asked their space).

    Raises:
        UnknownBackend: the name is not registered in ``registry.EMBEDDERS``.
    """
    if settings.embedder == "clap":
        from linernotes.tools.embed.clap import MODEL_ID, space_name

        return space_name(settings.embedder_weights or MODEL_ID)
    space = getattr(EMBEDDERS.factory(settings.embedder), "space", None)
    if isinstance(space, str):
        return space
    return str(make_base_audio_embedder(settings).space)


def text_space_name(settings: Settings) -> str:
    """The space of the configured caption embedder, without loading its weights.

    Raises:
        UnknownBackend: the name is not registered in ``registry.TEXT_EMBEDDERS``.
    """
    if settings.text_embedder == "minilm":
        from linernotes.tools.embed.text import SPACE

        return SPACE
    return str(make_text_embedder(settings).space)


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


def warm_text_embedder(settings: Settings) -> threading.Thread:
    """Start loading the caption embedder's model on a daemon thread; return the thread.

    A one-shot ``linernotes ask`` spends most of its life importing the agent (pure
    Python, holding the GIL) and then loading the text model (onnxruntime builds its
    session in C++, mostly without the GIL). Started first, the load overlaps the imports
    on a second core. Embedders without a ``warm`` method, and any failure here, are left
    to the first real ``embed`` call, which loads (or fails) with its own clear error.
    """

    def load() -> None:
        try:
            embedder = make_text_embedder(settings)
            warm = getattr(embedder, "warm", None)
            if callable(warm):
                warm()
        except Exception:  # the first real embed reports it, with the request in view
            return

    thread = threading.Thread(target=load, name="linernotes-warm-text", daemon=True)
    thread.start()
    return thread


def follow_catalog(settings: Settings) -> Settings:
    """Settings whose audio embedder is the one the catalog was built with, if offline.

    The offline default moved from acoustic-v1 (fitted on the demo) to acoustic-v2
    (fitted on real music), then to acoustic-v3 (refitted on more of it). A catalog built
    before keeps answering: when the user named no embedder (argument, environment or
    TOML) and the catalog's base space is another offline space, its embedder is used.
    A named embedder is never overridden; a mismatch then stays ``Catalog.open``'s clear
    error. A catalog that cannot be read
    here is left to the open that follows to report.
    """
    if "embedder" in settings.model_fields_set or settings.store != "embedded":
        return settings
    from linernotes.tools.catalog.state import read_active_spaces
    from linernotes.tools.embed import acoustic, acoustic_v2
    from linernotes.tools.feedback.adapter_store import split_space

    offline = {acoustic.SPACE: "acoustic"} | {s: s for s in acoustic_v2.SPACES}  # no weights

    try:
        active = read_active_spaces(settings)
    except Exception:  # damaged or unreadable: open_catalog names the problem
        return settings
    if not active or "audio" not in active:
        return settings
    name = offline.get(split_space(active["audio"])[0])
    if name is None or name == settings.embedder:
        return settings
    return settings.model_copy(update={"embedder": name})
