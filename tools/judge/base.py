"""The judge: describe -> compare -> decide -> explain, behind one interface.

Callers (the agent's judge node, ``linernotes judge``, hard-negative mining) hold a
``Judge`` and never care which backend it is: ``make_judge(settings)`` returns the
offline rules judge (``reasoner='rules'``) or an LLM judge over an OpenAI-compatible
server that falls back to the rules judge whenever the model is down or its reply does
not validate (``reasoner='openai'``). Every verdict names its backend, so a fallback is
visible in traces and in the UI.

Modes:
    pointwise  one verdict per candidate (what the recommender ranks by)
    pairwise   which of two candidates is better, asked in both orders
    listwise   a ranking with one explanation of the order
    attribute  similarity on chosen dimensions only ("same rhythm feel, any genre")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.judge.schemas import JUDGE_MODES, JudgeMode, ListVerdict, PairVerdict
from linernotes.tools.reason.contexts import ContextProfile, TextEmbedder, match_context
from linernotes.tools.registry import JUDGES
from linernotes.tools.schemas import Constraints, Track, Verdict

if TYPE_CHECKING:
    from linernotes.tools.judge.llm import ChatModel
    from linernotes.tools.settings import Settings

__all__ = [
    "JUDGE_MODES",
    "Judge",
    "JudgeResult",
    "ListVerdict",
    "PairVerdict",
    "RulesJudge",
    "judge_mode",
    "make_judge",
    "resolve_context",
    "verdicts_of",
]

JudgeResult = list[Verdict] | PairVerdict | ListVerdict


class Judge(Protocol):
    """What every judge backend offers (``RulesJudge``, ``LLMJudge``)."""

    name: str

    def pointwise(
        self,
        anchor: Track | None,
        candidates: Sequence[Track],
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
        *,
        audio_similarity: Mapping[str, float] | None = None,
    ) -> list[Verdict]:
        """One verdict per allowed candidate, best first."""
        ...

    def pairwise(
        self,
        anchor: Track | None,
        a: Track,
        b: Track,
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
    ) -> PairVerdict:
        """Which of two candidates better serves (anchor, context), both orders asked."""
        ...

    def listwise(
        self,
        anchor: Track | None,
        candidates: Sequence[Track],
        context: ContextProfile | None = None,
        constraints: Constraints | None = None,
    ) -> ListVerdict:
        """A ranking of the candidates with one paragraph explaining the order."""
        ...

    def attribute(
        self, anchor: Track, candidates: Sequence[Track], dimensions: Sequence[str]
    ) -> list[Verdict]:
        """Similarity to the anchor on the named dimensions only, best first."""
        ...


def make_judge(settings: Settings, *, chat: ChatModel | None = None) -> Judge:
    """Build the judge ``settings.judge`` names (unset: the reasoner's name).

    The registry (``tools.registry.JUDGES``) maps names to factories, so a new judge is
    one module and one registration.

    Args:
        settings: effective settings (reasoner, reasoner_model, reasoner_url, api_key).
        chat: a chat model to use instead of the OpenAI-compatible client (tests).

    Raises:
        UnknownBackend: the name is not registered, listing the known ones.
    """
    name = getattr(settings, "judge", None)
    if name is None:  # the judge follows the reasoner
        return JUDGES.build(settings.reasoner, settings, chat=chat, as_="reasoner")
    return JUDGES.build(name, settings, chat=chat)


def resolve_context(
    context: str | ContextProfile | None, embedder: TextEmbedder | None = None
) -> ContextProfile | None:
    """Turn the listener's context words into a profile (None when nothing matches)."""
    if context is None or isinstance(context, ContextProfile):
        return context
    match = match_context(context, embedder)
    return match.profile if match else None


def judge_mode(
    judge: Judge,
    mode: JudgeMode | str,
    anchor: Track | None,
    candidates: Sequence[Track],
    context: ContextProfile | None = None,
    constraints: Constraints | None = None,
    dimensions: Sequence[str] | None = None,
) -> JudgeResult:
    """Run one judging mode; the single dispatch the CLI and the agent share.

    Raises:
        ValueError: for an unknown mode, or arguments the mode cannot use (pairwise needs
            exactly two candidates; attribute needs an anchor and dimensions).
    """
    match mode:
        case "pointwise":
            return judge.pointwise(anchor, candidates, context, constraints)
        case "listwise":
            return judge.listwise(anchor, candidates, context, constraints)
        case "pairwise":
            if len(candidates) != 2:
                raise ValueError(f"pairwise judges exactly 2 candidates, got {len(candidates)}")
            return judge.pairwise(anchor, candidates[0], candidates[1], context, constraints)
        case "attribute":
            if anchor is None or not dimensions:
                raise ValueError("attribute mode needs an anchor and at least one dimension")
            return judge.attribute(anchor, candidates, dimensions)
        case _:
            raise ValueError(
                f"Unknown judge mode {mode!r}. Expected one of: {', '.join(JUDGE_MODES)}"
            )


def verdicts_of(result: JudgeResult) -> list[Verdict]:
    """The per-track verdicts inside a result (what ``Catalog.add_verdicts`` stores)."""
    if isinstance(result, ListVerdict):
        return list(result.verdicts)
    if isinstance(result, PairVerdict):
        return []
    return list(result)
