"""Warm offline chat-turn latency on the demo catalog (p50/p95), with baselines in the same run.

    .venv/bin/python bench/turn.py [--catalog DIR] [--cache DIR] [--rounds 5]

Each round plays the same 12-turn conversation in a fresh thread (recommend, swap for
calmer, why, sticky "no vocals", make it 10, more, remove, describe, show, chat,
export, a new request) through ``agent.run.ask`` with the offline planner: everything a
turn costs, checkpoint and trace writes included. Per round it takes p50 and p95 over
the turns and per route; the figures reported are the medians over rounds, so one
noisy round on a shared machine does not decide them. Baselines, measured in the same
run on the same anchors:

* ``retrieval_only``: the anchor's audio neighbours alone (``similar_to_track``), the
  floor every recommending turn is built on;
* ``unthreaded_recommend``: the first turn asked without a thread (no checkpointer),
  what the thread store adds to a turn.

Without --catalog, the 120-track demo is rendered and ingested into --cache (kept
between runs). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linernotes.agent.run import ask, session_for
from linernotes.tools.catalog.search import similar_to_track
from linernotes.tools.settings import load_settings

TURNS = (
    ("recommend", "more like {title} but for studying"),
    ("swap", "swap #3 for something calmer"),
    ("explain", "why #2?"),
    ("sticky", "no vocals from now on"),
    ("resize", "make it 10"),
    ("more", "give me two more"),
    ("remove", "remove that last one"),
    ("describe", "describe #1"),
    ("show", "show the playlist"),
    ("chat", "thanks!"),
    ("export", "export the playlist as m3u to {out}"),
    ("recommend", "something to read to"),
)
STYLES = ("lo-fi hip-hop", "ambient", "techno", "jazz piano trio", "acoustic folk", "reggae")


def demo_catalog(cache: Path) -> tuple[Path, Path]:
    """Render and ingest the demo into ``cache`` (idempotent); return (catalog, manifest)."""
    from linernotes.tools.demo import build_demo
    from linernotes.tools.ingest.pipeline import ingest

    manifest = build_demo(cache / "demo-audio", n_tracks=120, seed=0, progress=True)
    folder = cache / "catalog"
    ingest([manifest.parent], load_settings(catalog=folder), progress=True)
    return folder, manifest


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="an ingested demo catalog (else built)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ln-bench")
    parser.add_argument("--rounds", type=int, default=5, help="conversations played")
    args = parser.parse_args()

    if args.catalog:
        folder, manifest = args.catalog, args.catalog.parent / "demo-audio" / "manifest.csv"
    else:
        folder, manifest = demo_catalog(args.cache)
    settings = load_settings(catalog=folder)
    from linernotes.tools.demo import read_manifest

    rows = read_manifest(manifest)
    anchors = [next(r["title"] for r in rows if r["style"] == s) for s in STYLES]
    out_dir = Path(tempfile.mkdtemp(prefix="ln-turn-"))

    start = time.perf_counter()
    session = session_for(settings)
    ask(TURNS[0][1].format(title=anchors[0]), settings)  # cold: models, store, graph
    cold_ms = (time.perf_counter() - start) * 1000
    for _, text in TURNS:  # warm every path once (the first thread, the first export...)
        ask(text.format(title=anchors[0], out=out_dir / "warm.m3u"), settings, thread="warm")

    rounds: list[dict[str, float]] = []
    for r in range(args.rounds):
        title = anchors[r % len(anchors)]
        thread = f"bench-{uuid.uuid4().hex[:8]}"
        times: dict[str, list[float]] = {}
        for route, text in TURNS:
            msg = text.format(title=title, out=out_dir / f"{thread}.m3u")
            times.setdefault(route, []).append(ms(ask, msg, settings, thread=thread))
        every = [t for v in times.values() for t in v]
        anchor = session.catalog.resolve(title)
        cat, be = session.catalog, session.backends
        base = [ms(similar_to_track, cat, anchor, 60, backends=be) for _ in range(5)]
        first = TURNS[0][1].format(title=title)
        plain = [ms(ask, first, settings) for _ in range(3)]
        row = {
            "p50": statistics.median(every),
            "p95": pct(every, 0.95),
            "retrieval_only": statistics.median(base),
            "unthreaded": statistics.median(plain),
        }
        row.update({f"route:{k}": statistics.median(v) for k, v in times.items()})
        rounds.append(row)
        print(f"round {r + 1}: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms ({title})")

    def med(key: str) -> float:
        return round(statistics.median(x[key] for x in rounds), 1)

    figures = {
        "catalog": str(folder),
        "tracks": len(session.catalog),
        "rounds": args.rounds,
        "turns_per_round": len(TURNS),
        "cold_first_ms": round(cold_ms, 1),
        "turn_p50_ms": med("p50"),
        "turn_p95_ms": med("p95"),
        "baseline_retrieval_only_ms": med("retrieval_only"),
        "baseline_unthreaded_recommend_ms": med("unthreaded"),
        "by_route_ms": {k[6:]: med(k) for k in rounds[0] if k.startswith("route:")},
    }
    print(
        "\nby route (median ms): "
        + ", ".join(f"{k} {v}" for k, v in figures["by_route_ms"].items())
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
