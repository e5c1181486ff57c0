"""Benchmark the audio listener's client side: request building and throughput.

Two figures, both independent of any model's speed:

1. overhead per track (decode excerpts, resample to 16 kHz, WAV-encode, base64, build the
   JSON body) against the track's duration, for the qwen2-audio preset;
2. tracks per second against a local OpenAI-compatible server that answers instantly
   (tests/fake_openai_server.py), 30 s tracks, caption + LLM extraction per track.
   Target: >= 20 tracks/s, so the client never limits a vLLM server.

Usage: ``.venv/bin/python bench/listen.py [--tracks 60] [--concurrency 16]``.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_openai_server import FakeOpenAIServer  # noqa: E402

from linernotes.tools.listen.openai_audio import OpenAIAudioListener  # noqa: E402
from linernotes.tools.listen.presets import PRESETS  # noqa: E402
from linernotes.tools.reason.openai_chat import OpenAIChat  # noqa: E402
from linernotes.tools.schemas import Measurements, Tags  # noqa: E402

M = Measurements(
    duration_s=30, tempo_bpm=120, tempo_confidence=0.8, key="C", mode="major",
    key_confidence=0.6, loudness_db=-12, energy=0.6, brightness_hz=2500, percussiveness=0.5,
    dynamics_db=8, onset_rate=4, voice_probability=0.8,
)  # fmt: skip
SUMMARY = json.dumps(
    {"description": "An upbeat pop song.", "energy_level": "high", "tempo": "fast",
     "vocals": "female vocals", "genre": "pop"}
)  # fmt: skip


def write_track(path: Path, seconds: float, seed: int = 0, sr: int = 44100) -> Path:
    """A stereo 44.1 kHz 16-bit track: a chord plus noise (never silent)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (220, 277, 330))
    y = y + 0.02 * rng.standard_normal(t.size)
    sf.write(path, np.stack([y, y], 1).astype(np.float32), sr, subtype="PCM_16")
    return path


def listener(url: str, concurrency: int) -> OpenAIAudioListener:
    preset = PRESETS["qwen2-audio"]
    chat = OpenAIChat(url, preset.model, timeout_s=60)
    ext = OpenAIChat(url, "Qwen/Qwen3-8B", timeout_s=60)
    return OpenAIAudioListener(chat, preset, extractor=ext, concurrency=concurrency)


def overhead(folder: Path, durations: list[float], repeats: int = 3) -> list[dict]:
    """Seconds to build every request body of one track, by track duration."""
    lst = listener("http://127.0.0.1:9/v1", 1)
    rows = []
    for d in durations:
        path = write_track(folder / f"len{int(d)}.wav", d)
        best = cpu = float("inf")
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            wavs, _ = lst.clips(path)
            bodies = [
                json.dumps(lst.chat.build_body(lst.messages(w, i, len(wavs))))
                for i, w in enumerate(wavs)
            ]
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        mb = sum(len(b) for b in bodies) / 2**20
        rows.append({"duration_s": d, "excerpts": len(wavs), "wall_ms": round(best * 1e3, 1),
                     "cpu_ms": round(cpu * 1e3, 1), "request_mb": round(mb, 2)})  # fmt: skip
        print(f"  {d:6.0f} s track: {len(wavs)} excerpt(s), {best * 1e3:7.1f} ms wall, "
              f"{cpu * 1e3:7.1f} ms CPU, {mb:5.2f} MB")  # fmt: skip
    return rows


def throughput(folder: Path, n: int, concurrency: int) -> dict:
    """Tracks per second through an instantly answering local server."""
    paths = [write_track(folder / f"t{i}.wav", 30.0, seed=i) for i in range(n)]
    ctx = mp.get_context("spawn")
    urls: Any = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(urls, stop), daemon=True)
    server.start()  # its own process: the server's work is not billed to the client
    try:
        url = urls.get(timeout=60)
        lst = listener(url, concurrency)
        lst.listen_many([(paths[0], M, Tags())])  # warm-up (imports, prompt cache)
        t0, c0 = time.perf_counter(), time.process_time()
        results = lst.listen_many([(p, M, Tags()) for p in paths])
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        stop.set()
        server.join(timeout=10)
    ok = sum(1 for r in results if not isinstance(r, Exception))
    rate = ok / dt
    print(
        f"  {ok}/{n} tracks in {dt:.2f} s: {rate:.1f} tracks/s; client CPU "
        f"{cpu / n * 1e3:.1f} ms per track ({1 / max(cpu / n, 1e-9):.0f} tracks/s per core)"
    )
    return {"tracks": n, "ok": ok, "seconds": round(dt, 3), "tracks_per_s": round(rate, 1),
            "client_cpu_ms_per_track": round(cpu / n * 1e3, 1),
            "tracks_per_cpu_s": round(n / max(cpu, 1e-9), 1),
            "concurrency": concurrency}  # fmt: skip


def serve(urls: Any, stop: Any) -> None:
    """Child process: run the instant server until told to stop."""
    with FakeOpenAIServer(default=SUMMARY, record=False) as srv:
        urls.put(srv.url)
        stop.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("request building per track (qwen2-audio preset: 16 kHz, <= 3 x 30 s):")
        rows = overhead(folder, [10.0, 30.0, 60.0, 180.0])
        print(f"throughput against an instant local server ({args.tracks} x 30 s tracks):")
        tp = throughput(folder, args.tracks, args.concurrency)
    result = {"bench": "listen", "overhead": rows, "throughput": tp, "cpus": os.cpu_count(),
              "load_avg_1m": round(os.getloadavg()[0], 1),
              "target_tracks_per_s": 20, "meets_target": tp["tracks_per_s"] >= 20}  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
