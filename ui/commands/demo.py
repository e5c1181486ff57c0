"""``linernotes demo``: render the labelled demo catalog, ingest it, ask, then open the UI.

The whole product in one command on a fresh machine: ``tools.demo.build_demo`` writes
the audio to ``<catalog>/demo-audio/`` (skipped when already there), ``tools.ingest.pipeline``
adds it to the catalog (idempotent), and ``agent.run.ask`` answers "more like <a lo-fi
track> but for studying" with explained picks. The Gradio UI then opens when the command
runs in an interactive terminal and ``--no-ui`` is not given.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from linernotes.ui.commands.ask import print_answer
from linernotes.ui.commands.common import add_parser, settings_from

DEMO_FOLDER = "demo-audio"
ANCHOR_STYLE = "lo-fi hip-hop"


def _count(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 2000:
        raise argparse.ArgumentTypeError(f"expected 1-2000 tracks, got {value}")
    return number


def register(sub: Any) -> None:
    """Add the ``demo`` command."""
    parser = add_parser(sub, "demo", "build, ingest and query the labelled demo catalog")
    parser.add_argument("--tracks", type=_count, default=120, help="tracks to render (120)")
    parser.add_argument("--seed", type=int, default=0, help="catalog seed (0)")
    parser.add_argument("--no-ui", action="store_true", help="stop after the printed answer")
    parser.set_defaults(func=run)


def anchor_title(rows: list[dict[str, str]]) -> str:
    """Title of the track the demo question starts from: a lo-fi track, instrumental if any.

    Falls back to the first track when the catalog is too small to hold a lo-fi one.
    """
    lofi = [r for r in rows if r["style"] == ANCHOR_STYLE] or rows
    plain = [r for r in lofi if r["has_voice"] == "0"]
    return (plain or lofi)[0]["title"]


def run(args: argparse.Namespace) -> int:
    """Render (or reuse) the demo audio, ingest it, print one explained answer, open the UI."""
    from linernotes.agent.run import ask
    from linernotes.tools.demo import build_demo, read_manifest
    from linernotes.tools.ingest.pipeline import ingest

    settings = settings_from(args)
    folder = Path(settings.catalog).expanduser() / DEMO_FOLDER
    print(f"linernotes demo: {args.tracks} tracks (seed {args.seed}) in {folder}", flush=True)
    manifest = build_demo(folder, n_tracks=args.tracks, seed=args.seed, progress=True)
    report = ingest([folder], settings)
    print(
        f"ingested: {report.added} added, {report.already_present} already present, "
        f"{len(report.skipped)} skipped ({report.seconds:.1f} s)"
    )
    for skip in report.skipped:
        print(f"  skipped {skip.path}: {skip.reason}")
    question = f"more like {anchor_title(read_manifest(manifest))} but for studying"
    print(f"\n> {question}\n", flush=True)
    answer = ask(question, settings)
    print_answer(answer)
    if args.no_ui:
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("\n(not an interactive terminal: run `linernotes ui` to open the UI)")
        return 0
    if importlib.util.find_spec("linernotes.ui.app") is None:
        print("\n(the web UI is not installed in this build: ui.app is missing)")
        return 0
    from linernotes.ui.app import launch

    launch(settings)
    return 0
