"""The one exception hierarchy of linernotes.

Every expected failure (bad audio, a refused catalog operation, a model server that
is down) is a ``LinernotesError`` subclass, so callers such as the agent's ToolNode
can send it back to the model or to the user, while real bugs still raise.
Messages always name the offending value and the problem.
"""

from __future__ import annotations


class LinernotesError(Exception):
    """Base class of every error linernotes raises on purpose."""


class ConfigError(LinernotesError):
    """A setting has a value that cannot be used (unknown backend, bad path)."""


class InvalidAudioError(LinernotesError):
    """An audio file or buffer cannot be used: undecodable, empty, silent, too short..."""


class CatalogError(LinernotesError):
    """The catalog refused an operation or is in a state it cannot work with."""


class SpaceMismatchError(CatalogError):
    """Vectors from one embedding space were about to meet vectors from another."""


class TrackNotFoundError(CatalogError):
    """A track id, title or path does not name a track in the catalog."""


class BackendUnavailable(LinernotesError):
    """A model backend cannot be reached or loaded (server down, weights or extra missing)."""


class LLMReplyError(LinernotesError):
    """A language model replied with something that does not validate, even after repair."""


class UsageError(LinernotesError):
    """A command line that cannot be parsed: unknown option, missing or bad argument."""
