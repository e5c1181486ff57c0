"""Backends by name: one registry per role, so a new backend is one module and one line.

Each role (``embedder``, ``text_embedder``, ``listener``, ``reasoner``, ``planner``,
``judge``) has a ``Registry`` mapping a name to a factory. Built-in backends register
lazily, as ``"module:attribute"`` strings, so naming a backend (settings validation,
``--help`` choices) never imports torch or a model; the module is imported only when the
backend is built. A new backend writes its module and adds one ``register`` line below
(or calls ``EMBEDDERS.register("name", factory)`` from a plugin before settings load).

Factories take the effective ``Settings`` first; roles that need more pass keywords
(the reasoner gets ``text_embedder``, the judge an optional ``chat`` model). See
ARCHITECTURE.md ("Backends") for the roles.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Factory = Callable[..., Any]


class UnknownBackend(ValueError):
    """A backend name no registry entry has; the message lists the known names."""


class Registry(Generic[T]):
    """Name -> factory for one role; factories may be given as ``"module:attr"``."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._entries: dict[str, Factory | str] = {}

    def register(self, name: str, factory: Factory | str) -> None:
        """Add ``name``; ``factory`` is a callable or a lazy ``"module:attr.path"`` string.

        Raises:
            ValueError: the name is already registered for this role, or the lazy
                string does not read ``module:attr``.
        """
        if name in self._entries:
            raise ValueError(f"{self.role} backend {name!r} is already registered")
        if isinstance(factory, str) and ":" not in factory:
            raise ValueError(f"lazy {self.role} factory must read 'module:attr', got {factory!r}")
        self._entries[name] = factory

    def unregister(self, name: str) -> None:
        """Drop ``name`` (tests that register a temporary backend)."""
        self._entries.pop(name, None)

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order (built-ins first)."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def check(self, name: str, *, as_: str | None = None) -> str:
        """Return ``name`` when registered.

        Args:
            name: the backend name to look up.
            as_: the setting the name came from, when not the role's own (a judge that
                follows ``reasoner`` reports "Unknown reasoner").

        Raises:
            UnknownBackend: naming the setting, the name and every known name.
        """
        if name not in self._entries:
            known = ", ".join(self._entries) or "(none registered)"
            what = as_ or self.role
            raise UnknownBackend(f"Unknown {what} {name!r}. Expected one of: {known}")
        return name

    def factory(self, name: str) -> Factory:
        """The callable registered as ``name``, importing its module on first use."""
        entry = self._entries[self.check(name)]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            target: Any = importlib.import_module(module)
            for part in attr.split("."):
                target = getattr(target, part)
            self._entries[name] = entry = target
        return entry

    def build(self, name: str, *args: Any, as_: str | None = None, **kwargs: Any) -> T:
        """Build the backend ``name`` with the factory's arguments (``as_``: see check)."""
        return self.factory(self.check(name, as_=as_))(*args, **kwargs)


_PKG = "linernotes.tools"

EMBEDDERS: Registry[Any] = Registry("embedder")
# The offline default is acoustic-v3, fitted on real music (README "Real music");
# acoustic-v2 (its first fit) and "acoustic" (or "acoustic-v1", fitted on the demo) are
# kept for catalogs built with them: the CLI follows a catalog's offline space when no
# embedder is named.
EMBEDDERS.register("acoustic-v3", f"{_PKG}.embed.acoustic_v2:AcousticV3Embedder")
EMBEDDERS.register("acoustic-v2", f"{_PKG}.embed.acoustic_v2:AcousticV2Embedder")
EMBEDDERS.register("acoustic", f"{_PKG}.embed.acoustic:AcousticEmbedder")
EMBEDDERS.register("acoustic-v1", f"{_PKG}.embed.acoustic:AcousticEmbedder")
EMBEDDERS.register("muq-mulan", f"{_PKG}.embed.muq_mulan:MuQMuLanEmbedder")
EMBEDDERS.register("clap", f"{_PKG}.embed.clap:ClapEmbedder")
EMBEDDERS.register("musicfm", f"{_PKG}.embed.musicfm:MusicFMEmbedder")

TEXT_EMBEDDERS: Registry[Any] = Registry("text embedder")
TEXT_EMBEDDERS.register("minilm", f"{_PKG}.embed.text:from_settings")

LISTENERS: Registry[Any] = Registry("listener")
LISTENERS.register("mir", f"{_PKG}.listen.mir:from_settings")
LISTENERS.register("openai", f"{_PKG}.listen.openai_audio:OpenAIAudioListener.from_settings")
LISTENERS.register("hf", f"{_PKG}.listen.hf_audio:HFAudioListener.from_settings")

REASONERS: Registry[Any] = Registry("reasoner")
"""Turn understanding for the planner: factory(settings, text_embedder=...)."""
REASONERS.register("rules", f"{_PKG}.reason.rules:from_settings")
REASONERS.register("openai", f"{_PKG}.reason.openai_chat:make_chat_reasoner")

PLANNERS: Registry[Any] = Registry("planner")
"""Graph planner per reasoner name: factory(settings) -> ("rules", None) | ("llm", chat)."""
PLANNERS.register("rules", "linernotes.agent.run:rules_planner")
PLANNERS.register("openai", "linernotes.agent.run:openai_planner")

JUDGES: Registry[Any] = Registry("judge")
"""Judges: factory(settings, chat=None); ``settings.judge`` unset follows the reasoner."""
JUDGES.register("rules", f"{_PKG}.judge.rules:from_settings")
JUDGES.register("openai", f"{_PKG}.judge.llm:from_settings")
JUDGES.register("pairwise-audio", f"{_PKG}.judge.audio_pairwise:from_settings")

ROLES: dict[str, Registry[Any]] = {
    "embedder": EMBEDDERS,
    "text_embedder": TEXT_EMBEDDERS,
    "listener": LISTENERS,
    "reasoner": REASONERS,
    "judge": JUDGES,
}
"""Settings field -> the registry its value must name."""
