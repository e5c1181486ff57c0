"""``linernotes traces``: read back what the agent did in a conversation.

``traces export THREAD`` prints a thread's trace (``<catalog>/traces/THREAD.jsonl``):
with ``--format openai`` (default) one OpenAI-format message list per turn (user
message, assistant ``tool_calls``, tool results, reply), the shape trajectory
evaluators such as agentevals read; with ``--format jsonl`` the raw records.
``traces list`` names the threads that have traces.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from linernotes.tools.errors import ConfigError
from linernotes.ui.commands.common import add_parser, print_json, settings_from


def register(sub: Any) -> None:
    """Add the ``traces`` command group."""
    parser = add_parser(sub, "traces", "export or list the agent's traces of conversations")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="print one thread's trace")
    export.add_argument("thread", metavar="THREAD", help="the conversation id")
    export.add_argument("--format", choices=("openai", "jsonl"), default="openai")
    export.add_argument("--turn", type=int, metavar="N", help="only turn N")
    export.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    listing = actions.add_parser("list", help="list the threads that have traces")
    for action in (export, listing):  # --catalog also after the action, not only before it
        action.add_argument(
            "--catalog", type=Path, default=argparse.SUPPRESS, help="catalog folder"
        )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export or list traces."""
    from linernotes.agent.traces import TRACES_DIR, export_openai, read_trace, trace_file

    settings = settings_from(args)
    folder = Path(settings.catalog) / TRACES_DIR
    if args.action == "list":
        for f in sorted(folder.glob("*.jsonl")):
            print(f.stem)
        return 0
    file = trace_file(settings.catalog, args.thread)
    if not file.is_file():
        raise ConfigError(f"no trace for thread {args.thread!r} in {folder}")
    rows = read_trace(file)
    if args.turn is not None:
        rows = [r for r in rows if r.get("turn") == args.turn]
    data: Any = export_openai(rows) if args.format == "openai" else rows
    if args.out is not None:
        args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print_json(data)
    return 0
