"""Records the judge returns beyond ``Verdict``, and the reply schemas an LLM judge fills.

``PairVerdict`` and ``ListVerdict`` are what both judge backends return for pairwise and
listwise judging. The ``*Reply`` models are what a language model must write: their
``Field(description=...)`` texts are the schema it sees, and every reply is validated
through them before anything is trusted. The reply schemas follow the
describe -> compare -> decide -> explain order on purpose: a model that must first write
down what it hears in each track hallucinates less in the comparison that follows.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from linernotes.tools.schemas import Verdict, utc_now

Winner = Literal["A", "B", "tie"]
JudgeMode = Literal["pointwise", "pairwise", "listwise", "attribute"]
JUDGE_MODES: tuple[str, ...] = ("pointwise", "pairwise", "listwise", "attribute")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairVerdict(_Record):
    """Which of two candidates better serves (anchor, context), asked in both orders."""

    anchor_id: str | None = Field(None, description="Anchor track id, if any.")
    context: str | None = Field(None, description="Listening context judged for.")
    a_id: str = Field(description="Track id of candidate A.")
    b_id: str = Field(description="Track id of candidate B.")
    winner: Winner = Field(description="'A', 'B', or 'tie' when neither is clearly better.")
    reasons: list[str] = Field(default_factory=list, description="Short reasons for the call.")
    confidence: float = Field(ge=0, le=1, description="How sure the judge is, 0-1.")
    consistent: bool = Field(description="True when both presentation orders gave the same answer.")
    orders: list[Winner] = Field(
        default_factory=list,
        description="Winner per order, mapped back to A/B: [A-first order, B-first order].",
    )
    score_a: float | None = Field(None, description="Pointwise score of A when known.")
    score_b: float | None = Field(None, description="Pointwise score of B when known.")
    dimensions_a: dict[str, float] = Field(
        default_factory=dict, description="Per-dimension scores of A (0-1) when judged."
    )
    dimensions_b: dict[str, float] = Field(
        default_factory=dict, description="Per-dimension scores of B (0-1) when judged."
    )
    backend: str = Field(description="Judge backend that decided.")
    model: str | None = None
    prompt_version: str | None = None
    created_at: str = Field(default_factory=utc_now)


class ListVerdict(_Record):
    """A ranking of candidates for (anchor, context) with the reason for the order."""

    anchor_id: str | None = Field(None, description="Anchor track id, if any.")
    context: str | None = Field(None, description="Listening context judged for.")
    ranking: list[str] = Field(description="Candidate track ids, best first.")
    explanation: str = Field(description="One paragraph explaining the order.")
    verdicts: list[Verdict] = Field(
        default_factory=list, description="Per-candidate verdicts in ranking order."
    )
    backend: str = Field(description="Judge backend that ranked.")
    model: str | None = None
    prompt_version: str | None = None
    created_at: str = Field(default_factory=utc_now)


# ---- what an LLM judge writes (validated before use) ---------------------------------


class TrackNote(_Record):
    """The model's description of one track before any comparison (the 'describe' step)."""

    track_id: str = Field(description="The track id exactly as given in the data.")
    description: str = Field(
        description="What the track sounds like from its data: genre, instruments, "
        "tempo, energy, vocals, mood. Facts only, no judgement yet."
    )


class CandidateJudgement(_Record):
    """The model's judgement of one candidate (compare -> decide -> explain)."""

    track_id: str = Field(description="The candidate's track id exactly as given.")
    dimensions: dict[str, float] = Field(
        default_factory=dict,
        description="Relevance 0-1 per dimension: genre_family, production_style, timbre, "
        "vocal_role, vocal_delivery, tempo, energy, mood, usage_context.",
    )
    shared: list[str] = Field(default_factory=list, description="Attributes it shares.")
    differences: list[str] = Field(default_factory=list, description="Notable differences.")
    score: float = Field(ge=0, le=1, description="Overall relevance 0-1 for the request.")
    confidence: float = Field(ge=0, le=1, description="How sure you are, 0-1.")
    explanation: str = Field(
        description="One paragraph naming the anchor by title and citing measured facts "
        "(BPM, key, energy, vocals) for why it fits or not."
    )


class PointwiseReply(_Record):
    """Reply to the pointwise prompt: describe every track, then judge each candidate."""

    notes: list[TrackNote] = Field(description="Step 1: one description per track given.")
    judgements: list[CandidateJudgement] = Field(
        description="Step 2: one judgement per candidate, in any order."
    )


class PairwiseReply(_Record):
    """Reply to the pairwise prompt: describe, compare, decide, explain."""

    notes: list[TrackNote] = Field(description="Step 1: describe the anchor, A and B.")
    comparison: str = Field(
        description="Step 2: how A and B differ on what matters for this request."
    )
    winner: Winner = Field(description="Step 3: 'A', 'B', or 'tie' if both are equally relevant.")
    reasons: list[str] = Field(description="Step 4: two to four short reasons.")
    confidence: float = Field(ge=0, le=1, description="How sure you are, 0-1.")


class ListwiseReply(_Record):
    """Reply to the listwise prompt: describe all, then rank and explain the order."""

    notes: list[TrackNote] = Field(description="Step 1: one description per track given.")
    ranking: list[str] = Field(description="Step 2: every candidate id, best first.")
    explanation: str = Field(description="Step 3: one paragraph explaining the order.")
