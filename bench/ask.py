"""Cold and warm ``linernotes ask`` on the demo catalog, against the torch path in the same run.

    .venv/bin/python bench/ask.py [--catalog DIR] [--cache DIR] [--runs 3] [--warm 8]

A CLI call is a new process: its cost is interpreter start, imports, catalog open, model
load and one turn. Target: cold free-text ``ask`` <= 2.5 s. Each figure is the median
over --runs fresh processes, for two requests:

* ``anchored``: "more like <title> but for studying" (the context matches by keyword);
* ``free``: "something to read to" (the text embedder reads the words).

Two text-embedder paths, each in its own processes, in the same run:

* ``onnx``: what ships (``tools.embed.minilm_onnx``: the packaged MiniLM through
  onnxruntime + tokenizers, exported once into the user cache; no torch import);
* ``torch`` (baseline): the same weights through sentence-transformers and torch, the
  path this replaced, registered for the bench as text embedder ``minilm-torch`` (same
  space, so it reads the same catalog). Needs the dev group's sentence-transformers;
  skipped without it.

Per process: wall time from spawn to the end of the cold ask's output and the CPU time
it took (on a busy machine wall time waits for cores; CPU time does not), then --warm
in-process asks of the same kind (p50), and the process's peak RSS at the end. Without
--catalog the 120-track demo is rendered and ingested into --cache (kept between runs).
On a shared machine compare the two paths' figures of one run. The last line is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_COLD_FREE_S = 2.5
FREE = (
    "something to read to",
    "music to fall asleep to",
    "instrumental tracks for a dinner party under 110 bpm",
    "dark techno for the gym",
)
ANCHORED = ("more like {title} but for studying", "more like {title}", "{title} but calmer")


def demo_catalog(cache: Path) -> Path:
    """Render and ingest the demo into ``cache`` (idempotent: reruns reuse it)."""
    from linernotes.tools.demo import build_demo
    from linernotes.tools.ingest.pipeline import ingest
    from linernotes.tools.settings import load_settings

    manifest = build_demo(cache / "demo-audio", n_tracks=120, seed=0, progress=True)
    folder = cache / "catalog"
    ingest([manifest.parent], load_settings(catalog=folder), progress=True)
    return folder


def register_torch_minilm() -> None:
    """The baseline: MiniLM through sentence-transformers, as ``minilm-torch``."""
    from linernotes.tools.registry import TEXT_EMBEDDERS

    class TorchMiniLM:
        space, dim = "minilm-l6-v2", 384

        def __init__(self, settings: object) -> None:
            self.model = None

        def embed(self, texts: list[str]):
            import numpy as np

            if self.model is None:
                from sentence_transformers import SentenceTransformer

                from linernotes.tools.embed.minilm_onnx import model_dir

                self.model = SentenceTransformer(str(model_dir()), device="cpu")
            if not texts:
                return np.zeros((0, 384), np.float32)
            vecs = self.model.encode(list(texts), normalize_embeddings=True)
            return np.asarray(vecs, np.float32)

    TEXT_EMBEDDERS.register("minilm-torch", TorchMiniLM)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(path: str, texts: list[str], warm: int) -> None:
    """One process: a cold CLI ask, then ``warm`` in-process asks; prints JSON."""
    if path == "torch":
        register_torch_minilm()
        os.environ["LINERNOTES_TEXT_EMBEDDER"] = "minilm-torch"
    from linernotes.ui.cli import main

    with open(os.devnull, "w") as sink:
        out, sys.stdout = sys.stdout, sink
        try:
            rc = main(["ask", texts[0], "--json"])
        finally:
            sys.stdout = out
    cold_end = time.time()  # the parent subtracts its spawn time: the cold ask as felt
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    cold_cpu = used.ru_utime + used.ru_stime  # what the cold ask cost the CPU, load or not
    from linernotes.agent.run import ask
    from linernotes.tools.settings import load_settings

    settings, times = load_settings(), []
    for i in range(warm):
        t0 = time.perf_counter()
        ask(texts[1 + i % (len(texts) - 1)], settings)
        times.append((time.perf_counter() - t0) * 1000)
    peak_mb = peak_rss_mb()
    torch_loaded = "torch" in sys.modules
    print(json.dumps({"rc": rc, "warm_ms": times, "torch_imported": torch_loaded,
                      "peak_rss_mb": peak_mb, "cold_end": cold_end,
                      "cold_cpu_s": cold_cpu}))  # fmt: skip


def run_child(path: str, texts: list[str], warm: int, catalog: Path) -> dict:
    """Spawn one child; its cold wall time (spawn to cold answer) and what it printed."""
    env = {**os.environ, "LINERNOTES_CATALOG": str(catalog), "PYTHONPATH": str(ROOT)}
    env.pop("LINERNOTES_TEXT_EMBEDDER", None)
    cmd = [sys.executable, __file__, "--child", path, "--warm", str(warm), "--", *texts]
    spawned = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{path} child failed: {err.decode()[-2000:]}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    report["wall_s"] = report["cold_end"] - spawned
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="an ingested catalog (else the demo)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ln-bench")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per figure")
    parser.add_argument("--warm", type=int, default=8, help="in-process asks after the cold one")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("texts", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.texts, args.warm)
        return

    sys.path.insert(0, str(ROOT))
    folder = args.catalog or demo_catalog(args.cache)
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.embed.minilm_onnx import load
    from linernotes.tools.settings import load_settings

    load()  # the one-time export, if this machine has none yet: not part of a cold start
    tracks = open_catalog(load_settings(catalog=folder), create=False).tracks()
    titles = [t.title for t in tracks[:: max(1, len(tracks) // 8)][:8]]
    kinds = {
        "anchored": [tpl.format(title=t) for t in titles for tpl in ANCHORED],
        "free": list(FREE),
    }
    try:
        import sentence_transformers  # noqa: F401

        paths = ["onnx", "torch"]
    except ModuleNotFoundError:
        paths = ["onnx"]

    report: dict = {"bench": "ask", "catalog_tracks": len(tracks), "runs": args.runs}
    for kind, texts in kinds.items():
        for path in paths:
            runs = [run_child(path, texts, args.warm, folder) for _ in range(args.runs)]
            key = f"{kind}_{path}"
            report[f"{key}_cold_s"] = round(statistics.median(r["wall_s"] for r in runs), 2)
            cpu = statistics.median(r["cold_cpu_s"] for r in runs)
            report[f"{key}_cold_cpu_s"] = round(cpu, 2)
            warm = [ms for r in runs for ms in r["warm_ms"]]
            report[f"{key}_warm_p50_ms"] = round(statistics.median(warm), 1) if warm else None
            report[f"{key}_imports_torch"] = any(r["torch_imported"] for r in runs)
            peak = statistics.median(r["peak_rss_mb"] for r in runs)
            report[f"{key}_peak_rss_mb"] = round(peak, 1)
            print(f"{key:<16} cold {report[f'{key}_cold_s']:>6} s (cpu {cpu:.2f} s)   warm p50 "
                  f"{report[f'{key}_warm_p50_ms']} ms", flush=True)  # fmt: skip
    if "torch" in paths:
        for kind in kinds:
            report[f"{kind}_cold_ratio"] = round(
                report[f"{kind}_onnx_cold_s"] / report[f"{kind}_torch_cold_s"], 3
            )
    report["target_cold_free_s"] = TARGET_COLD_FREE_S
    report["meets_target"] = report["free_onnx_cold_s"] <= TARGET_COLD_FREE_S
    report["meets_target_cpu"] = report["free_onnx_cold_cpu_s"] <= TARGET_COLD_FREE_S
    print(json.dumps(report))


if __name__ == "__main__":
    main()
