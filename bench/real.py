"""Real music: retrieval, tempo, key, voice and ingest speed on the Debian real-music corpus.

Needs ``make real-corpus`` first (it downloads). Packages are split into DEVELOPMENT and
HELD-OUT (fixed lists in ``linernotes.tools.realcorpus.packages``); the acoustic-v2/v3 spaces
are fitted on development packages only, so the held-out figures are the honest ones.

Retrieval, per split: every track of 70 s or more gives two neighbouring 30 s segments
around its middle, 2 s apart. Each first segment is a query against all other segments of that
split; same-track recall@5 = the track's second segment is in the top 5; same-package
precision@5 = share of the top 5 (the query's own track left out) from the query's
package. Each space is searched by cosine over L2-normalised vectors, exactly what the
catalog's Chroma collection (cosine space) returns for ``linernotes search --like``. The
baseline, computed in the same run on the same segments: MFCC(20) mean/std + chroma mean
(librosa), standardised over the split, cosine.

Tempo and key: the first segment's measurements against what tracker-module headers and
MIDI files state (within 4 %; x2 / x0.5 "octave" errors counted apart). Voice: tracks whose
tags say vocal or instrumental, and MIDI renders with no voice-like program (instrumental
by construction; the manifest's ``voice`` column). Ingest: full-length held-out tracks through
``linernotes ingest``'s pipeline into a temporary catalog, several runs, median.

    .venv/bin/python bench/real.py [--corpus DIR] [--jobs 2] [--ingest-tracks 12] [--runs 3]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linernotes.tools.analysis.measure import analyse_file
from linernotes.tools.audio import read_tags
from linernotes.tools.embed.acoustic import AcousticEmbedder
from linernotes.tools.embed.acoustic_v2 import SPACES, FittedAcousticEmbedder
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.listen.factcheck import fact_check
from linernotes.tools.listen.mir import MirListener
from linernotes.tools.realcorpus.build import default_out, read_manifest
from linernotes.tools.realcorpus.segments import Segment, load_segments
from linernotes.tools.schemas import Tags
from linernotes.tools.settings import load_settings

K = 5
TEMPO_TOL = 0.04
VOCAL_WORDS = ("vocal", "vocals", "voice", "sung", "singing", "choir")
INSTRUMENTAL_WORDS = ("instrumental",)


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def retrieval(vectors: np.ndarray, segs: list[Segment]) -> dict[str, float]:
    """Same-track recall@K and same-package precision@K of cosine search over ``segs``."""
    v = unit(vectors.astype(np.float64))
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    tracks = np.array([s.track for s in segs])
    packages = np.array([s.package for s in segs])
    hits, prec = [], []
    for q in (i for i, s in enumerate(segs) if s.index == 0):
        order = np.argsort(-sims[q], kind="stable")
        hits.append(bool(np.any(tracks[order[:K]] == tracks[q])))
        others = order[tracks[order] != tracks[q]][:K]
        prec.append(float(np.mean(packages[others] == packages[q])))
    return {
        "recall_at_5": round(float(np.mean(hits)), 3),
        "package_p_at_5": round(float(np.mean(prec)), 3),
    }


def baseline_vectors(segs: list[Segment]) -> np.ndarray:
    """MFCC+chroma features standardised over the split (what the classic script does)."""
    x = np.array([s.baseline for s in segs], dtype=np.float64)
    return (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-9)


def tempo_key(segs: list[Segment], labels: dict[str, dict[str, str]]) -> dict[str, object]:
    """Tempo (within 4 %, octave errors apart) and key accuracy against header labels."""
    right = octave = n_tempo = key_right = tonic_right = n_key = 0
    for s in (s for s in segs if s.index == 0):
        row = labels[s.track]
        m = s.analysis.measurements
        if row["tempo_bpm"]:
            n_tempo += 1
            ratio = m.tempo_bpm / float(row["tempo_bpm"])
            right += abs(ratio - 1) <= TEMPO_TOL
            octave += any(abs(ratio / f - 1) <= TEMPO_TOL for f in (2.0, 0.5))
        if row["key"]:
            n_key += 1
            tonic_right += m.key == row["key"]
            key_right += m.key == row["key"] and m.mode == row["mode"]
    return {
        "tempo_labelled": n_tempo,
        "tempo_acc": round(right / n_tempo, 3) if n_tempo else None,
        "tempo_octave_err": round(octave / n_tempo, 3) if n_tempo else None,
        "key_labelled": n_key,
        "key_acc": round(key_right / n_key, 3) if n_key else None,
        "tonic_acc": round(tonic_right / n_key, 3) if n_key else None,
    }


def voice(segs: list[Segment], labels: dict[str, dict[str, str]]) -> dict[str, object]:
    """Voice probability against tracks labelled vocal or instrumental.

    Labels: tags/title words, and the manifest's ``voice`` column (MIDI renders with no
    voice-like program are instrumental by construction). Reported: accuracy over all
    labelled tracks and the false-alarm rate on the instrumental ones.
    """
    probs, truth = [], []
    for s in (s for s in segs if s.index == 0):
        row = labels[s.track]
        text = " ".join(row[k] for k in ("tags", "genre", "title", "album")).lower()
        words = set(text.replace(",", " ").replace(";", " ").split())
        is_vocal = bool(words & set(VOCAL_WORDS))
        instrumental = bool(words & set(INSTRUMENTAL_WORDS)) or row.get("voice") == "instrumental"
        if is_vocal or instrumental:
            probs.append(s.analysis.measurements.voice_probability)
            truth.append(is_vocal)
    if not truth:
        return {"voice_labelled": 0}
    said = [p >= 0.5 for p in probs]
    acc = float(np.mean([v == t for v, t in zip(said, truth, strict=True)]))
    false = [v for v, t in zip(said, truth, strict=True) if not t]
    return {
        "voice_labelled": len(truth),
        "voice_vocal": int(sum(truth)),
        "voice_acc": round(acc, 3),
        "voice_false_alarm": round(float(np.mean(false)), 3) if false else None,
    }


def factcheck_true_tempo(
    segs: list[Segment], labels: dict[str, dict[str, str]]
) -> dict[str, object]:
    """How often the fact-checker flags a TRUE tempo claim (the file's own) on real audio."""
    flagged = n = 0
    for s in (s for s in segs if s.index == 0 and labels[s.track]["tempo_bpm"]):
        bpm = float(labels[s.track]["tempo_bpm"])
        check = fact_check(s.analysis.measurements, caption=f"It moves at {bpm:.0f} BPM.")
        if check.checked:
            n += 1
            flagged += check.flagged
    return {
        "factcheck_true_tempo_claims": n,
        "factcheck_false_alarm": round(flagged / n, 3) if n else None,
    }


def captions(corpus: Path, rows: list[dict[str, str]], n: int) -> None:
    """Print the mir captioner's caption of ``n`` held-out tracks, with and without tags."""
    listener = MirListener()
    tagged = [r for r in rows if r["split"] == "heldout" and r["artist"]][:n]
    for r in tagged:
        path = corpus / r["path"]
        analysis, _ = analyse_file(path)
        m = analysis.measurements
        for label, tags in (("tags", read_tags(path)), ("no tags", Tags())):
            res = listener.listen(path, m, tags)
            print(f"caption [{label}] {r['package']} / {r['title']}: {res.caption}")
        print(f"  fact-check consistency {fact_check(m, res.summary, res.caption).consistency}")


def ingest_speed(corpus: Path, rows: list[dict[str, str]], n: int, runs: int) -> dict[str, object]:
    """Median tracks/min of the ingest pipeline on ``n`` full-length held-out tracks."""
    held = [r for r in rows if r["split"] == "heldout"]
    picks = [held[int(i * len(held) / n)] for i in range(min(n, len(held)))]  # spread out
    with tempfile.TemporaryDirectory(prefix="linernotes-real-") as tmp:
        folder = Path(tmp) / "audio"
        folder.mkdir()
        for r in picks:
            shutil.copy(corpus / r["path"], folder / Path(r["path"]).name)
        rates = []
        for run in range(runs + 1):  # run 0 warms imports and models up, not counted
            settings = load_settings(catalog=Path(tmp) / f"catalog{run}")
            start = time.perf_counter()
            report = ingest([folder], settings, progress=False)
            rate = 60.0 * report.added / (time.perf_counter() - start)
            if run:
                rates.append(rate)
                print(f"ingest run {run}: {rate:.1f} tracks/min ({report.added} added)")
    minutes = sum(float(r["duration_s"]) for r in picks) / 60
    return {
        "ingest_tracks": len(picks),
        "ingest_mean_track_min": round(minutes / max(1, len(picks)), 2),
        "ingest_tracks_per_min": round(statistics.median(rates), 1),
    }


def main() -> None:
    """Analyse the corpus segments, compute every figure per split, print one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=default_out())
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ingest-tracks", type=int, default=12)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--captions", type=int, default=5, help="print N held-out captions")
    args = ap.parse_args()
    rows = read_manifest(args.corpus)
    labels = {r["path"]: r for r in rows}
    segs = load_segments(args.corpus, rows, args.jobs)
    spaces: dict[str, AcousticEmbedder | FittedAcousticEmbedder] = {
        "acoustic-v1": AcousticEmbedder()
    }
    for space in SPACES:  # every real-music fit that ships, the default last
        spaces[space] = FittedAcousticEmbedder(space=space)
    result: dict[str, object] = {
        "bench": "real",
        "corpus_tracks": len(rows),
        "corpus_hours": round(sum(float(r["duration_s"]) for r in rows) / 3600, 2),
    }
    for split in ("dev", "heldout"):
        part = [s for s in segs if s.split == split]
        fig: dict[str, object] = {
            "queries": sum(s.index == 0 for s in part),
            "catalog_segments": len(part),
            "packages": len({s.package for s in part}),
            "baseline_mfcc_chroma": retrieval(baseline_vectors(part), part),
        }
        for name, emb in spaces.items():
            fig[name] = retrieval(np.array([emb.vector(s.analysis) for s in part]), part)
        fig |= tempo_key(part, labels) | voice(part, labels) | factcheck_true_tempo(part, labels)
        print(f"{split}: {json.dumps(fig)}", flush=True)
        result[split] = fig
    if args.captions > 0:
        captions(args.corpus, rows, args.captions)
    if args.ingest_tracks > 0:
        result |= ingest_speed(args.corpus, rows, args.ingest_tracks, args.runs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
