"""Liner notes: the paragraph behind each pick, where every claim says whose fact it is.

A note that gives the pick's key as if it were the anchor's ("Like 'Neon Rain' it sits at
83 BPM in F# major"), or says "shares the synth-pop genre" of a pair tagged techno and
synth-pop, is worse than no note: the listener believes it. So the note is built from
stored facts only (measurements and the listener's summary, flattened in ``Facts``) and
in a fixed shape whose every sentence has one subject:

    '<pick>' sits at 83 BPM in F# major; its energy (0.20) is low and it is instrumental.
    Like '<anchor>', it is instrumental and has low energy ('<anchor>': 0.18).
    For studying: low energy (0.20), 83 BPM, instrumental.
    Unlike '<anchor>', it is faster (83 BPM vs 75 BPM) and is in F# major (not D# major).

Sentence one is about the pick alone. "Like" clauses hold for both tracks and name the
anchor's own value in brackets where it differs in detail. "Unlike" clauses give the
pick's value first and the anchor's second. The context sentence lists the pick's facts
that suit or break the context. Facts that are not sure are hedged, never stated: a
weak tempo estimate is "about 83 BPM", one the fact-check suspects of an octave error is
"85 BPM (or double time, 170)", a weak key is "an uncertain key", a voice in the unsure
band "may have vocals". Claims that stored facts cannot settle (drums, when the listener
named no instruments) are not made. ``tests/test_liner_notes.py`` checks every note of
every (anchor, pick) pair of the demo against the stored facts.
"""

from __future__ import annotations

from linernotes.tools.clip import GENRE_SHOWN, clip
from linernotes.tools.judge.facts import Facts, tempo_similarity
from linernotes.tools.reason.contexts import ContextProfile

SURE_KEY = 0.25
"""Key confidence from which a key or mode is stated rather than called uncertain."""
SURE_TEMPO = 0.3
"""Tempo confidence from which a BPM is stated rather than said to be 'about'."""
SAME_TEMPO = 0.85
"""Tempo similarity (tools/judge/facts.py) from which two tempos count as alike."""
BRIGHTER = 1.35
"""Centroid ratio beyond which a track is called brighter (or darker, its inverse)."""


def tempo_words(f: Facts) -> str:
    """The pick's tempo, hedged when the estimate is weak or octave-doubtful."""
    if f.octave_doubt is not None:
        word = "double" if f.octave_doubt > f.bpm else "half"
        return f"{f.bpm:.0f} BPM (or {word} time, {f.octave_doubt:.0f})"
    if f.tempo_conf < SURE_TEMPO:
        return f"about {f.bpm:.0f} BPM"
    return f"{f.bpm:.0f} BPM"


def key_words(f: Facts) -> str:
    """'F# major', or 'an uncertain key' when the key estimate is weak."""
    return f"{f.key} {f.mode}" if f.key_conf >= SURE_KEY else "an uncertain key"


def _sure_keys(a: Facts, f: Facts) -> bool:
    return min(a.key_conf, f.key_conf) >= SURE_KEY


def _sure_tempos(a: Facts, f: Facts) -> bool:
    return (
        a.octave_doubt is None
        and f.octave_doubt is None
        and min(a.tempo_conf, f.tempo_conf) >= SURE_TEMPO
    )


def shared_and_different(a: Facts, f: Facts) -> tuple[list[str], list[str]]:
    """Clauses true of both tracks ("Like A, it ...") and where the pick differs.

    Every clause reads after "it" (the pick). A clause that quotes a value quotes whose it
    is: the anchor's by title in brackets in shared clauses, "pick vs anchor" in
    differences.
    """
    shared: list[str] = []
    diff: list[str] = []
    if _sure_tempos(a, f):
        if tempo_similarity(a.bpm, f.bpm) >= SAME_TEMPO:
            shared.append(f"moves at a similar tempo ('{a.title}': {a.bpm:.0f} BPM)")
        elif round(f.bpm) != round(a.bpm):
            word = "faster" if f.bpm > a.bpm else "slower"
            diff.append(f"is {word} ({f.bpm:.0f} BPM vs {a.bpm:.0f} BPM)")
    if _sure_keys(a, f):
        if a.key == f.key and a.mode == f.mode:
            shared.append(f"is in {f.key} {f.mode}")
        elif a.mode == f.mode:
            shared.append(f"is in a {f.mode} key ('{a.title}': {a.key} {a.mode})")
        else:
            diff.append(f"is in {f.key} {f.mode} (not {a.key} {a.mode})")
    if a.voiced is not None and f.voiced is not None:
        if a.voiced == f.voiced:
            shared.append("has vocals" if f.voiced else "is instrumental")
        else:
            diff.append("has vocals" if f.voiced else "is instrumental")
    if a.level == f.level:
        level = f.level.replace("_", " ")
        shared.append(f"has {level} energy ('{a.title}': {a.energy:.2f})")
    elif round(f.energy, 2) != round(a.energy, 2):
        word = "more energetic" if f.energy > a.energy else "calmer"
        diff.append(f"is {word} (energy {f.energy:.2f} vs {a.energy:.2f})")
    if a.genre and f.genre:
        mine, theirs = clip(f.genre, GENRE_SHOWN), clip(a.genre, GENRE_SHOWN)
        if a.genre == f.genre:
            shared.append(f"is tagged {mine}")
        elif a.family and a.family == f.family:
            shared.append(f"is in the {f.family} family ({mine}; '{a.title}': {theirs})")
        else:
            diff.append(f"is tagged {mine} (not {theirs})")
    common = sorted(a.instruments & f.instruments)
    if common:
        shared.append(f"features {', '.join(common[:3])}")
    ratio = f.bright / a.bright
    if ratio > BRIGHTER or ratio < 1 / BRIGHTER:
        word = "brighter" if ratio > 1 else "darker"
        diff.append(f"is {word} ({f.bright:.0f} Hz vs {a.bright:.0f} Hz centroid)")
    return shared, diff


def _and(clauses: list[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def explain(
    a: Facts | None,
    f: Facts,
    shared: list[str],
    diff: list[str],
    ctx: ContextProfile | None,
    good: list[str],
    bad: list[str],
    broken: list[str],
) -> str:
    """The liner note of one pick (see the module docstring for its shape)."""
    level = f.level.replace("_", " ")
    parts = [
        f"'{f.title}' sits at {tempo_words(f)} in {key_words(f)}; "
        f"its energy ({f.energy:.2f}) is {level} and it {f.vocals_phrase()}."
    ]
    if a is not None and shared:
        parts.append(f"Like '{a.title}', it {_and(shared[:4])}.")
    if ctx is not None:
        if bad:
            parts.append(f"Less suited to {ctx.label}: {', '.join(bad)}.")
        else:
            parts.append(f"For {ctx.label}: {', '.join(good) or 'it fits'}.")
    if a is not None and diff:
        parts.append(f"Unlike '{a.title}', it {_and(diff[:3])}.")
    if broken:
        parts.append(f"Excluded: it {'; '.join(broken)}.")
    return " ".join(parts)
