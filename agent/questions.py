"""Questions about the playlist as it stands, answered from its tracks' facts.

"which one is the fastest?" started a new search for fast music and replaced the list,
"which ones have vocals?" did the same, and "how long is the playlist?" was answered
with picks. A question about the list changes nothing on it: it is answered here from
the stored measurements, with the limits judge the same facts (``tools.judge.limits``).
"""

from __future__ import annotations

import re
from typing import Any

from linernotes.agent.ops import HARD
from linernotes.agent.refs import track_of
from linernotes.agent.wording import constraint_words, limit_words
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.limits import violations
from linernotes.tools.judge.notes import tempo_words
from linernotes.tools.reason.bounds import duration_words
from linernotes.tools.schemas import Constraints, PlaylistItem, Track

SUPERLATIVES: tuple[tuple[re.Pattern[str], str, str, bool, str], ...] = tuple(
    (re.compile(rf"\b(?:{words})\b", re.I), measure, said, highest, opposite)
    for words, measure, said, highest, opposite in (
        (r"fastest|quickest|most up-?tempo", "tempo", "the fastest", True, "slowest"),
        (r"slowest", "tempo", "the slowest", False, "fastest"),
        (r"calmest|mellowest|quietest|softest|gentlest|chillest|most (?:relaxed|relaxing|"
         r"chill|calm|mellow)|least (?:energetic|intense)", "energy", "the calmest", False,
         "most energetic"),
        (r"most (?:energetic|intense|upbeat|aggressive)|loudest|liveliest|heaviest|"
         r"hardest|punchiest|least calm", "energy", "the most energetic", True, "calmest"),
        (r"longest", "duration", "the longest", True, "shortest"),
        (r"shortest", "duration", "the shortest", False, "longest"),
    )
)  # fmt: skip
"""Superlative words -> (what is measured, how it is said, highest?, the other end)."""
LENGTH = re.compile(
    r"\bhow long\b|\b(?:total|combined|overall) (?:length|duration|time|runtime|play ?time)\b|"
    r"\bhow many (?:tracks|songs|picks)\b",
    re.I,
)


def answer(
    question: str, playlist: list[PlaylistItem], asked: Constraints, state: Any, ctx: Any
) -> str:
    """The reply to a question about ``playlist`` ('' when it asks nothing of a track).

    ``asked`` is what the question's words ask of a track ("which ones have vocals": with
    vocals); a superlative ("the fastest") or a length question is read from ``question``.
    """
    if not playlist:
        return "The playlist is empty: ask for some music first."
    tracks = [track_of(it.track_id, state, ctx) for it in playlist]
    for pattern, measure, said, highest, opposite in SUPERLATIVES:
        if pattern.search(question):
            return _superlative(tracks, measure, said, highest, opposite)
    if LENGTH.search(question):
        total = sum(t.measurements.duration_s for t in tracks)
        return f"The playlist holds {len(tracks)} tracks, {duration_words(total)} in all."
    wanted = Constraints(**asked.model_dump(include=set(HARD), exclude_defaults=True))
    if wanted == Constraints():
        return ""  # nothing asked of a track: the caller shows the list
    return _matching(tracks, wanted)


def _superlative(tracks: list[Track], measure: str, said: str, highest: bool, other: str) -> str:
    values = [_measure(t, measure) for t in tracks]
    pick = max if highest else min
    at = values.index(pick(values))
    far = values.index((min if highest else max)(values))
    line = f"#{at + 1} “{tracks[at].title}” is {said} on the playlist ({_say(tracks[at], measure)})"
    if far != at:
        line += f"; the {other} is #{far + 1} “{tracks[far].title}” ({_say(tracks[far], measure)})"
    return line + "."


def _measure(track: Track, measure: str) -> float:
    m = track.measurements
    return {"tempo": m.tempo_bpm, "energy": m.energy, "duration": m.duration_s}[measure]


def _say(track: Track, measure: str) -> str:
    if measure == "tempo":
        return tempo_words(facts(track))
    if measure == "energy":
        return f"energy {track.measurements.energy:.2f}"
    return duration_words(track.measurements.duration_s)


def _matching(tracks: list[Track], wanted: Constraints) -> str:
    mode = [f"in a {wanted.mode} key"] if wanted.mode else []
    words = ", ".join(constraint_words(wanted)) or ", ".join([*limit_words(wanted), *mode])
    fit = [(i, t) for i, t in enumerate(tracks, start=1) if not violations(facts(t), wanted)]
    if not fit:
        return f"None of the {len(tracks)} on the playlist fits “{words}”."
    named = ", ".join(f"#{i} “{t.title}”" for i, t in fit)
    share = "All" if len(fit) == len(tracks) else f"{len(fit)} of the"
    verb = "fits" if len(fit) == 1 else "fit"
    return f"{share} {len(tracks)} on the playlist {verb} “{words}”: {named}."
