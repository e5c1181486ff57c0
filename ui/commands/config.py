"""``linernotes config``: print the effective settings and where each value came from."""

from __future__ import annotations

import argparse
from typing import Any

from linernotes.tools.settings import describe_sources
from linernotes.ui.commands.common import add_parser, overrides_from, print_json, settings_from


def register(sub: Any) -> None:
    """Add the ``config`` command."""
    parser = add_parser(sub, "config", "print the effective settings and their sources")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print each setting, its value and its source (argument, env, toml or default)."""
    settings = settings_from(args)
    sources = describe_sources(settings, overrides_from(args))
    values = settings.model_dump(mode="json")
    if args.json:
        print_json({k: {"value": values[k], "source": sources[k]} for k in values})
        return 0
    width = max(len(k) for k in values)
    for key, value in values.items():
        print(f"{key:<{width}}  {value!s:<40}  ({sources[key]})")
    return 0
