"""Warm ``ask`` latency on the demo catalog (p50/p95), with baselines from the same run.

    .venv/bin/python bench/ask.py [--catalog DIR] [--cache DIR] [--rounds 3]

A chat turn must feel instant once the process is warm: target p95 <= 300 ms for a full
turn (understand -> retrieve -> judge -> respond). Reported in the same run:

* ``cold_first_ms``: the first call of the process (catalog open, models loaded, graph
  compiled): what caching per process saves on every later call;
* ``retrieval_only``: the same anchors' plain searches (``similar_to_track`` and
  ``search_text``, no understanding, no judging): the floor a turn is built on;
* ``understand``: the rules reasoner alone (target < 30 ms).

Requests vary: anchor + context, context only, constraints, counts, no anchor. Without
--catalog, the 120-track demo is rendered and ingested into --cache (kept between runs;
default: a folder under the system temp dir). Wall-clock times; the machine may be shared,
so p95 carries its noise. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linernotes.agent.run import ask, session_for
from linernotes.tools.catalog.search import search_text, similar_to_track
from linernotes.tools.settings import load_settings

TARGET_P95_MS = 300.0
TEMPLATES = (
    "more like {title} but for studying",
    "more like {title} but for a run",
    "more like {title}",
    "give me five calmer ones like {title}",
    "10 tracks like {title} with no vocals",
    "something like {title} for hitting the gym",
)
FREE = (
    "something to read to",
    "music to fall asleep to",
    "instrumental tracks for a dinner party under 110 bpm",
    "dark techno for the gym",
    "calm piano, not too loud",
)


def demo_catalog(cache: Path) -> Path:
    """Render and ingest the demo into ``cache`` (idempotent: reruns reuse it)."""
    from linernotes.tools.demo import build_demo
    from linernotes.tools.ingest.pipeline import ingest

    manifest = build_demo(cache / "demo-audio", n_tracks=120, seed=0, progress=True)
    folder = cache / "catalog"
    ingest([manifest.parent], load_settings(catalog=folder), progress=True)
    return folder


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) by nearest rank, in ms rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="an ingested catalog (else the demo)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ln-bench")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the requests")
    args = parser.parse_args()

    folder = args.catalog or demo_catalog(args.cache)
    settings = load_settings(catalog=folder)

    start = time.perf_counter()
    first = ask("something to read to", settings)
    cold_ms = (time.perf_counter() - start) * 1000
    session = session_for(settings)
    tracks = session.catalog.tracks()
    step = max(1, len(tracks) // 8)
    titles = [t.title for t in tracks[::step][:8]]
    requests = [tpl.format(title=t) for t in titles for tpl in TEMPLATES[:3]]
    requests += [TEMPLATES[3 + i % 3].format(title=t) for i, t in enumerate(titles)]
    requests += list(FREE)

    warm, understand, retrieval, picks = [], [], [], []
    for _ in range(args.rounds):
        for text in requests:
            t0 = time.perf_counter()
            answer = ask(text, settings)
            warm.append((time.perf_counter() - t0) * 1000)
            picks.append(len(answer.picks))
            t0 = time.perf_counter()
            session.reasoner.understand(text, catalog=session.catalog)
            understand.append((time.perf_counter() - t0) * 1000)
        for track in tracks[::step][:8]:
            t0 = time.perf_counter()
            similar_to_track(session.catalog, track, settings.candidates_k)
            search_text(
                session.catalog, "calm piano", settings.candidates_k, backends=session.backends
            )
            retrieval.append((time.perf_counter() - t0) * 1000)

    report = {
        "bench": "ask",
        "catalog_tracks": len(tracks),
        "requests": len(requests),
        "calls": len(warm),
        "backends": first.backends,
        "cold_first_ms": round(cold_ms, 1),
        "warm_p50_ms": pct(warm, 0.5),
        "warm_p95_ms": pct(warm, 0.95),
        "warm_max_ms": round(max(warm), 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": pct(warm, 0.95) <= TARGET_P95_MS,
        "retrieval_only_p50_ms": pct(retrieval, 0.5),
        "retrieval_only_p95_ms": pct(retrieval, 0.95),
        "understand_p50_ms": pct(understand, 0.5),
        "understand_p95_ms": pct(understand, 0.95),
        "mean_picks": round(statistics.mean(picks), 2),
    }
    for key in ("cold_first_ms", "warm_p50_ms", "warm_p95_ms", "retrieval_only_p50_ms"):
        print(f"{key:<24} {report[key]}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
