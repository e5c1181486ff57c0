"""What the UI calls, behind one small seam: the agent, the catalog, the backends.

``build_app`` takes a ``Services`` so the handlers are tested with a fake agent and a
tiny catalog, and so nothing is opened until a session needs it. The helpers convert
between the records and the plain data ``gr.State`` holds (gradio notices a changed state
by hashing it, and pydantic objects hash by identity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linernotes.tools.errors import LinernotesError
from linernotes.tools.schemas import Pick, PlaylistItem, Track
from linernotes.tools.settings import Settings
from linernotes.ui.app_chat import AskFn


@dataclass(frozen=True)
class Services:
    """What the UI calls: the agent, the warm catalog and backends, a playlist saver.

    ``save_playlist(thread, items)`` keeps edits made with the panel's buttons in the
    thread's playlist, so the agent's "#3" stays the panel's 3; None keeps them in the
    browser session only.
    """

    ask: AskFn
    catalog: Callable[[], Any]
    backends: Callable[[], Any]
    save_playlist: Callable[[str, list[PlaylistItem]], Any] | None = None


def default_services(settings: Settings) -> Services:
    """The real agent and catalog, opened on first use and shared by all sessions."""
    import linernotes.agent.run as agent

    # Requested of the agent (issue 5): set_playlist(thread, items, settings).
    setter = getattr(agent, "set_playlist", None)
    return Services(
        ask=agent.ask,
        catalog=lambda: agent.session_for(settings).catalog,
        backends=lambda: agent.session_for(settings).backends,
        save_playlist=(lambda thread, items: setter(thread, items, settings)) if setter else None,
    )


def picks_of(data: list[dict[str, Any]]) -> list[Pick]:
    """Picks from their state form."""
    return [Pick.model_validate(d) for d in data or []]


def items_of(data: list[dict[str, Any]]) -> list[PlaylistItem]:
    """Playlist entries from their state form."""
    return [PlaylistItem.model_validate(d) for d in data or []]


def dump(records: list[Any]) -> list[dict[str, Any]]:
    """Records in their state form (plain JSON data)."""
    return [r.model_dump(mode="json") for r in records]


def track_or_none(services: Services, track_id: str) -> Track | None:
    """The catalog record of a track, or None (an upload, or a track since removed)."""
    try:
        return services.catalog().get(track_id)
    except LinernotesError:
        return None


def warm_up(services: Services) -> Any:
    """Open the catalog and load the sentence model now, not on the first question.

    The text embedder loads lazily (an ONNX session, and the one-time export on a new
    machine); a curator's first question should not pay for that. Returns the catalog.
    """
    catalog = services.catalog()
    text = getattr(services.backends(), "text", None)
    if text is not None:
        text.embed(["warm up"])
    return catalog


def example_request(services: Services) -> str:
    """A request naming a real track of this catalog, to show how to ask."""
    try:
        tracks = services.catalog().tracks()
    except LinernotesError:
        tracks = []
    title = tracks[0].title if tracks else "a track you know"
    return f"more like {title} but for studying"
