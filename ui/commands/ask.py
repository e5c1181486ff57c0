"""``linernotes ask TEXT``: one chat turn from the command line, as text or JSON.

The same ``agent.run.ask`` the UI calls, so what the CLI prints is what the chat shows.
``--json`` prints the whole ``Answer`` (see README "JSON output") for scripts and tests:
the reply, this turn's picks, the thread's playlist (ordered ids and paths) and the steps.
``--thread ID`` continues a conversation ("why #2?", "make it 10"). The exit code is 1
when the turn could not be answered as asked (``Answer.problem`` says why).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from linernotes.ui.commands.common import add_parser, print_json, settings_from


def _positive(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 100:
        raise argparse.ArgumentTypeError(f"expected 1-100, got {value}")
    return number


def register(sub: Any) -> None:
    """Add the ``ask`` command."""
    parser = add_parser(sub, "ask", "ask for music in plain words; get explained picks")
    parser.add_argument("text", metavar="TEXT", help='e.g. "more like Neon Rain but for studying"')
    parser.add_argument(
        "--anchor", metavar="ID_OR_PATH", help="track id, title, or any audio file to start from"
    )
    parser.add_argument("--count", type=_positive, metavar="N", help="how many picks (1-100)")
    parser.add_argument(
        "--thread", metavar="ID", help="conversation id: later turns can say 'why #2?'"
    )
    parser.add_argument(
        "--upload", type=Path, metavar="AUDIO", help="an audio file to send with the message"
    )
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Answer one message and print the reply (or the Answer as JSON)."""
    from linernotes.tools.embed.factory import warm_text_embedder

    settings = settings_from(args)
    warm_text_embedder(settings)  # loads on a second core while the agent imports
    from linernotes.agent.run import ask

    start = time.perf_counter()
    answer = ask(
        printable_text(args.text),
        settings,
        anchor=args.anchor,
        thread=args.thread,
        count=args.count,
        upload=args.upload,
    )
    took = time.perf_counter() - start
    code = 1 if answer.problem else 0  # a script must see that nothing was answered
    if args.json:
        print_json(answer)
        return code
    print_answer(answer, took, show_playlist=bool(args.thread))
    return code


def printable_text(text: str) -> str:
    """Request text without control characters (binary junk piped in as a message)."""
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


def print_answer(answer: Any, took: float | None = None, *, show_playlist: bool = False) -> None:
    """Print the reply (picks with their liner notes), a table of picks and the backends."""
    print(answer.reply)
    if answer.picks:
        print()
        width = max(len(p.title) for p in answer.picks)
        print(f"{'#':>3}  {'score':>5}  {'conf':>4}  {'title':<{width}}  path")
        for p in answer.picks:
            print(
                f"{p.rank:>3}  {p.score:>5.2f}  {p.confidence:>4.2f}  {p.title:<{width}}  {p.path}"
            )
    if show_playlist and answer.playlist and not answer.picks:
        from linernotes.ui.commands.chat import print_playlist

        print()
        print_playlist(answer.playlist)
    used = ", ".join(f"{k}={v}" for k, v in sorted(answer.backends.items()))
    print(f"\n[{used}" + (f"; {took:.2f} s]" if took is not None else "]"))
