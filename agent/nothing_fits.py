"""Why a request found nothing: which of its limits the catalog cannot meet, and its range.

"I found nothing that fits (at least 6 min long)" leaves the listener guessing whether
they asked wrongly or the library is small. When a request's limits leave no pick, each
limit is tried alone over the whole catalog: one no track meets is named with what the
catalog does hold ("tracks here last 18 s to 31 s"); when each alone is met, the counts
say it is the combination ("classical: 8, with piano: 14, but none is both").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from linernotes.agent.wording import limit_words
from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.judge.facts import Facts, facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.reason.bounds import duration_words
from linernotes.tools.schemas import Constraints, Track

GROUPS: tuple[tuple[str, ...], ...] = (
    ("genres",),
    ("exclude_genres",),
    ("instruments", "any_instrument"),
    ("exclude_instruments",),
    ("no_vocals", "vocals_only"),
    ("min_energy", "max_energy"),
    ("min_bpm", "max_bpm", "avoid_bpm_from", "avoid_bpm_to"),
    ("min_duration_s", "max_duration_s"),
    ("mode",),
    ("key",),
)
"""Fields that make one limit together (a tempo range is one limit, not two)."""


def _limits(c: Constraints) -> list[Constraints]:
    """Each active limit of ``c`` on its own."""
    data = c.model_dump()
    out = []
    for group in GROUPS:
        fields = {k: data[k] for k in group if data[k] not in (None, False, [])}
        if fields and set(fields) != {"any_instrument"}:
            out.append(Constraints(**fields))
    return out


def _range(limit: Constraints, all_facts: Sequence[Facts]) -> str:
    """What the catalog holds on the dimension of a limit none of its tracks meets."""
    if limit.min_duration_s is not None or limit.max_duration_s is not None:
        lasts = sorted(f.duration for f in all_facts)
        return f"tracks here last {duration_words(lasts[0])} to {duration_words(lasts[-1])}"
    if limit.min_bpm is not None or limit.max_bpm is not None:
        bpm = sorted(f.bpm for f in all_facts)
        return f"tempos here run {bpm[0]:.0f} to {bpm[-1]:.0f} BPM"
    if limit.min_energy or limit.max_energy:
        ranks = sorted(f.level_rank for f in all_facts)
        lo, hi = (ENERGY_ORDER[r].replace("_", " ") for r in (ranks[0], ranks[-1]))
        return f"energy here runs from {lo} to {hi}" if lo != hi else f"every track here is {lo}"
    return ""


def _said(limit: Constraints) -> str:
    return " or ".join(limit.genres) if limit.genres else ", ".join(limit_words(limit))


def why_nothing(tracks: Iterable[Track], c: Constraints) -> list[str]:
    """Lines saying why no track meets ``c`` (empty when some track does, or no limit)."""
    all_facts = [facts(t) for t in tracks]
    limits = _limits(c)
    if not all_facts or not limits:
        return []
    if any(not violations(f, c) for f in all_facts):
        return []  # the catalog has one: the search, not the catalog, came up short
    met = [(lim, sum(not violations(f, lim) for f in all_facts)) for lim in limits]
    lines = []
    for lim, n in met:  # "string quartet or orchestral": genres are alternatives
        if n == 0:
            held = _range(lim, all_facts)
            said = _said(lim)
            lines.append(f"No track here fits “{said}”" + (f": {held}." if held else "."))
    if not lines and len(met) > 1:
        counts = "; ".join(f"{_said(lim)}: {n}" for lim, n in met)
        lines.append(f"Each limit alone is met ({counts} tracks), but no track meets them all.")
    return lines
