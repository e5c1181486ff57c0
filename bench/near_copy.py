"""Lossy copies of catalog songs: is the spectrogram check right, and what does it cost?

Needs ``make real-corpus`` first and ``ffmpeg`` (the encoders people use). For every track
of 20 s to 7 min in a split, two re-encodes are made: MP3 128 kb/s (LAME) and OGG Vorbis
q1 mono 32 kHz (a poor phone copy). ``same_audio_score`` compares each with its original
(should pass ``SAME_AUDIO_MIN``) and each original with the next two tracks of its own
package (same game or album, the hardest other songs; should not). ``SAME_AUDIO_MIN`` was
set on DEVELOPMENT packages; HELD-OUT is the honest figure. Cost: median time of one check
against the median time ``analyse_path`` takes on the same file (what an upload already
pays), measured in the same run.

    .venv/bin/python bench/near_copy.py [--corpus DIR] [--limit 60]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linernotes.tools.analysis.same_audio import same_audio_score
from linernotes.tools.catalog.search import SAME_AUDIO_MIN
from linernotes.tools.ingest.worker import analyse_path
from linernotes.tools.realcorpus.build import default_out, read_manifest

ENCODINGS = {
    "mp3_128k": ["-b:a", "128k"],
    "ogg_q1_mono": ["-c:a", "libvorbis", "-q:a", "1", "-ar", "32000", "-ac", "1"],
}


def encode(src: Path, out: Path, args: list[str]) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(out)], check=True)
    return out


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def run_split(rows: list[dict[str, str]], corpus: Path, tmp: Path) -> dict[str, object]:
    paths = [corpus / r["path"] for r in rows]
    lengths = [sf.info(p).duration for p in paths]
    same: dict[str, list[float]] = {k: [] for k in ENCODINGS}
    other: list[float] = []
    check_s, analyse_s = [], []
    for i, (src, length) in enumerate(zip(paths, lengths, strict=True)):
        for name, args in ENCODINGS.items():
            copy = encode(src, tmp / f"copy.{name.split('_')[0]}", args)
            score, seconds = timed(same_audio_score, src, copy, length)
            same[name].append(score)
            check_s.append(seconds)
        package = rows[i]["package"]
        mates = [j for j in range(i + 1, len(rows)) if rows[j]["package"] == package][:2]
        other += [same_audio_score(src, paths[j], min(length, lengths[j])) for j in mates]
        _, seconds = timed(analyse_path, str(src), 1200.0)
        analyse_s.append(seconds)
        print(f"  {i + 1}/{len(rows)} {rows[i]['title'][:30]}: "
              + " ".join(f"{k} {v[-1]:.3f}" for k, v in same.items()), flush=True)  # fmt: skip
    check, analyse = statistics.median(check_s), statistics.median(analyse_s)
    return {
        "tracks": len(rows),
        **{
            f"{k}_recognised": round(sum(s >= SAME_AUDIO_MIN for s in v) / len(v), 3)
            for k, v in same.items()
        },
        **{f"{k}_min_score": round(min(v), 3) for k, v in same.items()},
        "other_song_pairs": len(other),
        "other_song_false_matches": sum(s >= SAME_AUDIO_MIN for s in other),
        "other_song_max_score": round(max(other), 3) if other else None,
        "check_ms_median": round(1000 * check, 1),
        "analyse_upload_ms_median": round(1000 * analyse, 1),
        "check_vs_analyse": round(check / analyse, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=60, help="tracks per split")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print(json.dumps({"ffmpeg": False}))
        return
    corpus = args.corpus or default_out()
    rows = read_manifest(corpus)
    figures: dict[str, object] = {"same_audio_min": SAME_AUDIO_MIN}
    with tempfile.TemporaryDirectory() as tmp:
        for split in ("dev", "heldout"):
            chosen = [r for r in rows if r["split"] == split
                      and 20 <= float(r["duration_s"] or 0) <= 420][: args.limit]  # fmt: skip
            print(f"{split}: {len(chosen)} tracks", flush=True)
            figures[split] = run_split(chosen, corpus, Path(tmp))
            print(f"{split}: {figures[split]}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
