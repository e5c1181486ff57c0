"""The offline judge: deterministic rules over stored measurements and summaries.

It writes the same records as the LLM judge (``Verdict``, ``PairVerdict``,
``ListVerdict``) so the agent, the catalog and the feedback loop never care which judge
ran; ``backend="rules"`` says which did. The rules follow the architecture's judge
dimensions: core dimensions (genre family, production style, timbre, vocal role and
delivery) may justify similarity; secondary ones (tempo, energy, mood, usage context)
may not, so a candidate that only shares tempo and energy with the anchor is capped.

A listening context gates the score: ``score = fit ** (w/2) * (0.35 + 0.65 * sim)``,
where ``fit`` is how well the candidate's measurements sit in the context's target ranges
and ``w`` the context's ``usage_context`` weight. Context fit therefore dominates a
context request ("like X but for studying" must not return a loud, fast track however
close it sounds) while anchor similarity orders the tracks that fit. Hard constraints
(no vocals, energy and tempo bounds) zero the score; excluded ids are dropped.

Scores must rank. Inside a context's ranges a track nearer the middle fits a little
better than one at the edge (``facts.CENTRE_PULL``), and without an anchor the retrieval's
similarity to the listener's words (as a rank among the candidates) orders the tracks
that fit (``QUERY_SHARE``); so two candidates score the same only when they are the same
in every measured dimension and in how well they match the words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.judge import facts as jf
from linernotes.tools.judge import notes
from linernotes.tools.judge.facts import Facts, facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.judge.schemas import ListVerdict, PairVerdict, Winner
from linernotes.tools.reason.contexts import ContextProfile
from linernotes.tools.schemas import CORE_DIMENSIONS, DIMENSIONS, Constraints, Track, Verdict

BACKEND = "rules"
TIE_MARGIN = 0.05
"""Relative score gap below which a pairwise call is a tie (the rules are not that precise).

Relative, so two tracks that both miss a context can still be told apart by how far.
"""
CORE_SHARE = 0.75
"""Share of core dimensions in anchor similarity; tempo, energy and mood share the rest.

A context request gates on tempo and energy already (``context_fit``), so letting them
also dominate likeness would rank a calm track of another genre above a calm track of
the anchor's own genre.
"""
CORE_CAP_BELOW = 0.45
"""Core similarity under which secondary dimensions may not lift the score further."""
DEFAULT_WEIGHTS = {
    "genre_family": 1.2, "production_style": 0.8, "timbre": 1.2, "vocal_role": 1.0,
    "vocal_delivery": 0.6, "tempo": 0.6, "energy": 0.6, "mood": 0.5, "usage_context": 0.4,
}  # fmt: skip
ALIASES = {
    "genre": "genre_family", "production": "production_style", "sound": "timbre",
    "instrumentation": "timbre", "vocals": "vocal_role", "voice": "vocal_role",
    "delivery": "vocal_delivery", "rhythm": "tempo", "bpm": "tempo", "context": "usage_context",
}  # fmt: skip
QUERY_SHARE = 0.4
"""Share of a context-only score that the match to the listener's words decides."""
_SWAP: dict[Winner, Winner] = {"A": "B", "B": "A", "tie": "tie"}
_CTX_USAGE = {"running": {"running", "workout"}, "studying": {"studying", "focus"}}


def normalise_dimensions(dimensions: Sequence[str]) -> list[str]:
    """Map names and aliases ('rhythm', 'genre') to judge dimensions; refuse unknown ones."""
    out: list[str] = []
    for name in dimensions:
        key = ALIASES.get(name.strip().lower().replace(" ", "_"), name.strip().lower())
        if key not in DIMENSIONS:
            known = ", ".join((*DIMENSIONS, *ALIASES))
            raise ValueError(f"unknown dimension {name!r}; expected one of: {known}")
        if key not in out:
            out.append(key)
    return out


