"""``linernotes chat``: a conversation with the curator in the terminal.

The same agent as ``linernotes ask`` and the web UI, one thread per session (or
``--thread ID`` to continue one). Lines are read with ``input()``, so readline editing
and history work on a terminal, and a pipe works too (``linernotes chat < script.txt``).
Slash commands: ``/quit``, ``/export FORMAT PATH``, ``/upload PATH`` (sent with the next
message), ``/playlist``, ``/new``, ``/help``. A message the agent cannot use gets an
answer saying why; the conversation goes on.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from linernotes.tools.errors import LinernotesError
from linernotes.ui.commands.common import add_parser, settings_from

COMMANDS = """Commands:
  /export FORMAT PATH   save the playlist (m3u, m3u8, xspf or json) to PATH
  /upload PATH          send an audio file with your next message ("more like this")
  /playlist             show the playlist
  /new                  start a new conversation
  /quit                 leave (Ctrl-D works too)"""


def register(sub: Any) -> None:
    """Add the ``chat`` command."""
    parser = add_parser(sub, "chat", "talk with the curator in the terminal")
    parser.add_argument("--thread", metavar="ID", help="continue this conversation")
    parser.set_defaults(func=run)


def new_thread() -> str:
    """A fresh conversation id."""
    return f"chat-{uuid.uuid4().hex[:8]}"


def print_playlist(playlist: list[Any], out: Any = sys.stdout) -> None:
    """The playlist, numbered as "#N" references use it, with file paths."""
    print(f"── playlist ({len(playlist)}) ──", file=out)
    for i, it in enumerate(playlist, start=1):
        print(f"{i:>3}. {it.title}  [{it.path}]", file=out)


def slash(line: str, state: dict[str, Any]) -> str | None:
    """Handle a slash command; return the message to send, if the command makes one.

    ``state`` holds the session's thread and pending upload; ``state["quit"]`` ends it.
    """
    name, _, rest = line[1:].strip().partition(" ")
    name = name.lower() or "help"
    # A path may contain spaces: it is the rest of the line, quotes optional.
    args = [rest.strip()] if name == "upload" else rest.split(maxsplit=1)
    args = [a.strip().strip("\"'") for a in args if a.strip()]
    match name:
        case "quit" | "exit" | "q":
            state["quit"] = True
        case "export" if len(args) == 2:
            return f'export the playlist as {args[0]} to "{args[1]}"'
        case "export" if len(args) == 1:
            return f"export the playlist as {args[0]}"
        case "upload" if args:
            state["upload"] = Path(args[0]).expanduser()
            print(f"(will send {state['upload'].name} with your next message)")
        case "playlist":
            return "show the playlist"
        case "new":
            state["thread"] = new_thread()
            print(f"(new conversation: {state['thread']})")
        case _:
            print(COMMANDS)
    return None


def run(args: argparse.Namespace) -> int:
    """Read messages until /quit or end of input; answer each with the agent."""
    from linernotes.agent.run import ask

    tty = sys.stdin.isatty()
    if tty:
        import readline  # noqa: F401  (line editing and history for input())
    settings = settings_from(args)
    state: dict[str, Any] = {"thread": args.thread or new_thread(), "upload": None, "quit": False}
    print(f"linernotes chat — conversation {state['thread']}. /help for commands, /quit to leave.")
    shown: list[str] = []
    while not state["quit"]:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            break
        if not tty:
            print(line)  # echo piped input so the transcript reads like a conversation
        text: str | None = line.strip()
        if text and text.startswith("/"):
            text = slash(text, state)
        if text is None:
            continue
        try:
            answer = ask(text, settings, thread=state["thread"], upload=state["upload"])
        except LinernotesError as e:
            print(f"linernotes: {e}")
            continue
        state["upload"] = None
        print(answer.reply)
        ids = [it.track_id for it in answer.playlist]
        if answer.playlist and ids != shown:
            print_playlist(answer.playlist)
        shown = ids
    return 0
