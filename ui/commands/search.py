"""``linernotes search``: fast retrieval only (no judging), by track or by words.

``--like`` takes a track id, title or path, and also any audio file outside the catalog:
that file is analysed on the fly with the catalog's own backends and never added.
"""

from __future__ import annotations

import argparse
from typing import Any

from linernotes.tools.errors import TrackNotFoundError
from linernotes.ui.commands.common import add_parser, print_json, settings_from


def _count(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError(f"expected 1-1000, got {value}")
    return number


def register(sub: Any) -> None:
    """Add the ``search`` command."""
    parser = add_parser(sub, "search", "nearest tracks to a track or to a description")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--like", metavar="ID_OR_PATH", help="track id, title, or any audio file (even new)"
    )
    what.add_argument("--text", metavar="TEXT", help='a description, e.g. "calm piano, no drums"')
    parser.add_argument("--k", type=_count, default=10, metavar="N", help="how many hits (10)")
    parser.add_argument("--json", action="store_true", help='print {"query": ..., "hits": [...]}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Search and print the hits as a table (or JSON)."""
    from linernotes.tools.catalog.search import (
        explain_missing,
        open_search,
        resolve_query,
        search_words,
        to_hits,
    )

    catalog, backends = open_search(settings_from(args))
    query: dict[str, Any] = {"like": args.like, "text": args.text, "k": args.k}
    if args.like:
        try:
            track, vec, in_catalog = resolve_query(catalog, args.like, backends)
        except TrackNotFoundError as e:
            raise explain_missing(e, args.like, catalog.folder) from e
        hits = to_hits(catalog, catalog.query_audio(vec, args.k, exclude={track.id}))
        query.update(track_id=track.id, title=track.title, in_catalog=in_catalog)
        space = backends.audio.space
    else:
        hits = to_hits(catalog, search_words(catalog, args.text, args.k, backends=backends))
        joint = getattr(backends.audio, "joint_text", False)
        space = backends.audio.space if joint else backends.text.space
    query["space"] = space
    if args.json:
        print_json({"query": query, "hits": hits})
        return 0
    if args.like:
        where = "" if query["in_catalog"] else " (analysed now, not in the catalog)"
        print(f"Nearest to “{query['title']}”{where} in {space}:")
    else:
        print(f"Closest to “{args.text}” in {space}:")
    if not hits:
        print("  no hits")
        return 0
    width = max(len(h.title) for h in hits)
    print(f"{'#':>3}  {'score':>6}  {'title':<{width}}  path")
    for h in hits:
        print(f"{h.rank:>3}  {h.score:>6.3f}  {h.title:<{width}}  {h.path}")
    return 0
