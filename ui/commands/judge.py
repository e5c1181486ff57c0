"""``linernotes judge``: judge candidates against an anchor and a listening context.

The command exposes the judge on its own, outside a chat, so a curator can see exactly
why the assistant would rank tracks the way it does, compare backends (``--judge``
or ``--reasoner``) and store the verdicts for hard-negative mining. Track references are
ids, id prefixes, paths or titles, resolved by the catalog.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any, get_args

from linernotes.tools.errors import LinernotesError
from linernotes.tools.judge.schemas import JUDGE_MODES
from linernotes.tools.registry import JUDGES, REASONERS
from linernotes.tools.schemas import Constraints, EnergyLevel
from linernotes.ui.commands.common import add_parser, print_json, settings_from


def register(sub: Any) -> None:
    """Add the ``judge`` command."""
    parser = add_parser(sub, "judge", "judge candidate tracks for an anchor and a context")
    parser.add_argument("--anchor", help="track to be like (id, id prefix, path or title)")
    parser.add_argument(
        "--candidates", help="comma-separated track references (default: the whole catalog)"
    )
    parser.add_argument("--context", help='listening context in words, e.g. "late-night studying"')
    parser.add_argument(
        "--mode", choices=(*JUDGE_MODES, "pairwise-audio"), default="pointwise",
        help="judging mode; pairwise-audio: an Audio LLM hears the tracks (falls back to text)",
    )  # fmt: skip
    parser.add_argument(
        "--dimensions", help="comma-separated dimensions for --mode attribute (e.g. rhythm,timbre)"
    )
    parser.add_argument("--no-vocals", action="store_true", help="instrumental tracks only")
    parser.add_argument("--max-energy", choices=get_args(EnergyLevel), help="energy ceiling")
    parser.add_argument("--min-bpm", type=float, help="slowest tempo allowed")
    parser.add_argument("--max-bpm", type=float, help="fastest tempo allowed")
    parser.add_argument("--reasoner", choices=REASONERS.names(), help="reasoner backend")
    parser.add_argument(
        "--judge", choices=JUDGES.names(), help="judge backend (else follows --reasoner)"
    )
    parser.add_argument("--reasoner-url", help="OpenAI-compatible server of the reasoner")
    parser.add_argument("--listener-url", help="server of the Audio LLM (pairwise-audio)")
    parser.add_argument("--listener-model", help="Audio LLM preset or served model name")
    parser.add_argument("--reasoner-model", help="model name on that server")
    parser.add_argument("--top", type=int, default=10, help="verdicts to print (default 10)")
    parser.add_argument("--no-store", action="store_true", help="do not store the verdicts")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def run(args: argparse.Namespace) -> int:
    """Resolve tracks, judge, store the verdicts, print; exit 2 on a bad reference."""
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.judge.base import judge_mode, make_judge, resolve_context, verdicts_of
    from linernotes.tools.judge.schemas import PairVerdict

    settings = settings_from(args)
    try:
        catalog = open_catalog(settings, create=False)
        anchor = catalog.resolve(args.anchor) if args.anchor else None
        refs = _split(args.candidates)
        candidates = [catalog.resolve(r) for r in refs] if refs else catalog.tracks()
        context = None
        if args.context:
            from linernotes.tools.embed.factory import make_text_embedder

            context = resolve_context(args.context, make_text_embedder(settings))
            if context is None:
                print(f"note: no known context matches {args.context!r}; judging without one",
                      file=sys.stderr)  # fmt: skip
        constraints = Constraints(
            no_vocals=args.no_vocals, max_energy=args.max_energy, min_bpm=args.min_bpm,
            max_bpm=args.max_bpm,
        )  # fmt: skip
        mode = "pairwise" if args.mode == "pairwise-audio" else args.mode
        judge = JUDGES.build(args.mode, settings) if mode != args.mode else make_judge(settings)
        result = judge_mode(judge, mode, anchor, candidates, context, constraints,
                            _split(args.dimensions) or None)  # fmt: skip
    except (LinernotesError, ValueError) as e:
        print(f"linernotes judge: {e}", file=sys.stderr)
        return 2
    if not args.no_store and verdicts_of(result):
        catalog.add_verdicts(verdicts_of(result), args.mode)
    if not args.no_store and isinstance(result, PairVerdict):
        catalog.records.add_pair_verdicts([result])
    if args.json:
        print_json(result)
        return 0
    titles = {t.id: t.title for t in [*candidates, *([anchor] if anchor else [])]}
    print(format_result(result, titles, args.top, context.label if context else None))
    return 0


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=96, initial_indent="     ", subsequent_indent="     ")


def format_result(result: Any, titles: dict[str, str], top: int, context: str | None) -> str:
    """Human-readable verdicts: ranked lines with score, confidence and explanation."""
    from linernotes.tools.judge.schemas import ListVerdict, PairVerdict

    head = f"context: {context}" if context else "context: none"
    if isinstance(result, PairVerdict):
        name = {"A": titles[result.a_id], "B": titles[result.b_id], "tie": "tie"}[result.winner]
        lines = [head, f"winner: {result.winner} ({name})  confidence {result.confidence:.2f}  "
                 f"orders {'/'.join(result.orders)}  [{result.backend}]"]  # fmt: skip
        lines += [f"  - {r}" for r in result.reasons]
        return "\n".join(lines)
    verdicts = result.verdicts if isinstance(result, ListVerdict) else result
    lines = [head]
    for rank, v in enumerate(verdicts[:top], 1):
        lines.append(f"{rank:>2}. {v.score:.2f} (conf {v.confidence:.2f})  "
                     f"{titles.get(v.track_id, v.track_id)}  [{v.backend}]")  # fmt: skip
        lines.append(_wrap(v.explanation))
    if isinstance(result, ListVerdict):
        lines += ["", "why this order:", _wrap(result.explanation)]
    return "\n".join(lines)
