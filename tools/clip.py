"""Text shown to people: cut to a readable length, and counts said right.

Tags and arguments come from users' files and messages: a genre tag may hold 300
characters (the ingest cap) and a tool argument a whole list, and one of them must not
swallow a pick line or a UI thought.
"""

from __future__ import annotations

from typing import Any

GENRE_SHOWN = 40
"""Characters of a genre tag a pick line or a liner note shows (a tag may hold 300)."""


def clip(value: Any, limit: int = 80) -> str:
    """``value`` (a list or tuple is joined) cut to ``limit`` characters with an ellipsis."""
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def counted(n: int, noun: str = "track") -> str:
    """Say a count as people read it: "1 track", "3 tracks" (never "1 tracks")."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
