"""The LLM judge: a text model reads stored track descriptions and judges them.

Tracks reach the model as data (measurements, the listener's summary and caption),
fenced in tags and declared as data, never as instructions, because titles, tags and
captions are written by others. Each prompt (``prompts/judge_*.md``) walks the model
through describe -> compare -> decide -> explain, allows "tie", and asks for JSON that is
validated through the pydantic schemas in ``tools.judge.schemas``; an invalid reply gets
one repair round. Whatever still fails (server down, reply invalid, over budget) is
judged by the offline rules judge, and the verdict's ``backend`` says so
("rules (fallback: llm reply invalid)"): a judge that silently mixed backends would make
every trace lie. Hard constraints are enforced by code after the model answers.

The model is anything with ``invoke(messages) -> str`` (``ChatModel``): production wraps
``tools.reason.openai_chat.OpenAIChat``; tests script a LangChain
``GenericFakeChatModel``, whose ``AIMessage`` replies are unwrapped here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from linernotes.prompts import load_prompt
from linernotes.tools.errors import BackendUnavailable, LinernotesError, LLMReplyError
from linernotes.tools.fence import neutral
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.judge.rules import RulesJudge, normalise_dimensions
from linernotes.tools.judge.schemas import (
    CandidateJudgement,
    ListVerdict,
    ListwiseReply,
    PairVerdict,
    PairwiseReply,
    PointwiseReply,
    Winner,
)
from linernotes.tools.reason.contexts import ContextProfile
from linernotes.tools.reason.openai_chat import parse_json_reply
from linernotes.tools.schemas import DIMENSIONS, Constraints, Track, Verdict

R = TypeVar("R", bound=BaseModel)
Messages = list[dict[str, str]]


class ChatModel(Protocol):
    """The one thing the judge needs from a language model."""

    def invoke(self, messages: Messages) -> Any:
        """Return the assistant's reply to ``messages`` (a str or an object with .content)."""
        ...


class OpenAIChatModel:
    """``ChatModel`` over the OpenAI-compatible client, with server-side JSON schemas."""

    def __init__(self, settings: Any, max_tokens: int = 3072) -> None:
        """Args: settings: reasoner_url, reasoner_model, api_key; max_tokens: reply cap."""
        from linernotes.tools.reason.openai_chat import OpenAIChat

        self.client = OpenAIChat.from_settings(settings, "reasoner")
        self.max_tokens = max_tokens

    def invoke(self, messages: Messages, schema: type[BaseModel] | None = None) -> str:
        """Send the messages; with ``schema`` the server is asked for that JSON shape."""
        if schema is None:
            return self.client.chat(messages, max_tokens=self.max_tokens)
        reply = self.client.chat(messages, schema=schema, max_tokens=self.max_tokens)
        return reply.model_dump_json()


def _clean(text: str | None, limit: int = 400) -> str:
    """Data text for a prompt: one line, cannot close a fence (``tools.fence``), bounded."""
    return neutral(" ".join((text or "").split()), limit)


def track_block(track: Track) -> str:
    """A track as the model reads it: id, title, measured facts, summary, caption."""
    f, m, s = facts(track), track.measurements, track.summary
    lines = [
        f"id: {track.id}",
        f"title: {_clean(track.title, 120)}",
        f"measured: {m.tempo_bpm:.0f} BPM (tempo confidence {m.tempo_confidence:.2f}), "
        f"{m.key} {m.mode} (key confidence {m.key_confidence:.2f}), energy {m.energy:.2f} "
        f"({f.level}), loudness {m.loudness_db:.1f} dBFS, brightness {m.brightness_hz:.0f} Hz, "
        f"percussive share {m.percussiveness:.2f}, voice probability {m.voice_probability:.2f}",
    ]
    summary = [
        f"genre {_clean(s.genre or track.genre_tag, 60)}" if (s.genre or track.genre_tag) else "",
        f"instruments {_clean(', '.join(s.instruments), 120)}" if s.instruments else "",
        f"mood {_clean(s.mood, 60)}" if s.mood else "",
        f"vocals {_clean(s.vocals, 80)}" if s.vocals else "",
        f"suits {_clean(', '.join(s.suitable_usages), 120)}" if s.suitable_usages else "",
    ]
    lines.append("summary: " + ("; ".join(p for p in summary if p) or "none"))
    lines.append(f"caption ({track.provenance.listener}): {_clean(track.caption, 500)}")
    return "\n".join(lines)


