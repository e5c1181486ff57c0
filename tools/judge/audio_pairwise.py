"""The listening pairwise judge: an Audio LLM hears the tracks it compares.

The text judges read stored descriptions; this one sends the audio itself to an Audio LLM
behind an OpenAI-compatible chat API (Qwen2-Audio on vLLM, an LTU-style model behind a
compatible server, a hosted API). Each request carries exactly two clips, so a server
started with ``--limit-mm-per-prompt '{"audio": 2}'`` is enough. Every clip is one
excerpt of at most 30 s (``clip_s``), mono 16 kHz WAV in an ``input_audio`` part, and is
announced by a text part naming its role just before it.

With an anchor, each request holds the anchor and one candidate: the model describes
both, scores the candidate's likeness to the anchor per dimension, its fit to the
listening context and overall. Each candidate is heard in both orders (anchor first,
candidate first), four requests in all; ``orders`` holds the winner by the anchor-first
answers, then by the candidate-first ones. Without an anchor, one request holds A and B
and the model picks the better for the context, asked A-first and B-first. Either way a
disagreement between the orders becomes a low-confidence tie, as for the text judge.

Replies are validated through the pydantic schemas below (one repair round, in the
client). When the audio model cannot be used (server down after retries, reply invalid,
audio unreadable), the text judge decides and the verdict's ``backend`` says so, e.g.
``rules (fallback: audio llm unavailable)``. Pointwise, listwise and attribute judging
are the text judge's: only pairwise listens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from linernotes.prompts import load_prompt
from linernotes.tools.audio import excerpt_starts, load_audio, probe, to_wav_bytes
from linernotes.tools.errors import (
    BackendUnavailable,
    ConfigError,
    InvalidAudioError,
    LLMReplyError,
)
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.judge.llm import request_block
from linernotes.tools.judge.rules import TIE_MARGIN
from linernotes.tools.judge.schemas import ListVerdict, PairVerdict, Winner
from linernotes.tools.listen.openai_audio import audio_part
from linernotes.tools.listen.presets import resolve_preset
from linernotes.tools.reason.contexts import ContextProfile
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.schemas import DIMENSIONS, Constraints, Track, Verdict

SAMPLE_RATE = 16_000
MAX_CLIP_S = 30.0
SWAP: dict[str, Winner] = {"A": "B", "B": "A", "tie": "tie"}


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeardClip(_Reply):
    """What the model hears in one clip, before any judgement (the 'describe' step)."""

    clip: str = Field(description="The clip's label exactly as given, e.g. 'Clip 1'.")
    description: str = Field(
        description="What you hear: genre, instruments, tempo feel, energy, vocals, mood."
    )


class HeardMatchReply(_Reply):
    """Reply when the anchor and one candidate are heard: describe, compare, score."""

    heard: list[HeardClip] = Field(description="Step 1: describe each of the two clips.")
    dimensions: dict[str, float] = Field(
        description="Step 2: how alike the candidate is to the anchor, 0-1, per dimension: "
        + ", ".join(DIMENSIONS)
        + "."
    )
    context_fit: float = Field(
        ge=0, le=1, description="Step 3: how well the candidate serves the listening context "
        "(1 when no context is given).",
    )  # fmt: skip
    score: float = Field(ge=0, le=1, description="Step 4: overall relevance of the candidate.")
    confidence: float = Field(ge=0, le=1, description="How sure you are, 0-1.")
    reasons: list[str] = Field(description="Two to four short reasons citing what you heard.")


class HeardPairReply(_Reply):
    """Reply when candidates A and B are heard (no anchor): describe, compare, decide."""

    heard: list[HeardClip] = Field(description="Step 1: describe Track A and Track B.")
    comparison: str = Field(description="Step 2: how A and B differ for this request.")
    winner: Winner = Field(description="Step 3: 'A', 'B', or 'tie' if equally relevant.")
    reasons: list[str] = Field(description="Step 4: two to four short reasons.")
    confidence: float = Field(ge=0, le=1, description="How sure you are, 0-1.")


def _schema(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), separators=(",", ":"))


def load_clip(track: Track, clip_s: float) -> bytes:
    """One representative excerpt of a track as 16 kHz mono 16-bit WAV bytes.

    Raises:
        InvalidAudioError: the file is missing or cannot be decoded.
    """
    info = probe(track.path)
    (start,) = excerpt_starts(info.duration_s, clip_s, 1)
    clip = load_audio(track.path, SAMPLE_RATE, offset_s=start, duration_s=clip_s)
    return to_wav_bytes(np.asarray(clip.samples, dtype=np.float32), SAMPLE_RATE)


class AudioPairwiseJudge:
    """Pairwise judging by listening; every other mode, and every failure, by ``text``.

    Args:
        chat: client for the Audio LLM's server (its ``model`` is the served model).
        text: the text judge used for the other modes and as the fallback.
        clip_s: seconds heard per track (at most 30: what Qwen2-Audio hears).
        workers: requests in flight.
    """

    name = "pairwise-audio"

    def __init__(self, chat: OpenAIChat, text: Any, *, clip_s: float = 20.0, workers: int = 4):
        if not 0 < clip_s <= MAX_CLIP_S:
            raise ConfigError(f"clip_s must be in (0, {MAX_CLIP_S:.0f}] seconds, got {clip_s}")
        self.chat, self.text, self.clip_s, self.workers = chat, text, clip_s, workers
        self.model_name = chat.model
        self.backend = f"audio-llm:{chat.model}"

    @classmethod
    def from_settings(cls, settings: Any, chat: Any = None) -> AudioPairwiseJudge:
        """The Audio LLM at ``listener_url`` (``listener_model``); the reasoner's judge behind.

        ``chat`` (tests) is passed on to that text judge.
        """
        from linernotes.tools.registry import JUDGES

        preset = resolve_preset(settings.listener_model)
        if preset.prompt is None:
            raise ConfigError(
                f"listener_model {settings.listener_model!r} takes audio only, no text prompt; "
                "the listening judge needs a model that takes text and two audios "
                "(e.g. qwen2-audio)"
            )
        client = OpenAIChat(settings.listener_url, preset.model, api_key=settings.api_key,
                            timeout_s=300.0)  # fmt: skip
        text = JUDGES.build(settings.reasoner, settings, chat=chat, as_="reasoner")
        return cls(client, text)

    # -- requests ----------------------------------------------------------------------
    def messages(self, clips: Sequence[tuple[str, bytes]], prompt: str) -> list[dict[str, Any]]:
        """One user message: each clip's label then its audio, then the instructions."""
        content: list[dict[str, Any]] = []
        for label, wav in clips:
            content += [{"type": "text", "text": f"{label}:"}, audio_part(wav)]
        content.append({"type": "text", "text": prompt})
        return [{"role": "user", "content": content}]

    def _ask(self, clips: Sequence[tuple[str, bytes]], prompt: str, schema: type[Any]) -> Any:
        return self.chat.chat(self.messages(clips, prompt), schema=schema, max_tokens=1024)

    def _match(
        self, anchor: bytes, cand: bytes, anchor_first: bool, request: str
    ) -> HeardMatchReply:
        roles = ("the anchor (the track to be like)", "the candidate")
        first, second = (0, 1) if anchor_first else (1, 0)
        pair = ((anchor, roles[0]), (cand, roles[1]))
        clips = [(f"Clip {i} - {pair[k][1]}", pair[k][0]) for i, k in ((1, first), (2, second))]
        prompt = load_prompt("judge_audio_match").render(
            request=request, anchor_clip=f"Clip {1 + first}", candidate_clip=f"Clip {1 + second}",
            dimensions=", ".join(DIMENSIONS), schema=_schema(HeardMatchReply),
        )  # fmt: skip
        return self._ask(clips, prompt, HeardMatchReply)

    # -- pairwise ----------------------------------------------------------------------
    def pairwise(
        self, anchor: Track | None, a: Track, b: Track,
        context: ContextProfile | None = None, constraints: Constraints | None = None,
    ) -> PairVerdict:  # fmt: skip
        """Listen to both candidates (with the anchor when there is one), both orders.

        Falls back to the text judge, visibly in ``backend``, when listening fails.
        """
        c = constraints or Constraints()
        request = request_block(context, c)
        try:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                wavs = dict(zip((a.id, b.id), pool.map(self._clip, (a, b)), strict=True))
                if anchor is None:
                    verdict = self._pair(a, b, wavs, request, pool)
                else:
                    verdict = self._with_anchor(anchor, a, b, wavs, request, c, pool)
        except (BackendUnavailable, LLMReplyError, InvalidAudioError) as e:
            reason = ("audio llm unavailable" if isinstance(e, BackendUnavailable) else
                      "audio llm reply invalid" if isinstance(e, LLMReplyError) else
                      "audio unreadable")  # fmt: skip
            fallback = self.text.pairwise(anchor, a, b, context, c)
            note = f"listening judge failed: {str(e)[:300]}"
            return fallback.model_copy(update={
                "backend": f"{fallback.backend} (fallback: {reason})",
                "reasons": [*fallback.reasons, note]})  # fmt: skip
        for f, side in ((facts(a), "A"), (facts(b), "B")):
            verdict.reasons += [f"{side} {broken}" for broken in violations(f, c)]
        return verdict.model_copy(update={
            "anchor_id": anchor.id if anchor else None,
            "context": context.name if context else None})  # fmt: skip

    def _clip(self, track: Track) -> bytes:
        return load_clip(track, self.clip_s)

    def _with_anchor(
        self, anchor: Track, a: Track, b: Track, wavs: Mapping[str, bytes], request: str,
        c: Constraints, pool: ThreadPoolExecutor,
    ) -> PairVerdict:  # fmt: skip
        anchor_wav = self._clip(anchor)
        jobs = [(t, first) for first in (True, False) for t in (a, b)]
        replies = list(pool.map(lambda j: self._match(anchor_wav, wavs[j[0].id], j[1], request),
                                jobs))  # fmt: skip
        got = {(t.id, first): r for (t, first), r in zip(jobs, replies, strict=True)}
        broken = {t.id: bool(violations(facts(t), c)) for t in (a, b)}

        def score(t: Track, first: bool) -> float:
            return 0.0 if broken[t.id] else got[(t.id, first)].score

        orders: list[Winner] = []
        for first in (True, False):
            sa, sb = score(a, first), score(b, first)
            tie = abs(sa - sb) <= TIE_MARGIN * max(sa, sb)
            orders.append("tie" if tie else ("A" if sa > sb else "B"))
        agree = orders[0] == orders[1]
        conf = float(np.mean([r.confidence for r in replies])) if agree else 0.2
        reasons = [] if agree else [
            f"the two presentation orders disagreed ({orders[0]} anchor first, "
            f"{orders[1]} candidate first)"]  # fmt: skip
        for t, side in ((a, "A"), (b, "B")):
            reasons += [f"{side}: {r}" for r in got[(t.id, True)].reasons[:2]]
        return PairVerdict(
            a_id=a.id, b_id=b.id, winner=orders[0] if agree else "tie", reasons=reasons,
            confidence=round(conf, 3), consistent=agree, orders=orders,
            score_a=round((score(a, True) + score(a, False)) / 2, 4),
            score_b=round((score(b, True) + score(b, False)) / 2, 4),
            dimensions_a=self._dims(got[(a.id, True)], got[(a.id, False)]),
            dimensions_b=self._dims(got[(b.id, True)], got[(b.id, False)]),
            backend=self.backend, model=self.model_name,
            prompt_version=load_prompt("judge_audio_match").version,
        )  # fmt: skip

    @staticmethod
    def _dims(*replies: HeardMatchReply) -> dict[str, float]:
        """Per-dimension scores averaged over the orders (known dimensions, clamped)."""
        out: dict[str, float] = {}
        for d in DIMENSIONS:
            vals = [min(1.0, max(0.0, r.dimensions[d])) for r in replies if d in r.dimensions]
            if vals:
                out[d] = round(float(np.mean(vals)), 4)
        return out

    def _pair(
        self, a: Track, b: Track, wavs: Mapping[str, bytes], request: str,
        pool: ThreadPoolExecutor,
    ) -> PairVerdict:  # fmt: skip
        prompt = load_prompt("judge_audio_pairwise").render(
            request=request, schema=_schema(HeardPairReply)
        )

        def ask(first: Track, second: Track) -> HeardPairReply:
            clips = [("Track A", wavs[first.id]), ("Track B", wavs[second.id])]
            return self._ask(clips, prompt, HeardPairReply)

        r1, r2 = pool.map(lambda p: ask(*p), ((a, b), (b, a)))
        swapped = SWAP[r2.winner]
        agree = r1.winner == swapped
        reasons = list(r1.reasons) if agree else [
            f"the two presentation orders disagreed ({r1.winner} first, {swapped} swapped)",
            *r1.reasons[:1]]  # fmt: skip
        return PairVerdict(
            a_id=a.id, b_id=b.id, winner=r1.winner if agree else "tie", reasons=reasons,
            confidence=round((r1.confidence + r2.confidence) / 2 if agree else 0.2, 3),
            consistent=agree, orders=[r1.winner, swapped], backend=self.backend,
            model=self.model_name, prompt_version=load_prompt("judge_audio_pairwise").version,
        )  # fmt: skip

    # -- the other modes are the text judge's ----------------------------------------------
    def pointwise(
        self, anchor: Track | None, candidates: Sequence[Track],
        context: ContextProfile | None = None, constraints: Constraints | None = None, *,
        audio_similarity: Mapping[str, float] | None = None,
    ) -> list[Verdict]:  # fmt: skip
        """The text judge's pointwise verdicts (one per candidate: too many to listen to)."""
        return self.text.pointwise(anchor, candidates, context, constraints,
                                   audio_similarity=audio_similarity)  # fmt: skip

    def listwise(
        self, anchor: Track | None, candidates: Sequence[Track],
        context: ContextProfile | None = None, constraints: Constraints | None = None,
    ) -> ListVerdict:  # fmt: skip
        """The text judge's ranking."""
        return self.text.listwise(anchor, candidates, context, constraints)

    def attribute(
        self, anchor: Track, candidates: Sequence[Track], dimensions: Sequence[str]
    ) -> list[Verdict]:
        """The text judge's attribute verdicts."""
        return self.text.attribute(anchor, candidates, dimensions)


def from_settings(settings: Any, chat: Any = None) -> AudioPairwiseJudge:
    """The registry's ``pairwise-audio`` judge."""
    return AudioPairwiseJudge.from_settings(settings, chat)
