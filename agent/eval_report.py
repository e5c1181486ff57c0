"""The evaluation report: Markdown for people, JSON for machines, one PNG plot.

The plot has two panels: latency per node and tool (median bar, p95 whisker) and the
pass rate of each conversation, so a regression in speed or in behaviour shows at a
glance next to the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PLOT = "report.png"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: summary, precision by label, latency, every turn."""
    m = report["metrics"]
    lines = [
        f"# linernotes eval: {report['suite']}",
        "",
        f"Run `{report['run']}` on catalog `{report.get('catalog', '?')}`, "
        f"planner `{report.get('planner', '?')}`.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| turns passed | {m['passed']} / {m['turns']} ({_pct(m['pass_rate'])}) |",
        f"| trajectory match rate | {_pct(m['trajectory_match_rate'])} "
        f"({m['trajectory_checked']} turns checked) |",
        f"| route accuracy | {_pct(m['route_accuracy'])} |",
        f"| picks satisfying what was asked | {_pct(m.get('picks_satisfying'))} "
        f"({m.get('picks_checked', 0)} picks checked) |",
        "",
        "## Requests understood, by kind",
        "",
        "| kind | passed | turns | rate |",
        "|---|---|---|---|",
        *[
            f"| {k} | {v['passed']} | {v['turns']} | {_pct(v['rate'])} |"
            for k, v in m.get("kinds", {}).items()
        ],
        "",
        "## Pick precision by label",
        "",
        "| condition | precision | tracks checked |",
        "|---|---|---|",
    ]
    for key, value in sorted(m["pick_precision"].items()):
        lines.append(f"| `{key}` | {_pct(value)} | {m['pick_counts'][key]} |")
    lines += ["", "## Latency (ms)", "", "| step | median | p95 | n |", "|---|---|---|---|"]
    for name, t in m["latency_ms"].items():
        lines.append(f"| {name} | {t['median']} | {t['p95']} | {t['n']} |")
    lines += ["", "## Conversations", ""]
    for name, c in m["conversations"].items():
        lines += [f"### {name}: {c['passed']}/{c['turns']}", ""]
        lines += ["| # | said | route | tools | ok | why not |", "|---|---|---|---|---|---|"]
        for r in (t for t in report["turns"] if t["conversation"] == name):
            said = r["say"].replace("|", "\\|")
            why = "; ".join(r["failures"]).replace("|", "\\|")
            ok = "pass" if r["passed"] else "FAIL"
            lines.append(
                f"| {r['turn']} | {said} | {r['route']} | {', '.join(r['tools'])} | {ok} | {why} |"
            )
        lines.append("")
    lines.append(f"![latency and pass rate]({PLOT})")
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> Path:
    """Latency per step (median, p95 whisker) and pass rate per conversation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = report["metrics"]
    names = [n for n in m["latency_ms"] if n != "turn (wall)"] + ["turn (wall)"]
    med = [m["latency_ms"][n]["median"] for n in names]
    p95 = [m["latency_ms"][n]["p95"] for n in names]
    groups = m["conversations"]
    if len(groups) > 20 and m.get("kinds"):  # a request suite: one bar per kind
        groups = m["kinds"]
    convs = list(groups)
    rates = [groups[c]["passed"] / groups[c]["turns"] for c in convs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    y = range(len(names))
    above = [max(0.0, b - a) for a, b in zip(med, p95, strict=True)]
    left.barh(y, med, xerr=[[0.0] * len(med), above], color="#4c72b0", capsize=3)
    left.set_yticks(list(y), names)
    left.invert_yaxis()
    left.set_xscale("symlog", linthresh=1.0)
    left.set_xlabel("ms (bar: median, whisker: p95)")
    left.set_title("Latency per node and tool")
    right.barh(range(len(convs)), rates, color=["#55a868" if r == 1 else "#c44e52" for r in rates])
    right.set_yticks(list(range(len(convs))), convs, parse_math=False)  # names are data
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.set_xlabel("turns passed")
    right.set_title(f"Pass rate {_pct(m['pass_rate'])} ({m['passed']}/{m['turns']} turns)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write report.md, report.json and report.png into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    paths["plot"] = plot(report, out_dir / PLOT)
    return paths
