"""The feedback-loop report: before/after on held-out anchors, with its spread over seeds.

Written by ``linernotes train-adapter --report DIR`` and ``linernotes mine-report DIR``
as ``report.md`` (tables a reviewer can diff), ``report.json`` (the raw per-seed numbers)
and ``report.png`` (one panel per metric: mean with standard deviation over seeds, and
every seed as a dot, so the spread is seen and not only summarised).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.feedback.mining_eval import APPROVE, METRICS, Experiment

LABELS = {
    "judge_at_10": "mean judge score of the top-10",
    "overlap_at_10": "top-10 overlap with the judge's top-10",
    "recall_at_10": f"recall@10 of judge-approved tracks (score >= {APPROVE})",
    "triplet_acc": "held-out triplet accuracy",
}

WHY_CONTEXT_FREE = """\
The judge was asked for context-free similarity ("how well does this track go with the
anchor"), not for one listening context. One embedding space serves every request, and
the listening context is applied after retrieval (metadata filters and the judge's
context gate). Mining for "studying" makes calm tracks the positive for every anchor,
so the space learns "calm is close to everything": better for studying requests,
worse for running ones. Context-free verdicts are the part of the judge an anchor's
neighbourhood can agree with for every context, so that is what the fast path is
trained toward. The judge never sees the embedding's similarity while mining, so the
target cannot drift with the adapter."""


def _fmt(stat: dict[str, float]) -> str:
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def _bars(ax: Any, groups: list[list[float]], colours: list[str]) -> None:
    """Bars at the mean with std error bars, and every value as a dot."""
    x = np.arange(len(groups))
    means = [float(np.nanmean(v)) if len(v) else np.nan for v in groups]
    stds = [float(np.nanstd(v)) if len(v) else 0.0 for v in groups]
    ax.bar(x, means, yerr=stds, color=colours, alpha=0.75, capsize=4)
    for i, vals in enumerate(groups):
        jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
        ax.scatter(i + jitter, vals, s=12, color="black", zorder=3)


def plot(exp: Experiment, path: Path) -> Path:
    """One panel per metric: bars = mean over seeds, error bars = std, dots = seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = exp.stages()
    fig, axes = plt.subplots(1, len(METRICS) + 1, figsize=(4.0 * (len(METRICS) + 1), 3.8))
    colours = ["#9e9e9e", *["#1f77b4"] * exp.rounds, "#d62728"]
    for ax, metric in zip(axes, METRICS, strict=False):
        per_stage = [[s.metrics[st][metric] for s in exp.seeds] for st in stages]
        _bars(ax, per_stage, colours)
        ax.set_xticks(np.arange(len(stages)), stages, rotation=20)
        ax.set_title(LABELS[metric], fontsize=9)
        finite = [v for vals in per_stage for v in vals if np.isfinite(v)]
        lo = min(finite, default=0.0)
        ax.set_ylim(max(0.0, lo - 0.1), min(1.0, max(finite, default=1.0) + 0.05))
    # Paired view: the change of each seed against its own base, which the seed-to-seed
    # spread of the absolute values above would otherwise hide.
    ax = axes[-1]
    last = f"round{exp.rounds}"
    groups = [exp.gain(m, stage) for m in METRICS for stage in (last, "shuffled")]
    _bars(ax, groups, ["#1f77b4", "#d62728"] * len(METRICS))
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(0.5, 2 * len(METRICS), 2), [m.split("_")[0] for m in METRICS])
    ax.set_title(f"change vs base per seed ({last} blue, shuffled red)", fontsize=9)
    fig.suptitle(
        f"held-out anchors ({exp.held_out} of {exp.n_tracks} tracks), "
        f"{len(exp.seeds)} seeds, {exp.kind} adapter",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def markdown(exp: Experiment, meta: dict[str, Any], image: str) -> str:
    """The report text: protocol, the table with spreads, gains, the catalog's history."""
    summary = exp.summary()
    stages = exp.stages()
    gains = np.array(exp.gain(), dtype=np.float64)
    control = np.array(exp.gain(stage="shuffled"), dtype=np.float64)
    ceiling = np.array([s.ceiling for s in exp.seeds], dtype=np.float64)
    base = np.array([s.metrics["base"]["judge_at_10"] for s in exp.seeds], dtype=np.float64)
    closed = gains / np.maximum(ceiling - base, 1e-9)
    lines = [
        "# Feedback loop: hard-negative mining and an embedding adapter",
        "",
        f"- catalog: `{meta.get('catalog', '')}` ({exp.n_tracks} tracks), base space "
        f"`{meta.get('base_space', '')}`, judge `{meta.get('judge', '')}`",
        f"- judged for: {exp.context or 'context-free similarity'}; "
        f"mining: {json.dumps(exp.mining)}",
        f"- protocol: per seed, {exp.held_out} tracks are held out as evaluation anchors "
        f"(never mined); {exp.rounds} round(s) of mine -> train on the others; a control "
        "adapter is trained on the same triplets with positive/negative shuffled",
        f"- seeds: {[s.seed for s in exp.seeds]}; triplets per round (per seed): "
        f"{[s.triplets for s in exp.seeds]}; judging took {exp.judge_seconds:.1f} s",
        "",
        "## Held-out anchors, mean ± std over seeds",
        "",
        "| metric | " + " | ".join(stages) + " |",
        "|---|" + "---|" * len(stages),
    ]
    for m in METRICS:
        lines.append(f"| {LABELS[m]} | " + " | ".join(_fmt(summary[s][m]) for s in stages) + " |")
    lines += [
        "",
        f"Gain in mean judge score of the top-10 after round {exp.rounds}: "
        f"**{gains.mean():+.3f} ± {gains.std():.3f}** (per seed: "
        f"{', '.join(f'{g:+.3f}' for g in gains)}); shuffled-label control: "
        f"{control.mean():+.3f} ± {control.std():.3f}. The judge's own top-10 scores "
        f"{ceiling.mean():.3f} on the same anchors, so {exp.rounds} round(s) close "
        f"{100 * closed.mean():.0f}% ± {100 * closed.std():.0f}% of the gap between the "
        "embedding's top-10 and the judge's.",
        "",
        f"![before/after]({image})",
        "",
        "## Training time",
        "",
        f"Seconds per training run (per seed and round): {[s.train_seconds for s in exp.seeds]}.",
        "",
        "## Rounds run on this catalog",
        "",
        f"- mining rounds stored: {meta.get('mining_rounds', 0)}; triplets stored: "
        f"{meta.get('triplets', 0)}",
        f"- active space: `{meta.get('active_space', '')}`",
    ]
    for card in meta.get("adapters", []):
        lines.append(
            f"- adapter {card['version']} ({card['kind']}, seed {card['seed']}, "
            f"{card['triplets']} triplets, rounds {card['rounds']}): "
            + ", ".join(f"{k} {v:.3f}" for k, v in sorted(card["metrics"].items()))
        )
    lines += ["", "## Why context-free judging", "", WHY_CONTEXT_FREE, ""]
    if exp.cross:
        names = list(exp.cross)
        lines += [
            "Measured (judge@10 gain on held-out anchors, mean ± std over seeds; rows: "
            "the context mined for, columns: the context the judge scores for):",
            "",
            "| mined for \\ judged for | " + " | ".join(n or "none" for n in names) + " |",
            "|---|" + "---|" * len(names),
        ]
        for mined in names:
            cells = []
            for judged in names:
                v = np.array(exp.cross[mined][judged], dtype=np.float64)
                cells.append(f"{v.mean():+.3f} ± {v.std():.3f}" if len(v) else "n/a")
            lines.append(f"| {mined or 'none'} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_report(exp: Experiment, folder: Path, meta: dict[str, Any] | None = None) -> Path:
    """Write ``report.md``, ``report.json`` and ``report.png`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = meta or {}
    plot(exp, folder / "report.png")
    (folder / "report.json").write_text(
        json.dumps({"experiment": exp.to_json(), "catalog": meta}, indent=2, default=str) + "\n"
    )
    path = folder / "report.md"
    path.write_text(markdown(exp, meta, "report.png"))
    return path
