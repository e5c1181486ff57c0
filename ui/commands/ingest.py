"""``linernotes ingest PATH...``: add folders of audio to the catalog, with a report.

Progress goes to stderr, the summary (or ``--json``) to stdout. The exit code is 0 when
at least one file was read (some bad files are normal in a real library and are listed
with their reasons), 1 when there were files and not one of them could be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linernotes.tools.embed.factory import follow_catalog
from linernotes.tools.registry import LISTENERS
from linernotes.tools.settings import load_settings
from linernotes.ui.commands.common import (
    add_engine_options,
    add_parser,
    overrides_from,
    print_json,
)


def register(sub: Any) -> None:
    """Add the ``ingest`` command."""
    parser = add_parser(sub, "ingest", "add audio files and folders (recursively) to the catalog")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--workers", type=_positive, help="worker processes (else settings.workers)"
    )
    parser.add_argument("--batch-size", type=_positive, help="tracks per catalog write")
    parser.add_argument(
        "--listener", choices=LISTENERS.names(), help="captioning backend (else settings)"
    )
    parser.add_argument("--listener-model", help="listener preset or model name")
    parser.add_argument("--listener-url", help="OpenAI-compatible server of the listener")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also remove the catalog's tracks under PATH whose files are gone from disk",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_engine_options(parser)
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Ingest the paths, print the summary, return 1 only if no file could be read."""
    from linernotes.tools.errors import ConfigError
    from linernotes.tools.ingest.pipeline import ingest, prune_paths

    settings = follow_catalog(load_settings(**overrides_from(args), batch_size=args.batch_size))
    if args.engine == "ray":
        from linernotes.tools.ingest.ray_engine import ingest_ray

        report = ingest_ray(
            list(args.paths),
            settings,
            address=args.ray_address,
            progress=not args.quiet,
        )
        if args.prune:
            report.pruned = prune_paths(list(args.paths), settings)
    elif args.ray_address:
        raise ConfigError("--ray-address needs --engine ray")
    else:
        report = ingest(
            list(args.paths), settings, progress=not args.quiet, prune_missing=args.prune
        )
    if args.json:
        print_json(report)
    else:
        print(format_report(report))
    nothing_read = report.files > 0 and report.added == 0 and report.already_present == 0
    nothing_read = nothing_read and not report.relocated
    return 1 if nothing_read else 0


def format_report(report: Any) -> str:
    """The human summary: counts, time, throughput, then every skipped file and why."""
    lines = [
        f"ingest into {report.catalog}: {report.files} files in {report.seconds:.1f} s"
        + (f" ({report.tracks_per_min:.0f} tracks/min)" if report.added else ""),
        f"  added            {report.added}",
        f"  already present  {report.already_present}",
        f"  skipped          {len(report.skipped)}",
    ]
    changes = (
        ("replaced", report.replaced, "changed files: new record replaced the old one"),
        ("moved", report.relocated, "path updated"),
        ("re-tagged", report.retagged, "tags updated"),
        ("pruned", len(report.pruned), "files gone from disk: removed from the catalog"),
    )
    lines[4:4] = [f"  {name:<16} {n} ({what})" for name, n, what in changes if n]
    lines += [f"    {s.path}: {_short(s.reason, s.path)}" for s in report.skipped]
    if report.listener_fallback:
        lines.append(
            "  listener         unavailable part-way; the rest was captioned offline (mir), "
            f"marked as fallback in the catalog: {report.listener_fallback}"
        )
    if report.files == 0:
        lines.append("  no audio files found (extensions: wav, flac, ogg, mp3, aiff, opus...)")
    return "\n".join(lines)


def _short(reason: str, path: str) -> str:
    """The reason without the path the line already starts with."""
    return reason.replace(f" {path}:", ":").replace(path, Path(path).name)