def request_block(context: ContextProfile | None, constraints: Constraints | None) -> str:
    """The listening context with its targets, and the constraints, in words."""
    if context is None:
        text = "context: none given (judge likeness to the anchor)"
    else:
        targets = [
            f"energy {context.energy[0]:.2f}-{context.energy[1]:.2f}",
            f"{context.bpm[0]:.0f}-{context.bpm[1]:.0f} BPM",
            f"vocals: {context.vocals}",
        ]
        if context.max_energy_level:
            targets.append(f"energy class at most {context.max_energy_level}")
        if context.min_energy_level:
            targets.append(f"energy class at least {context.min_energy_level}")
        if context.mode:
            targets.append(f"{context.mode} key preferred")
        text = f"context: {context.label} ({context.description}) Targets: {', '.join(targets)}."
    c = constraints or Constraints()
    wants = [k.replace("_", " ") for k in ("no_vocals", "vocals_only", "calmer", "more_energetic",
             "faster", "slower", "shorter", "longer") if getattr(c, k)]  # fmt: skip
    wants += [f"{k.replace('_', ' ')} {getattr(c, k)}" for k in ("max_energy", "min_energy",
              "min_bpm", "max_bpm", "avoid_bpm_from", "avoid_bpm_to", "min_duration_s",
              "max_duration_s")
              if getattr(c, k) is not None]  # fmt: skip
    return text + ("\nconstraints: " + "; ".join(wants) if wants else "")


def _anchor_block(anchor: Track | None) -> str:
    return track_block(anchor) if anchor else "none (context-only request)"


def _fallback_reason(error: Exception) -> str:
    if isinstance(error, BackendUnavailable):
        return "llm unavailable"
    return "llm reply invalid" if isinstance(error, LLMReplyError) else "llm error"


