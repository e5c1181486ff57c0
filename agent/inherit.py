"""How a refinement inherits the request its playlist answers.

"only instrumental ones please" after a workout list keeps the workout context and adds
"no vocals" (``inherit``); constraints add up unless the turn replaces or lifts one
(``accumulate``), and what a turn replaces or lifts (``superseded``) also leaves the search
text and the lines the answer says it read (``tools.reason.lifting``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from linernotes.agent.ops import merge_constraints
from linernotes.agent.wording import constraint_words
from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.reason.easing import ROOM, eased_value
from linernotes.tools.reason.lifting import query_without, understood_without
from linernotes.tools.schemas import Constraints, Request

OPPOSITES = (
    ("no_vocals", "vocals_only"),
    ("calmer", "more_energetic"),
    ("faster", "slower"),
    ("shorter", "longer"),
)
"""A turn that asks for one of a pair replaces the standing request's other one."""
BOUNDS = (
    ("min_bpm", "max_bpm"),
    ("min_energy", "max_energy"),
    ("min_duration_s", "max_duration_s"),
)
"""Lower and upper bounds of one dimension: a turn's bound that leaves no room drops the other."""


def lifted(c: Constraints, released: Collection[str]) -> Constraints:
    """``c`` without the fields a turn lifted ("vocals are fine": no_vocals, vocals_only)."""
    kept = c.model_dump(exclude_defaults=True)
    return Constraints(**{k: v for k, v in kept.items() if k not in released})


def accumulate(
    standing: Constraints, turn: Constraints, released: Collection[str] = ()
) -> Constraints:
    """The standing request's constraints with this turn's on top.

    Constraints add up ("for running" then "only instrumental ones" keeps both) unless the
    turn replaces one: a new value of the same field, the opposite wish ("with vocals"
    after "no vocals"), or a bound that leaves no room with the standing one ("over 140"
    after "under 120" drops the "under 120"), or says it no longer holds (``released``:
    "actually vocals are fine" lifts "no vocals").
    """
    new = turn.model_dump(exclude_defaults=True)
    base = lifted(standing, superseded(turn, released))
    merged = merge_constraints(base, turn).model_dump(exclude_defaults=True)
    merged["exclude_ids"] = list(dict.fromkeys([*standing.exclude_ids, *turn.exclude_ids]))

    def rank(field: str, value: Any) -> float:
        return float(ENERGY_ORDER.index(value)) if "energy" in field else float(value)

    for lo, hi in BOUNDS:
        if lo in merged and hi in merged and rank(lo, merged[lo]) > rank(hi, merged[hi]):
            merged.pop(hi if lo in new else lo)
    return Constraints(**merged)


def inherit(basis: Request, turn: Request) -> Request:
    """The request a refinement acts on.

    It keeps what the playlist answers (anchor, context, query) and adds this turn's
    constraints (``accumulate``) and count. What the turn lifts or replaces ("forget the
    tempo", "between 90 and 110 bpm" after "around 100") also takes the earlier words that
    only spoke for it out of the search text and out of what the answer says it read
    (``superseded``, ``tools.reason.lifting``).
    """
    constraints, room = eased(
        accumulate(basis.constraints, turn.constraints, turn.released), turn.eased
    )
    # what the turn lifts or replaces, and any standing bound that merging dropped ("over
    # 140" after "under 120") or easing moved
    gone = superseded(turn.constraints, turn.released) | dropped(basis.constraints, constraints)
    gone |= set(room)
    said = still_true(understood_without(basis.understood, gone), basis, set(room))
    return basis.model_copy(
        update={
            "text": turn.text,
            "intent": "refine",
            "context": turn.context or basis.context,
            "context_name": turn.context_name or basis.context_name,
            "constraints": constraints,
            "text_query": query_without(_query_of(basis, turn), gone),
            "count": turn.count or basis.count,
            # what this turn added is said too ("“not so loud” → energy up to medium")
            "understood": list(dict.fromkeys([*said, *_with_room(turn.understood, room)])),
            "unclear": turn.unclear,
        }
    )


def eased(c: Constraints, fields: Collection[str]) -> tuple[Constraints, dict[str, str]]:
    """``c`` with each bound in ``fields`` moved one step outwards, and what each now says.

    "a little faster is ok" after "nothing faster than 100": at most 110 BPM. A bound
    that is not standing has nothing to ease (the turn still lifted the opposite wish).
    """
    values = c.model_dump(exclude_defaults=True)
    said: dict[str, str] = {}
    for field in fields:
        if field in values:
            was = "; ".join(constraint_words(Constraints(**{field: values[field]})))
            values[field] = eased_value(field, values[field])
            now = "; ".join(constraint_words(Constraints(**{field: values[field]})))
            said[field] = f"{now} (was {was})"
    return Constraints(**values), said


def _with_room(lines: list[str], room: dict[str, str]) -> list[str]:
    """The turn's lines, its “a little faster is ok” → more room saying how much."""
    if not room:
        return lines
    where = "; ".join(room.values())
    return [ln.replace(f"→ {ROOM}", f"→ {where}") if ln.endswith(ROOM) else ln for ln in lines]


def still_true(lines: list[str], basis: Request, moved: set[str]) -> list[str]:
    """``lines`` less those that state a bound ``moved`` from its old value.

    The typed words of "nothing faster than 100" read alone ask for the opposite, so
    ``understood_without`` cannot tell the line “faster than 100” (negated) → at most 100
    BPM is about max_bpm; what it says after the arrow can.
    """
    old = basis.constraints.model_dump(exclude_defaults=True)
    stale = {
        words
        for field in moved & set(old)
        for words in constraint_words(Constraints(**{field: old[field]}))
    }
    return [ln for ln in lines if not any(w in ln.partition(" → ")[2] for w in stale)]


def dropped(standing: Constraints, now: Constraints) -> set[str]:
    """Fields the standing constraints set that ``now`` no longer has."""
    had = standing.model_dump(exclude_defaults=True)
    return set(had) - set(now.model_dump(exclude_defaults=True))


def superseded(turn: Constraints, released: Collection[str] = ()) -> set[str]:
    """The ``Constraints`` fields whose standing values a turn lifts or replaces.

    What it lifts (``released``), every single-valued field it sets ("between 90 and 110
    bpm" replaces "around 100") and the other of an opposite pair ("no vocals" replaces
    "with vocals"). List fields (genres, instruments, excluded ids) add up, so they never
    supersede.
    """
    set_now = {
        k for k, v in turn.model_dump(exclude_defaults=True).items() if not isinstance(v, list)
    }
    gone = set(released) | set_now
    for a, b in OPPOSITES:
        if a in set_now:
            gone.add(b)
        if b in set_now:
            gone.add(a)
    return gone


def _query_of(basis: Request, turn: Request) -> str | None:
    """The words a refinement searches with: the playlist's, unless the turn names new genres.

    "punk rock" then "not punk, metal" searched for "punk rock" with punk excluded.
    """
    asked = [g for g in turn.constraints.genres if g not in basis.constraints.genres]
    if asked and basis.anchor is None:
        return turn.text_query or " ".join(asked)
    return basis.text_query
