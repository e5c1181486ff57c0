"""``linernotes mine`` and ``linernotes mine-report``: judge neighbours into triplets, measure.

``mine`` runs one round of hard-negative mining on the catalog (judge verdicts and
triplets are stored in its records). ``mine-report`` runs the held-out experiment
(mine -> train over several seeds, with a shuffled-label control) without changing
the catalog, and writes the report with its plot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from linernotes.tools.registry import JUDGES, REASONERS
from linernotes.ui.commands.common import (
    add_engine_options,
    add_parser,
    engine_runtime,
    print_json,
    settings_from,
)


def register(sub: Any) -> None:
    """Add ``mine`` and ``mine-report``."""
    mine = add_parser(sub, "mine", "mine hard negatives: judge embedding neighbours")
    mine.add_argument("--anchors", type=int, default=100, help="anchors sampled per round")
    mine.add_argument("--k", type=int, default=20, help="neighbours judged per anchor")
    mine.add_argument("--explore", type=int, default=10, help="random tracks judged per anchor")
    mine.add_argument("--context", help="judge for this listening context (default: none)")
    mine.add_argument("--seed", type=int, default=0, help="sampling seed")
    mine.add_argument("--judge", choices=JUDGES.names(), help="judge backend")
    mine.add_argument("--reasoner", choices=REASONERS.names(), help="reasoner (judge default)")
    mine.add_argument("--json", action="store_true", help="print JSON")
    add_engine_options(mine)
    mine.set_defaults(func=run_mine)

    report = add_parser(sub, "mine-report", "held-out before/after report of mine -> train")
    report.add_argument("out", type=Path, metavar="DIR", help="folder for report.md/.png/.json")
    report.add_argument("--kind", choices=("linear", "mlp"), default="linear")
    report.add_argument("--context", help="judge for this listening context (default: none)")
    report.add_argument("--judge", choices=JUDGES.names(), help="judge backend")
    report.add_argument("--reasoner", choices=REASONERS.names(), help="reasoner (judge default)")
    report.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_report_options(report)
    report.set_defaults(func=run_mine_report)


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Options of the held-out experiment (shared with ``train-adapter --report``)."""
    parser.add_argument("--seeds", default="0,1,2", help="report: comma-separated seeds (>= 3)")
    parser.add_argument("--rounds", type=int, default=1, help="report: mine -> train rounds")
    parser.add_argument(
        "--max-tracks", type=int, default=400, help="report: tracks sampled (it judges n^2 pairs)"
    )
    parser.add_argument(
        "--cross-contexts",
        default="studying,running",
        help="report: contexts for the mined-for x judged-for table ('' skips it)",
    )


def resolve(context: str | None, settings: Any) -> Any:
    """The context profile for ``--context`` words (None when not given).

    Raises:
        ConfigError: the words match no known context.
    """
    if not context:
        return None
    from linernotes.tools.embed.factory import make_text_embedder
    from linernotes.tools.errors import ConfigError
    from linernotes.tools.judge.base import resolve_context

    profile = resolve_context(context, make_text_embedder(settings))
    if profile is None:
        raise ConfigError(f"--context {context!r} matches no known listening context")
    return profile


def run_mine(args: argparse.Namespace) -> int:
    """One mining round."""
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.feedback.mining import MiningConfig, mine
    from linernotes.tools.judge.base import make_judge

    settings = settings_from(args)
    catalog = open_catalog(settings, create=False)
    config = MiningConfig(anchors=args.anchors, k=args.k, explore=args.explore, seed=args.seed)

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\rmining {done}/{total} anchors", end="", file=sys.stderr, flush=True)

    context = resolve(args.context, settings)
    with engine_runtime(args, settings) as ray:
        judge_many = None
        if ray is not None:
            from linernotes.tools.ingest.ray_batch import mine_judge_many

            judge_many = mine_judge_many(ray, settings, context)
        report = mine(catalog, make_judge(settings), config, context, progress=progress,
                      judge_many=judge_many)  # fmt: skip
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(report)
        return 0
    print(
        f"round {report.round} in {report.space} ({report.context or 'similarity only'}, "
        f"judge {report.backend}): {report.anchors} anchors, {report.judged} verdicts, "
        f"{report.positives} positives, {report.hard_negatives} hard negatives, "
        f"{report.triplets} judge + {report.feedback_triplets} feedback triplets "
        f"({report.new} new, {report.total} stored) in {report.seconds:.1f} s"
    )
    if report.feedback_unusable:
        print(f"{report.feedback_unusable} thumbs had no anchor track and gave no triplet")
    return 0


def catalog_facts(catalog: Any) -> dict[str, Any]:
    """What the report says about the catalog's own feedback-loop history."""
    from linernotes.tools.feedback.adapter_store import list_cards, split_space
    from linernotes.tools.feedback.mining import ROUNDS_KEY

    records = catalog.records
    return {
        "catalog": str(catalog.folder),
        "base_space": split_space(catalog.audio_space)[0],
        "active_space": catalog.audio_space,
        "mining_rounds": int(records.get_meta(ROUNDS_KEY) or records.mining_rounds()),
        "triplets": len(records.triplets()),
        "adapters": [c.model_dump(mode="json") for c in list_cards(catalog.folder)],
    }


def experiment_report(args: argparse.Namespace, catalog: Any, settings: Any) -> Path:
    """Run the held-out experiment on ``catalog`` and write the report into ``args.out``."""
    import numpy as np

    from linernotes.tools.feedback.adapter import TrainConfig
    from linernotes.tools.feedback.adapter_store import base_vectors
    from linernotes.tools.feedback.mining_eval import cross_context_gains, run_experiment
    from linernotes.tools.feedback.mining_report import write_report
    from linernotes.tools.judge.base import make_judge

    tracks = catalog.tracks()
    if len(tracks) > args.max_tracks:
        keep = np.random.default_rng(0).permutation(len(tracks))[: args.max_tracks]
        tracks = [tracks[i] for i in sorted(keep)]
    seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    judge = make_judge(settings)
    base = base_vectors(catalog, tracks, settings)
    train = TrainConfig(kind=args.kind)
    exp = run_experiment(
        tracks,
        base,
        judge,
        seeds=seeds,
        rounds=args.rounds,
        train=train,
        context=resolve(args.context, settings),
    )
    names = [c.strip() for c in (args.cross_contexts or "").split(",") if c.strip()]
    if names:
        contexts = {"none": None, **{n: resolve(n, settings) for n in names}}
        exp.cross = cross_context_gains(tracks, base, judge, contexts, seeds=seeds, train=train)
    meta = {**catalog_facts(catalog), "judge": judge.name}
    path = write_report(exp, args.out, meta)
    if getattr(args, "json", False):
        print_json({"report": str(path), "summary": exp.summary(), "gain": exp.gain()})
    else:
        gains = np.array(exp.gain())
        print(
            f"report: {path} (judge@10 gain {gains.mean():+.3f} ± {gains.std():.3f} "
            f"over {len(seeds)} seeds)"
        )
    return path


def run_mine_report(args: argparse.Namespace) -> int:
    """Write the before/after report without changing the catalog."""
    from linernotes.tools.catalog.catalog import open_catalog

    settings = settings_from(args)
    experiment_report(args, open_catalog(settings, create=False), settings)
    return 0