def context_fit(f: Facts, ctx: ContextProfile) -> tuple[float, list[str], list[str]]:
    """How well a track's measurements sit in a context's targets, with the reasons.

    Returns ``(fit 0-1, what suits, what does not)``. Ranges are soft (Gaussian fall-off
    outside them, so tracks that all miss still rank by how far); an energy class beyond
    the context's ceiling or floor is a near veto. Energy ranges are on the measured energy
    scale of tools/listen/labels.py; tempo tolerates half/double-time estimates.
    """
    good: list[str] = []
    bad: list[str] = []
    lo, hi = ctx.energy
    x = f.energy
    miss = max(lo - x, x - hi, 0.0)
    e_fit = math.exp(-((miss / 0.12) ** 2)) * jf.centred(x, lo, hi)
    if miss == 0:
        good.append(f"{f.level.replace('_', ' ')} energy ({f.energy:.2f})")
    else:
        bad.append(f"energy {f.energy:.2f} at {f.loud:.0f} dBFS is "
                   f"{'too intense' if x > hi else 'too calm'}")  # fmt: skip
    b_lo, b_hi = ctx.bpm
    b_fit = jf.tempo_fit(f.bpm, b_lo, b_hi, ((1.0, 1.0), (2.0, 0.8), (0.5, 0.8)))
    if f.octave_doubt is not None:  # the fact-check doubts the reading: both must fit
        b_fit = min(b_fit, jf.tempo_fit(f.octave_doubt, b_lo, b_hi, ((1.0, 1.0),)))
    sure = min(1.0, max(0.3, 2.0 * f.tempo_conf))
    b_fit = sure * b_fit + (1.0 - sure) * 0.6
    if b_fit >= 0.75:
        good.append(notes.tempo_words(f))
    else:
        bad.append(f"{notes.tempo_words(f)} is outside {b_lo:.0f}-{b_hi:.0f}")
    fit = e_fit * (0.4 + 0.6 * b_fit)
    if ctx.max_energy_level and f.level_rank > ENERGY_ORDER.index(ctx.max_energy_level):
        fit *= 0.12
        bad.append(f"{f.level.replace('_', ' ')} energy")
    if ctx.min_energy_level and f.level_rank < ENERGY_ORDER.index(ctx.min_energy_level):
        fit *= 0.25
        bad.append(f"{f.level.replace('_', ' ')} energy")
    if ctx.vocals == "avoid":
        fit *= 1.0 - 0.75 * f.voice
        (bad if f.voiced is not False else good).append(_vocal_word(f))
    elif ctx.vocals == "prefer":
        fit *= 0.45 + 0.55 * f.voice
        (good if f.voiced else bad).append(_vocal_word(f))
    if ctx.mode and f.key_conf >= 0.25 and f.mode != ctx.mode:
        fit *= 0.85
        bad.append(f"{f.mode} key")
    names = {n for part in ctx.name.split("+") for n in _CTX_USAGE.get(part, {part})}
    if f.usages:
        fit *= 1.0 if f.usages & names else 0.9
    return min(1.0, fit), good, bad


def _vocal_word(f: Facts) -> str:
    return {None: "may have vocals", True: "has vocals", False: "instrumental"}[f.voiced]


def _relative(a: Facts, f: Facts, c: Constraints) -> float:
    """Soft preference for calmer / more energetic / faster / slower than the anchor."""
    rel = 1.0
    if c.calmer:
        rel *= 0.15 + 0.85 * jf.sigmoid((a.energy - f.energy - 0.03) / 0.04)
    if c.more_energetic:
        rel *= 0.15 + 0.85 * jf.sigmoid((f.energy - a.energy - 0.03) / 0.04)
    if c.faster:
        rel *= 0.15 + 0.85 * jf.sigmoid((f.bpm - a.bpm - 3.0) / 4.0)
    if c.slower:
        rel *= 0.15 + 0.85 * jf.sigmoid((a.bpm - f.bpm - 3.0) / 4.0)
    return rel


def compare(a: Facts, f: Facts, audio_sim: float | None = None) -> dict[str, float]:
    """Score every anchor-relative dimension of candidate ``f`` against anchor ``a``."""
    tim = jf.timbre(a, f, audio_sim)
    role = jf.vocal_role(a, f)
    return {
        "genre_family": jf.genre(a, f, tim),
        "production_style": jf.production(a, f),
        "timbre": tim,
        "vocal_role": role,
        "vocal_delivery": jf.vocal_delivery(a, f, role),
        "tempo": jf.tempo_similarity(a.bpm, f.bpm),
        "energy": jf.energy(a, f),
        "mood": jf.mood(a, f),
    }


def _ranks(similarity: Mapping[str, float]) -> dict[str, float]:
    """Audio similarities as ranks in 0-1 (1 = closest): comparable across spaces."""
    order = sorted(similarity, key=lambda i: similarity[i])
    n = max(1, len(order) - 1)
    return {i: k / n for k, i in enumerate(order)} if len(order) > 1 else dict.fromkeys(order, 1.0)