class LLMJudge:
    """Judge with a language model; the rules judge covers failures and the overflow.

    Args:
        chat: the model (``ChatModel``).
        model_name: recorded in verdicts.
        max_candidates: budget, candidates per call (prompt size and latency bound).
        max_judged: candidates judged by the model per request; the rest by rules.
        workers: concurrent requests.
    """

    name = "llm"

    def __init__(
        self, chat: ChatModel, *, model_name: str | None = None, max_candidates: int = 10,
        max_judged: int = 40, workers: int = 4,
    ) -> None:  # fmt: skip
        self.chat, self.model_name = chat, model_name
        self.max_candidates, self.max_judged, self.workers = max_candidates, max_judged, workers
        self.backend = f"llm:{model_name}" if model_name else "llm"
        self.rules = RulesJudge()

    # -- transport ------------------------------------------------------------------
    def _messages(self, prompt: str, **values: str) -> Messages:
        return [{"role": "system", "content": load_prompt("judge_system").render()},
                {"role": "user", "content": load_prompt(prompt).render(**values)}]  # fmt: skip

    def _send(self, messages: Messages, schema: type[BaseModel]) -> str:
        try:
            reply = (
                self.chat.invoke(messages, schema=schema)  # type: ignore[call-arg]
                if isinstance(self.chat, OpenAIChatModel)
                else self.chat.invoke(messages)
            )
        except (ConnectionError, TimeoutError, OSError) as e:
            raise BackendUnavailable(f"judge model unreachable: {e}") from e
        return str(getattr(reply, "content", reply))

    def ask(self, prompt: str, reply_schema: type[R], check: Any = None, **values: str) -> R:
        """Render, send, validate (and ``check`` semantics); repair once, else raise.

        The prompt's ``schema`` variable is filled with ``reply_schema``'s JSON schema.

        Raises:
            LLMReplyError: the reply is invalid after one repair round.
            BackendUnavailable: the model cannot be reached.
        """
        schema = json.dumps(reply_schema.model_json_schema())
        messages = self._messages(prompt, schema=schema, **values)
        for attempt in range(2):
            text = self._send(messages, reply_schema)
            try:
                reply = parse_json_reply(text, reply_schema)
                if check is not None:
                    check(reply)
                return reply
            except (ValidationError, ValueError) as e:
                if attempt == 1:
                    raise LLMReplyError(f"judge reply invalid after repair: {e}") from e
                repair = load_prompt("judge_repair").render(
                    errors=_clean(str(e), 1200), schema=schema
                )
                messages = [*messages, {"role": "assistant", "content": text[:4000]},
                            {"role": "user", "content": repair}]  # fmt: skip
        raise AssertionError("unreachable")

    @property
    def prompt_versions(self) -> dict[str, str]:
        """Version of every judge prompt (recorded in verdicts)."""
        names = ("pointwise", "pairwise", "listwise", "attribute")
        return {n: load_prompt(f"judge_{n}").version for n in names}

    # -- pointwise / attribute ------------------------------------------------------
    def _batch(
        self, prompt: str, anchor: Track | None, batch: list[Track], values: dict[str, str],
        constraints: Constraints, keep: list[str] | None,
    ) -> list[Verdict]:  # fmt: skip
        ids = {t.id for t in batch}

        def check(reply: PointwiseReply) -> None:
            got = [j.track_id for j in reply.judgements]
            if set(got) != ids or len(got) != len(ids):
                raise ValueError(f"judgements must cover exactly the ids {sorted(ids)}, got {got}")

        reply = self.ask(
            prompt,
            PointwiseReply,
            check,
            anchor=_anchor_block(anchor),
            candidates="\n\n".join(track_block(t) for t in batch),
            **values,
        )
        by_id = {t.id: t for t in batch}
        version = load_prompt(prompt).version
        return [self._verdict(j, anchor, by_id[j.track_id], constraints, keep, version)
                for j in reply.judgements]  # fmt: skip

    def _verdict(
        self, j: CandidateJudgement, anchor: Track | None, track: Track,
        constraints: Constraints, keep: list[str] | None, version: str,
    ) -> Verdict:  # fmt: skip
        broken = violations(facts(track), constraints)
        dims = {d: min(1.0, max(0.0, v)) for d, v in j.dimensions.items() if d in DIMENSIONS}
        if keep is not None:
            dims = {d: v for d, v in dims.items() if d in keep}
        return Verdict(
            track_id=track.id, anchor_id=anchor.id if anchor else None,
            context=None, score=0.0 if broken else j.score,
            confidence=j.confidence, dimensions=dims, shared=j.shared,
            differences=j.differences + broken,
            explanation=j.explanation + (f" Excluded: it {'; '.join(broken)}." if broken else ""),
            backend=self.backend, model=self.model_name, prompt_version=version,
        )  # fmt: skip

    def _judge_many(
        self, prompt: str, anchor: Track | None, candidates: Sequence[Track],
        values: dict[str, str], constraints: Constraints, keep: list[str] | None,
        fallback: Any,
    ) -> list[Verdict]:  # fmt: skip
        head, tail = list(candidates[: self.max_judged]), list(candidates[self.max_judged :])
        step = self.max_candidates
        batches = [head[i : i + step] for i in range(0, len(head), step)]

        def run(batch: list[Track]) -> list[Verdict]:
            try:
                return self._batch(prompt, anchor, batch, values, constraints, keep)
            except LinernotesError as e:
                return fallback(batch, f"rules (fallback: {_fallback_reason(e)})")

        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(batches)))) as pool:
            out = [v for vs in pool.map(run, batches) for v in vs]
        if tail:
            out += fallback(tail, "rules (fallback: over llm budget)")
        return sorted(out, key=lambda v: (-v.score, v.track_id))

    def pointwise(
        self, anchor: Track | None, candidates: Sequence[Track],
        context: ContextProfile | None = None, constraints: Constraints | None = None, *,
        audio_similarity: Mapping[str, float] | None = None,
    ) -> list[Verdict]:  # fmt: skip
        """One verdict per candidate from the model (rules for failures), best first."""
        c = constraints or Constraints()
        skip = set(c.exclude_ids) | ({anchor.id} if anchor else set())
        todo = [t for t in candidates if t.id not in skip]
        values = {"request": request_block(context, c)}

        def fallback(batch: list[Track], backend: str) -> list[Verdict]:
            rules = RulesJudge(backend)
            return rules.pointwise(anchor, batch, context, c, audio_similarity=audio_similarity)

        verdicts = self._judge_many("judge_pointwise", anchor, todo, values, c, None, fallback)
        ctx_name = context.name if context else None
        return [v.model_copy(update={"context": ctx_name}) for v in verdicts]

    def attribute(
        self, anchor: Track, candidates: Sequence[Track], dimensions: Sequence[str]
    ) -> list[Verdict]:
        """Similarity on the named dimensions only, judged by the model."""
        if anchor is None:
            raise ValueError("attribute judging compares with an anchor; none was given")
        dims = normalise_dimensions(dimensions)
        todo = [t for t in candidates if t.id != anchor.id]

        def fallback(batch: list[Track], backend: str) -> list[Verdict]:
            return RulesJudge(backend).attribute(anchor, batch, dims)

        return self._judge_many("judge_attribute", anchor, todo, {"dimensions": ", ".join(dims)},
                                Constraints(), dims, fallback)  # fmt: skip

    # -- pairwise -------------------------------------------------------------------
    def pairwise(
        self, anchor: Track | None, a: Track, b: Track,
        context: ContextProfile | None = None, constraints: Constraints | None = None,
    ) -> PairVerdict:  # fmt: skip
        """Ask A-vs-B and B-vs-A concurrently; disagreement becomes a low-confidence tie."""
        request = request_block(context, constraints)

        def one(first: Track, second: Track) -> PairwiseReply:
            return self.ask("judge_pairwise", PairwiseReply, request=request,
                            anchor=_anchor_block(anchor), track_a=track_block(first),
                            track_b=track_block(second))  # fmt: skip

        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                f1, f2 = pool.submit(one, a, b), pool.submit(one, b, a)
                r1, r2 = f1.result(), f2.result()
        except LinernotesError as e:
            rules = RulesJudge(f"rules (fallback: {_fallback_reason(e)})")
            return rules.pairwise(anchor, a, b, context, constraints)
        swapped: Winner = {"A": "B", "B": "A", "tie": "tie"}[r2.winner]  # type: ignore[assignment]
        agree = r1.winner == swapped
        winner: Winner = r1.winner if agree else "tie"
        conf = (r1.confidence + r2.confidence) / 2 if agree else 0.2
        reasons = list(r1.reasons) if agree else [
            f"the two presentation orders disagreed ({r1.winner} first, {swapped} swapped)",
            *r1.reasons[:1]]  # fmt: skip
        for f, side in ((facts(a), "A"), (facts(b), "B")):
            for broken in violations(f, constraints or Constraints()):
                reasons.append(f"{side} {broken}")
        return PairVerdict(
            anchor_id=anchor.id if anchor else None, context=context.name if context else None,
            a_id=a.id, b_id=b.id, winner=winner, reasons=reasons, confidence=round(conf, 3),
            consistent=agree, orders=[r1.winner, swapped], backend=self.backend,
            model=self.model_name, prompt_version=load_prompt("judge_pairwise").version,
        )  # fmt: skip

    # -- listwise -------------------------------------------------------------------
    def listwise(
        self, anchor: Track | None, candidates: Sequence[Track],
        context: ContextProfile | None = None, constraints: Constraints | None = None,
    ) -> ListVerdict:  # fmt: skip
        """Rank with one call over the rules' top ``max_candidates``; the rest keep rule order.

        Pre-ranking by rules keeps the prompt within budget; the model reorders the head.
        """
        c = constraints or Constraints()
        pre = self.rules.pointwise(anchor, candidates, context, c)
        by_id = {t.id: t for t in candidates}
        head = [by_id[v.track_id] for v in pre[: self.max_candidates]]
        ids = [t.id for t in head]

        def check(reply: ListwiseReply) -> None:
            if sorted(reply.ranking) != sorted(ids):
                raise ValueError(f"ranking must list each of {ids} exactly once")

        try:
            reply = self.ask("judge_listwise", ListwiseReply, check,
                             request=request_block(context, c), anchor=_anchor_block(anchor),
                             candidates="\n\n".join(track_block(t) for t in head))  # fmt: skip
        except LinernotesError as e:
            return RulesJudge(f"rules (fallback: {_fallback_reason(e)})").listwise(
                anchor, candidates, context, c)  # fmt: skip
        rest = [v.track_id for v in pre[self.max_candidates :]]
        ranking = reply.ranking + rest
        notes = {n.track_id: n.description for n in reply.notes}
        rules_by_id = {v.track_id: v for v in pre}
        verdicts = [rules_by_id[i].model_copy(update={
            "score": round(1.0 - k / max(1, len(ranking)), 4), "backend": self.backend,
            "model": self.model_name, "explanation": notes.get(i) or rules_by_id[i].explanation,
            "prompt_version": load_prompt("judge_listwise").version})
            for k, i in enumerate(ranking)]  # fmt: skip
        return ListVerdict(
            anchor_id=anchor.id if anchor else None, context=context.name if context else None,
            ranking=ranking, explanation=reply.explanation, verdicts=verdicts,
            backend=self.backend, model=self.model_name,
            prompt_version=load_prompt("judge_listwise").version,
        )  # fmt: skip


def from_settings(settings: Any, chat: ChatModel | None = None) -> LLMJudge:
    """The registry's ``openai`` judge: ``chat`` (tests) or the reasoner's server."""
    model = chat if chat is not None else OpenAIChatModel(settings)
    return LLMJudge(model, model_name=settings.reasoner_model)
