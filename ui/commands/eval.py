"""``linernotes eval [SCENARIOS.yaml]``: play scripted conversations and report how they went.

Runs ``agent.evaluate`` over a scenario suite (default: the suite shipped for the demo
catalog) with the configured planner, and writes ``report.md``, ``report.json`` and
``report.png`` into ``--out``. Exit code 0 when the pass rate reaches ``--min-pass``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linernotes.ui.commands.common import add_parser, settings_from


def register(sub: Any) -> None:
    """Add the ``eval`` command."""
    parser = add_parser(sub, "eval", "score the agent on scripted multi-turn conversations")
    parser.add_argument(
        "scenarios",
        nargs="?",
        type=Path,
        metavar="SCENARIOS.yaml",
        help="scenario suite (default: the demo suite shipped with linernotes)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("eval-report"),
        metavar="DIR",
        help="report folder (default: ./eval-report)",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        metavar="PATH",
        help="labelled manifest (default: <catalog>/demo-audio/manifest.csv)",
    )
    parser.add_argument(
        "--min-pass",
        type=float,
        default=0.0,
        metavar="RATE",
        help="exit 1 when the turn pass rate is below this (0-1)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Play the suite, write the report, print the headline figures."""
    from linernotes.agent.eval_report import write_report
    from linernotes.agent.evaluate import default_manifest, default_suite, load_suite, run_suite

    settings = settings_from(args)
    suite = load_suite(args.scenarios or default_suite())
    manifest = args.manifest or default_manifest(Path(settings.catalog))
    report = run_suite(suite, settings, manifest, args.out)
    report["catalog"] = str(settings.catalog)
    report["planner"] = (
        "rules" if settings.reasoner == "rules" else f"llm ({settings.reasoner_model})"
    )
    paths = write_report(report, args.out)
    m = report["metrics"]
    print(
        f"{suite.name}: {m['passed']}/{m['turns']} turns passed ({m['pass_rate']:.1%}); "
        f"trajectory match {m['trajectory_match_rate'] or 0:.1%}; "
        f"route accuracy {m['route_accuracy'] or 0:.1%}"
    )
    for r in report["turns"]:
        if not r["passed"]:
            print(
                f"  FAIL {r['conversation']} #{r['turn']} {r['say']!r}: {'; '.join(r['failures'])}"
            )
    print("report: " + ", ".join(str(p) for p in paths.values()))
    return 0 if m["pass_rate"] >= args.min_pass else 1
