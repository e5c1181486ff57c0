"""Text for the chat, shown as written: the one gate between data and the chat's Markdown.

The chat renders Markdown (and, unless told otherwise, HTML and LaTeX). Everything put in
it that came from outside the code (a title or artist from a file's tags, a caption or
note the listening model wrote, a file name, the user's own words, an error naming any of
those) passes through :func:`plain` first. Without it, a title such as
``![cover](http://tracker.example/p.png)`` makes every browser that shows the pick fetch
a stranger's URL (it learns who listens to what, and from where), ``[free](http://…)``
becomes a link the curator did not write, and ``**`` or a leading ``#`` reshapes the reply.
Cards and tables are HTML and are escaped in :mod:`linernotes.ui.app_views`.
"""

from __future__ import annotations

import re
from typing import Any

_INLINE = re.compile(r"([\\`*_\[\]<>!#$&|~])")
"""Characters that start Markdown or HTML anywhere in a line (CommonMark escapes them all)."""
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
"""What makes a line a list item or heading rule only at its start: ``- x``, ``1. x``, ``===``."""
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
"""Bare ``http://…`` and ``www.…`` become links in GFM; breaking the marker keeps the text."""


def plain(value: Any) -> str:
    """``value`` as Markdown that renders exactly as its text (no links, images or markup).

    Backslash escapes, not HTML entities: the chat shows the characters themselves, and
    the text stays readable where it is copied raw.
    """
    text = _INLINE.sub(r"\\\1", str(value))
    text = _LINE_START.sub(lambda m: f"{m[1]}{m[2]}\\" if m[2].isdigit() else f"{m[1]}\\{m[2]}",
                           text)  # fmt: skip
    return _AUTOLINK.sub(lambda m: "\\" + m[1] if m[1] == "://" else m[1][:3] + "\\.", text)
