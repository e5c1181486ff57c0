"""One scale for energy and voice: captions, judge, search filter and replies agree.

Each module reads the number through ``tools.analysis.scales``; these tests sweep the
whole range and fail when any of them draws its own line somewhere else.
"""

import numpy as np
from factories import make_track, measurements

from linernotes.agent.wording import describe_track
from linernotes.tools.analysis.scales import (
    ENERGY_BOUNDS,
    VOICE_BOUNDS,
    energy_class,
    voiced,
)
from linernotes.tools.catalog.catalog import track_metadata
from linernotes.tools.catalog.filters import constraints_to_where
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.listen.labels import energy_level, has_vocals
from linernotes.tools.schemas import Constraints, TrackSummary

GRID = [round(float(x), 3) for x in np.linspace(0.0, 1.0, 201)]


def bare(voice: float = 0.1, energy: float = 0.5):
    """A track whose summary names neither vocals nor energy: only the numbers speak."""
    t = make_track("t", voice=voice, energy=energy)
    return t.model_copy(update={"summary": TrackSummary(description="x")})


def test_voice_bounds_are_where_captions_and_the_judge_change_their_mind():
    lo, hi = VOICE_BOUNDS
    for p in GRID:
        expected = False if p <= lo else True if p >= hi else None
        assert voiced(p) is expected
        assert has_vocals(measurements(voice_probability=p)) is expected, p
        assert facts(bare(voice=p)).voiced is expected, p


def _passes(meta: dict, clause: dict) -> bool:
    """Whether one track's metadata passes a one-field Chroma clause (equality or $lte/$gte)."""
    ((field, cond),) = clause.items()
    if not isinstance(cond, dict):
        return meta[field] == cond
    ((op, bound),) = cond.items()
    return {"$lte": meta[field] <= bound, "$gte": meta[field] >= bound}[op]


def test_search_filter_keeps_exactly_what_the_judge_accepts():
    """A no-vocals (vocals-only) request: the Chroma filter and the judge agree per track.

    "No vocals" keeps only tracks heard as instrumental (the unsure band is left out);
    "vocals only" keeps what is more likely sung than not.
    """
    for ask in (Constraints(no_vocals=True), Constraints(vocals_only=True)):
        clause = constraints_to_where(ask, None)
        for p in GRID:
            t = bare(voice=p)
            kept = _passes(track_metadata(t), clause)
            refused = bool(violations(facts(t), ask))
            assert kept != refused, (ask, p)
            says = describe_track(t).endswith("instrumental")
            assert says == (track_metadata(t)["has_voice"] is False), p
    unsure = bare(voice=0.45)
    assert violations(facts(unsure), Constraints(no_vocals=True)) == [
        "may have vocals (instrumental only was asked)"
    ]


def test_energy_classes_agree_between_captions_and_the_judge():
    for e in GRID:
        t = bare(energy=e)
        assert facts(t).level == energy_level(t.measurements) == energy_class(e), e
    assert [energy_class(b) for b in ENERGY_BOUNDS] == ["medium", "high", "very_high"]
    assert [energy_class(b - 1e-9) for b in ENERGY_BOUNDS] == ["low", "medium", "high"]