def _weighted(dims: Mapping[str, float], weights: Mapping[str, float]) -> float:
    total = sum(weights.get(d, 1.0) for d in dims)
    return sum(v * weights.get(d, 1.0) for d, v in dims.items()) / total if total else 0.0


class RulesJudge:
    """Deterministic judge over stored facts; the offline default and the LLM's fallback."""

    name = BACKEND

    def __init__(self, backend: str = BACKEND) -> None:
        """Args: backend: name written into verdicts (the LLM fallback names its cause)."""
        self.backend = backend

    def pointwise(
        self,
        anchor: Track | None,
        candidates: Sequence[Track],
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
        *,
        audio_similarity: Mapping[str, float] | None = None,
        dimensions: Sequence[str] | None = None,
    ) -> list[Verdict]:
        """Score each candidate for (anchor, context, constraints), best first.

        Args:
            anchor: the track to be like, or None for a context-only request.
            candidates: tracks to judge; the anchor and excluded ids are dropped.
            context: listening context profile (``tools.reason.contexts``), if any.
            constraints: hard limits and relative wishes ("calmer").
            audio_similarity: optional retrieval similarity per candidate id, used as a
                rank among the candidates: with an anchor, the audio cosine to it (timbre
                evidence); without one, the match to the listener's words.
            dimensions: judge only these dimensions (attribute mode), unweighted.
        """
        c = constraints or Constraints()
        a = facts(anchor) if anchor else None
        only = normalise_dimensions(dimensions) if dimensions else None
        weights = context.weights if context else DEFAULT_WEIGHTS
        exclude = set(c.exclude_ids) | ({anchor.id} if anchor else set())
        audio = _ranks(audio_similarity or {})
        out: list[Verdict] = []
        for track in candidates:
            if track.id in exclude:
                continue
            f = facts(track)
            fit, good, bad = context_fit(f, context) if context else (1.0, [], [])
            dims: dict[str, float] = {}
            if a is not None:
                dims = compare(a, f, audio.get(f.id))
            if context is not None:
                dims["usage_context"] = fit
            elif a is not None and a.usages and f.usages:
                dims["usage_context"] = len(a.usages & f.usages) / len(a.usages | f.usages)
            if only:
                dims = {d: v for d, v in dims.items() if d in only}
                score = sum(dims.values()) / len(dims) if dims else 0.0
            elif a is not None:
                core = _weighted({d: dims[d] for d in CORE_DIMENSIONS}, weights)
                rest = _weighted({d: dims[d] for d in ("tempo", "energy", "mood")}, weights)
                sim = CORE_SHARE * core + (1.0 - CORE_SHARE) * rest
                if core < CORE_CAP_BELOW:
                    sim = min(sim, core + 0.2)
                if context is not None:
                    gate = fit ** (context.weight("usage_context") / 2)
                    score = gate * (0.35 + 0.65 * sim)
                else:
                    score = sim
                score *= _relative(a, f, c)
            elif f.id in audio:
                score = fit * (1.0 - QUERY_SHARE + QUERY_SHARE * audio[f.id])
            else:
                score = fit if context is not None else 0.5
            broken = violations(f, c)
            if broken:
                score = 0.0
            shared, diff = notes.shared_and_different(a, f) if a else ([], [])
            sure = min(a.tempo_conf, f.tempo_conf) if a else f.tempo_conf
            conf = 0.45 + 0.15 * sure + 0.25 * abs(score - 0.5) * 2
            conf += 0.1 if (a is None or (a.genre and f.genre)) else 0.0
            conf -= 0.1 if f.voiced is None else 0.0
            out.append(
                Verdict(
                    track_id=f.id,
                    anchor_id=anchor.id if anchor else None,
                    context=context.name if context else None,
                    score=round(min(1.0, max(0.0, score)), 4),
                    confidence=round(min(0.85, max(0.1, conf)), 3),
                    dimensions={d: round(v, 3) for d, v in dims.items()},
                    shared=shared if a else good,
                    differences=diff + bad + broken,
                    explanation=notes.explain(a, f, shared, diff, context, good, bad, broken),
                    backend=self.backend,
                )
            )
        out.sort(key=lambda v: (-v.score, v.track_id))
        return out

    def attribute(
        self, anchor: Track, candidates: Sequence[Track], dimensions: Sequence[str]
    ) -> list[Verdict]:
        """Similarity on the chosen dimensions only ("same rhythm feel, any genre")."""
        if anchor is None:
            raise ValueError("attribute judging compares with an anchor; none was given")
        return self.pointwise(anchor, candidates, None, None, dimensions=dimensions)

    def pairwise(
        self,
        anchor: Track | None,
        a: Track,
        b: Track,
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
    ) -> PairVerdict:
        """Which of ``a`` and ``b`` better serves (anchor, context); a small gap is a tie.

        Asked in both orders like the LLM judge; the rules are order-free, so the two
        answers agree by construction and ``consistent`` documents it.
        """
        c = (constraints or Constraints()).model_copy(update={"exclude_ids": []})
        orders: list[Winner] = []
        verdicts: dict[str, Verdict] = {}
        for first, second in ((a, b), (b, a)):
            vs = {v.track_id: v for v in self.pointwise(anchor, [first, second], context, c)}
            verdicts.update(vs)
            s1 = vs[first.id].score if first.id in vs else 0.0
            s2 = vs[second.id].score if second.id in vs else 0.0
            tie = abs(s1 - s2) <= TIE_MARGIN * max(s1, s2)
            pick: Winner = "tie" if tie else ("A" if s1 > s2 else "B")
            orders.append(pick if first is a else _SWAP[pick])
        winner: Winner = orders[0] if orders[0] == orders[1] else "tie"
        va, vb = verdicts.get(a.id), verdicts.get(b.id)
        sa, sb = (va.score if va else 0.0), (vb.score if vb else 0.0)
        reasons = _pair_reasons(winner, va, vb)
        conf = 0.4 if winner == "tie" else min(0.9, 0.5 + abs(sa - sb))
        return PairVerdict(
            anchor_id=anchor.id if anchor else None,
            context=context.name if context else None,
            a_id=a.id, b_id=b.id, winner=winner, reasons=reasons, confidence=round(conf, 3),
            consistent=orders[0] == orders[1], orders=orders, score_a=sa, score_b=sb,
            backend=self.backend,
        )  # fmt: skip

    def listwise(
        self,
        anchor: Track | None,
        candidates: Sequence[Track],
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
    ) -> ListVerdict:
        """Rank candidates (pointwise scores) and explain the order in one paragraph."""
        verdicts = self.pointwise(anchor, candidates, context, constraints)
        titles = {t.id: t.title for t in candidates}
        basis = []
        if context is not None:
            basis.append(f"fit to {context.label} (energy, tempo, vocals)")
        if anchor is not None:
            basis.append(f"closeness to '{anchor.title}' in genre, timbre and vocals")
        text = f"Ranked by {' first, then '.join(basis) or 'overall score'}."
        if verdicts:
            top = verdicts[0]
            text += f" '{titles[top.track_id]}' leads: {top.explanation}"
        if len(verdicts) > 1:
            last = verdicts[-1]
            why = "; ".join(last.differences[:3]) or "it shares the least with the request"
            text += f" '{titles[last.track_id]}' comes last: {why}."
        return ListVerdict(
            anchor_id=anchor.id if anchor else None,
            context=context.name if context else None,
            ranking=[v.track_id for v in verdicts],
            explanation=text,
            verdicts=verdicts,
            backend=self.backend,
        )


def _pair_reasons(winner: Winner, va: Verdict | None, vb: Verdict | None) -> list[str]:
    """Reasons for a pairwise call, taken from the two verdicts' facts."""
    if va is None or vb is None:
        return ["one candidate is excluded by the request"]
    if winner == "tie":
        return [f"scores are close ({va.score:.2f} vs {vb.score:.2f})"]
    win, lose = (va, vb) if winner == "A" else (vb, va)
    label = "A" if winner == "A" else "B"
    other = "B" if winner == "A" else "A"
    reasons = [f"{label} scores {win.score:.2f} vs {lose.score:.2f}"]
    reasons += [f"{other}: {d}" for d in lose.differences[:2]]
    reasons += [f"{label}: {s}" for s in win.shared[:2]]
    return reasons


def from_settings(settings: Any, chat: Any = None) -> RulesJudge:
    """The registry's ``rules`` judge (offline; ``chat`` is unused)."""
    return RulesJudge()
