"""What every listener returns and the interface every listener implements.

A listener hears one track (or, offline, reads its measurements) and writes a caption
paragraph plus a structured ``TrackSummary``. The result always names the backend, the
model and the prompt version that wrote it, so the catalog, the trace and the UI can
say where every caption came from, and a cache can tell when it is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from linernotes.tools.schemas import Measurements, Tags, TrackSummary


@dataclass
class ListenResult:
    """A caption and its structured summary, with who wrote them and how they checked out.

    Attributes:
        summary: The structured fields (what the judge reads).
        caption: The free-text paragraph (what gets embedded and shown).
        listener: Backend name ("mir", "openai", "hf").
        model: Model that wrote it; None for the offline captioner.
        prompt_version: Version of the prompt (or template) used: part of the cache key.
        consistency: Fact-check score 0-1 against the measurements; None if not checked.
        contradictions: Human-readable claims that disagree with the measurements.
        notes: Anything a reader should know about how it was made (e.g. "extraction fell
            back to rules"), kept so fallbacks are visible rather than silent.
    """

    summary: TrackSummary
    caption: str
    listener: str
    model: str | None
    prompt_version: str | None
    consistency: float | None = None
    contradictions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Listener(Protocol):
    """A captioning backend. ``name`` is its backend name, ``model`` the model it runs."""

    name: str
    model: str | None

    def listen(self, path: Path, measurements: Measurements, tags: Tags) -> ListenResult:
        """Caption the track at ``path``; measurements and tags give grounding context."""
        ...
