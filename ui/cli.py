"""The ``linernotes`` command line: one sub-command group per module in ``ui.commands``.

Expected failures (``LinernotesError``) print one clear line and exit 2. With ``--json``
stdout is always exactly one JSON object, also on failure: ``{"error": {"type",
"message", "command"}}`` for a bad command line (exit 2), an expected failure (exit 2) or
a bug (exit 1, traceback on stderr), so a script never has to parse an empty stdout.
Without ``--json`` real bugs keep their traceback.

Arguments are text: bytes that are not UTF-8 (a junk request piped from a file) become
U+FFFD instead of lone surrogates that no encoder, tokenizer or SQLite accepts.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from typing import Any, NoReturn

from linernotes.tools.errors import LinernotesError, UsageError
from linernotes.ui import commands
from linernotes.ui.commands.common import print_json


class _Parser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` instead of exiting, so ``--json`` can answer."""

    def error(self, message: str) -> NoReturn:
        error = UsageError(f"{self.prog}: {message}")
        error.usage = self.format_usage()  # type: ignore[attr-defined]
        raise error


def build_parser() -> argparse.ArgumentParser:
    """Build the parser from every module in ``ui.commands`` that has ``register``."""
    parser = _Parser(
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


def as_text(arg: str) -> str:
    """An argument with undecodable bytes (lone surrogates) replaced by U+FFFD."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _error(kind: str, message: str, command: str | None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "command": command}}


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    argv = [as_text(a) for a in (sys.argv[1:] if argv is None else argv)]
    as_json = "--json" in argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        func = getattr(args, "func", None)
        if func is None:
            if as_json:
                print_json(_error("UsageError", "no command given", None))
            else:
                parser.print_help()
            return 1
        return int(func(args) or 0)
    except UsageError as e:
        if as_json:
            print_json(_error("UsageError", str(e), command))
        else:
            sys.stderr.write(getattr(e, "usage", ""))
            print(e, file=sys.stderr)
        return 2
    except LinernotesError as e:
        if as_json:
            print_json(_error(type(e).__name__, str(e), command))
        print(f"linernotes: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if "pip install" not in str(e) and not as_json:  # a real bug, not a missing extra
            raise
        if as_json:
            print_json(_error(type(e).__name__, str(e), command))
        print(f"linernotes: error: {e}", file=sys.stderr)
        return 2 if "pip install" in str(e) else 1
    except KeyboardInterrupt:
        if as_json:
            print_json(_error("Interrupted", "interrupted", command))
        print("linernotes: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still one JSON object for the script, traceback for us
        if not as_json:
            raise
        traceback.print_exc(file=sys.stderr)
        print_json(_error("InternalError", f"{type(e).__name__}: {e}", command))
        return 1


if __name__ == "__main__":
    sys.exit(main())
