"""Hard limits: the constraints a track breaks, in words a listener can read.

"No vocals", "nothing over 110 bpm", "no metal", "no drums", "minor key": every judge
(rules, LLM, pairwise-audio) and the agent's playlist edits drop a track that breaks one,
so all of them ask this one function, over the judge's stored facts (``facts.Facts``).
"""

from __future__ import annotations

from linernotes.tools.analysis.scales import ENERGY_ORDER, VOICE_SPLIT
from linernotes.tools.judge import notes
from linernotes.tools.judge.facts import Facts
from linernotes.tools.reason.bounds import duration_words
from linernotes.tools.reason.vocabulary import load_vocabulary, track_families
from linernotes.tools.schemas import Constraints


def violations(f: Facts, c: Constraints) -> list[str]:
    """Hard constraints a track breaks, in words (empty when it is allowed)."""
    out = []
    # "no vocals" keeps only what was heard as instrumental: a track in the unsure band
    # is a sung line the analyser half heard more often than not (a singer under pads).
    if c.no_vocals and f.voiced is not False:
        sure = f.voice >= VOICE_SPLIT or f.voice_doubt
        out.append(f"{'has' if sure else 'may have'} vocals (instrumental only was asked)")
    if c.vocals_only and f.voiced is not True and f.voice < VOICE_SPLIT:
        out.append("is instrumental (vocals were asked)")
    if c.max_energy and f.level_rank > ENERGY_ORDER.index(c.max_energy):
        out.append(f"energy {f.level} is above the allowed {c.max_energy}")
    if c.min_energy and f.level_rank < ENERGY_ORDER.index(c.min_energy):
        out.append(f"energy {f.level} is below the required {c.min_energy}")
    bpm = f.octave_doubt or f.bpm  # a halved reading the fact-check caught counts doubled
    if c.min_bpm is not None and bpm < c.min_bpm:
        out.append(f"{notes.tempo_words(f)} is slower than {c.min_bpm:.0f}")
    if c.max_bpm is not None and bpm > c.max_bpm:
        out.append(f"{notes.tempo_words(f)} is faster than {c.max_bpm:.0f}")
    band = (c.avoid_bpm_from, c.avoid_bpm_to)
    if band[0] is not None and band[1] is not None and band[0] <= bpm <= band[1]:
        out.append(f"{notes.tempo_words(f)} is inside the left-out {band[0]:.0f}-{band[1]:.0f}")
    lasts = duration_words(f.duration)
    if c.min_duration_s is not None and f.duration < c.min_duration_s:
        out.append(f"lasts {lasts}, under {duration_words(c.min_duration_s)}")
    if c.max_duration_s is not None and f.duration > c.max_duration_s:
        out.append(f"lasts {lasts}, over {duration_words(c.max_duration_s)}")
    return out + _kind_violations(f, c)


def _kind_violations(f: Facts, c: Constraints) -> list[str]:
    """Genre, mode and instrument limits: what the listener named, from stored facts."""
    out = []
    if c.genres and f.genre not in c.genres:
        out.append(f"is {f.genre or 'untagged'}, not {' or '.join(c.genres)}")
    if f.genre and f.genre in c.exclude_genres:
        out.append(f"is {f.genre} (excluded)")
    if c.mode and f.mode != c.mode:
        out.append(f"is in {f.mode}, not {c.mode}")
    if c.key and f.key != c.key:
        out.append(f"is in {f.key}, not {c.key}")
    if c.instruments or c.exclude_instruments:
        families = track_families(f.instruments, f.genre, load_vocabulary())
        if "drums" in c.exclude_instruments and f.perc >= 0.55:
            families.add("drums")
        missing = [i for i in c.instruments if i not in families]
        if c.any_instrument and len(missing) < len(c.instruments):
            missing = []  # "piano or strings": one of them is there
        if missing:
            out.append(f"is not known to have {' or '.join(missing)}")
        present = [i for i in c.exclude_instruments if i in families]
        if present:
            out.append(f"has {' and '.join(present)} (excluded)")
    return out
