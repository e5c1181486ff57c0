"""Helpers shared by the sub-commands: common options, settings, JSON output."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from linernotes.tools.settings import Settings, load_settings


def add_parser(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """Add a sub-command that takes the options every command shares."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--catalog", type=Path, help="catalog folder (else LINERNOTES_CATALOG)")
    return parser


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Settings values given on the command line (None means 'not given')."""
    keys = (
        "catalog",
        "embedder",
        "listener",
        "listener_model",
        "listener_url",
        "reasoner",
        "judge",
        "reasoner_url",
        "reasoner_model",
        "store",
        "store_url",
        "workers",
        "top_k",
    )
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def settings_from(args: argparse.Namespace) -> Settings:
    """Build settings where command-line values beat the environment and the TOML file.

    With no embedder named, a catalog built with another offline space keeps its own
    (``factory.follow_catalog``).
    """
    from linernotes.tools.embed.factory import follow_catalog

    return follow_catalog(load_settings(**overrides_from(args)))


def to_jsonable(obj: Any) -> Any:
    """Turn pydantic models (and lists/dicts of them) into plain JSON data."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [to_jsonable(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def print_json(obj: Any) -> None:
    """Print one JSON document on stdout (what ``--json`` options promise).

    Text that cannot be encoded (a lone surrogate from an undecodable file name) is
    written as a JSON escape instead of failing after half the document.
    """
    text = json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--ray-address`` (shared by ingest, recaption and mine)."""
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: worker processes on this machine (default); ray: a Ray Data pipeline "
        "(needs the ray extra)",
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="--engine ray: a running cluster (ray start --head prints it); "
        "default: a local Ray runtime for this run",
    )


@contextlib.contextmanager
def engine_runtime(args: argparse.Namespace, settings: Settings) -> Iterator[Any]:
    """The Ray runtime for ``--engine ray`` (connected or local, shut down after), else None.

    Raises:
        ConfigError: ``--ray-address`` without ``--engine ray``, or Ray is not installed.
    """
    from linernotes.tools.errors import ConfigError

    if getattr(args, "engine", "local") != "ray":
        if getattr(args, "ray_address", None):
            raise ConfigError("--ray-address needs --engine ray")
        yield None
        return
    from linernotes.tools.ingest.ray_engine import ray_runtime

    with ray_runtime(args.ray_address, settings.workers) as ray:
        yield ray
