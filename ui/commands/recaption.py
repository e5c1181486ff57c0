"""``linernotes recaption``: hear again the tracks whose captions failed the fact-check."""

from __future__ import annotations

import argparse
from typing import Any

from linernotes.tools.registry import LISTENERS
from linernotes.ui.commands.common import add_engine_options, add_parser, print_json, settings_from


def register(sub: Any) -> None:
    """Add the ``recaption`` command."""
    parser = add_parser(sub, "recaption", "re-caption flagged or stale tracks")
    parser.add_argument(
        "--flagged", action="store_true", help="tracks whose caption contradicted the measurements"
    )
    parser.add_argument(
        "--stale",
        action="store_true",
        help="tracks captioned by another listener model or prompt version",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.75,
        help="consistency below which a caption counts as flagged",
    )
    parser.add_argument("--listener", choices=LISTENERS.names(), default=None)
    parser.add_argument("--listener-model", default=None)
    parser.add_argument("--listener-url", default=None)
    add_engine_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Select, re-caption, re-embed the captions and upsert; print the report."""
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.embed.factory import make_text_embedder
    from linernotes.tools.listen.cache import CachedListener, CaptionCache
    from linernotes.tools.listen.factory import make_listener
    from linernotes.tools.listen.recaption import recaption
    from linernotes.ui.commands.common import engine_runtime

    settings = settings_from(args)  # --listener/--listener-model/--listener-url win
    catalog = open_catalog(settings, create=False)
    listener = CachedListener(make_listener(settings), CaptionCache.for_catalog(catalog.folder))
    with engine_runtime(args, settings) as ray:
        hear = None
        if ray is not None:
            from linernotes.tools.ingest.ray_batch import recaption_hear

            hear = recaption_hear(ray, settings, str(catalog.folder))
        report = recaption(
            catalog,
            listener,
            make_text_embedder(settings),
            flagged=args.flagged or not args.stale,
            stale=args.stale,
            threshold=args.threshold,
            hear=hear,
        )
    print_json(report.model_dump())
    return 1 if report.errors else 0
