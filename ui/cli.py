"""The ``linernotes`` command line: one sub-command group per module in ``ui.commands``.

Expected failures (``LinernotesError``) print one clear line and exit 2; real bugs keep
their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from linernotes.tools.errors import LinernotesError
from linernotes.ui import commands


def build_parser() -> argparse.ArgumentParser:
    """Build the parser from every module in ``ui.commands`` that has ``register``."""
    parser = argparse.ArgumentParser(
        prog="linernotes",
        description="Music curation assistant: explained picks from your catalog.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 1
    try:
        return int(func(args) or 0)
    except LinernotesError as e:
        print(f"linernotes: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if "pip install" not in str(e):  # a real bug, not a missing optional extra
            raise
        print(f"linernotes: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("linernotes: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
