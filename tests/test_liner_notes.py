"""Every claim of every liner note is true of the track it is said of.

The property test renders the note of every (anchor, pick) pair the demo can produce
(every demo track as the anchor, every other track as the candidate, with no context and
with three listening contexts), reads each note back clause by clause with a grammar of
its own, and checks each claim against the stored facts of the track it names: the pick
for "'<pick>' sits at ...", both tracks for "Like '<anchor>', it ...", the pick's value
first and the anchor's second for "Unlike '<anchor>', it ... (x vs y)". A clause the
grammar cannot place fails the test too, so no claim goes unchecked. Tempos stated
without a hedge are also checked against the demo's labels: a beat tracker's octave
error must be hedged, never stated.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import pytest

from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.schemas import Track

CONTEXTS = (None, "studying", "running", "sleep")
VOICE = (0.35, 0.65)
ENERGY_BOUNDS = ((0.30, "low"), (0.55, "medium"), (0.78, "high"))
FAMILIES = {  # genre word -> family, as a listener would group the demo's styles
    "electronic": ("techno", "drum and bass", "synth-pop", "house", "electronic", "synthwave"),
    "rock": ("punk", "metal", "rock"),
    "hip-hop": ("hip-hop", "hip hop", "lo-fi"),
    "classical": ("orchestral", "string quartet", "classical"),
    "jazz": ("jazz",),
    "folk": ("folk",),
    "reggae": ("reggae",),
    "ambient": ("ambient",),
}


@dataclass(frozen=True)
class Stored:
    """A track's stored facts, read straight from the record (not through the judge)."""

    title: str
    bpm: float
    tempo_conf: float
    key: str
    mode: str
    key_conf: float
    energy: float
    level: str
    voiced: bool | None
    genre: str | None
    instruments: frozenset[str]
    bright: float
    loud: float
    label_bpm: float


def stored(track: Track, label_bpm: float) -> Stored:
    m, s = track.measurements, track.summary
    voiced = None if VOICE[0] < m.voice_probability < VOICE[1] else m.voice_probability >= VOICE[1]
    if s.vocals and "instrumental" in s.vocals.lower() and m.voice_probability < VOICE[1]:
        voiced = False
    if any(c.startswith("vocals:") for c in track.provenance.contradictions):
        voiced = None  # the ingest fact-check doubted it: only a hedge is true
    level = s.energy_level or next((n for b, n in ENERGY_BOUNDS if m.energy < b), "very_high")
    genre = s.genre or track.genre_tag
    return Stored(
        title=track.title,
        bpm=m.tempo_bpm,
        tempo_conf=m.tempo_confidence,
        key=m.key,
        mode=m.mode,
        key_conf=m.key_confidence,
        energy=m.energy,
        level=level.replace("_", " "),
        voiced=voiced,
        genre=genre.lower() if genre else None,
        instruments=frozenset(i.lower() for i in s.instruments),
        bright=m.brightness_hz,
        loud=m.loudness_db,
        label_bpm=label_bpm,
    )


def family(genre: str | None) -> str | None:
    for name, words in FAMILIES.items():
        if genre and any(w in genre for w in words):
            return name
    return genre


class Wrong(AssertionError):
    """A claim that is false of the track it names (or that no rule can place)."""


def need(ok: bool, claim: str) -> None:
    if not ok:
        raise Wrong(claim)


TEMPO = r"(?:about )?(\d+) BPM(?: \(or (?:double|half) time, (\d+)\))?"


def check_tempo(text: str, t: Stored) -> None:
    """A tempo phrase of ``t``: the stored value, hedged when unsure, true to the label."""
    m = re.fullmatch(TEMPO, text)
    need(m is not None, f"tempo phrase {text!r}")
    assert m is not None
    need(int(m.group(1)) == round(t.bpm), f"{text!r}: {t.title} is at {t.bpm:.1f} BPM")
    hedged = text.startswith("about") or m.group(2) is not None
    need(hedged or t.tempo_conf >= 0.3, f"{text!r} stated plainly at confidence {t.tempo_conf}")
    values = [int(m.group(1))] + ([int(m.group(2))] if m.group(2) else [])
    true = [v for v in values if abs(v - t.label_bpm) <= 0.08 * t.label_bpm]
    need(bool(true) or (hedged and not m.group(2)), f"{text!r}: {t.title} is at {t.label_bpm}")


def vocal(t: Stored) -> str:
    return {None: "may have vocals", True: "has vocals", False: "is instrumental"}[t.voiced]


def check_pick_sentence(s: str, p: Stored) -> None:
    m = re.fullmatch(
        r"'(.+?)' sits at (.+?) in (.+?); its energy \(([\d.]+)\) is ([a-z ]+) and it "
        r"(is instrumental|has vocals|may have vocals)\.",
        s,
    )
    need(m is not None and m.group(1) == p.title, f"pick sentence {s!r}")
    assert m is not None
    check_tempo(m.group(2), p)
    key = m.group(3)
    if p.key_conf >= 0.25:
        need(key == f"{p.key} {p.mode}", f"{key!r}: {p.title} is in {p.key} {p.mode}")
    else:
        need(key == "an uncertain key", f"{key!r} stated at key confidence {p.key_conf:.2f}")
    need(m.group(4) == f"{p.energy:.2f}" and m.group(5) == p.level, f"energy in {s!r}")
    need(m.group(6) == vocal(p), f"{m.group(6)!r}: {p.title} {vocal(p)}")


def sure_tempo(t: Stored) -> bool:
    return t.tempo_conf >= 0.3


def check_shared(clause: str, p: Stored, a: Stored) -> None:
    at = re.escape(a.title)
    if m := re.fullmatch(rf"moves at a similar tempo \('{at}': (\d+) BPM\)", clause):
        need(int(m.group(1)) == round(a.bpm) and sure_tempo(a) and sure_tempo(p), clause)
        need(abs(math.log(p.bpm / a.bpm)) <= 0.06, f"{clause}: {p.bpm:.0f} vs {a.bpm:.0f}")
        check_tempo(f"{a.bpm:.0f} BPM", a)
        check_tempo(f"{p.bpm:.0f} BPM", p)
    elif m := re.fullmatch(r"is in ([A-G]#?b?) (major|minor)", clause):
        for t in (p, a):
            need((t.key, t.mode) == m.groups() and t.key_conf >= 0.25, f"{clause}: {t.title}")
    elif m := re.fullmatch(
        rf"is in a (major|minor) key \('{at}': ([A-G]#?b?) (major|minor)\)", clause
    ):
        need(p.mode == m.group(1) == m.group(3) == a.mode and a.key == m.group(2), clause)
        need(min(p.key_conf, a.key_conf) >= 0.25, f"{clause}: unsure keys")
    elif clause in ("has vocals", "is instrumental"):
        need(vocal(p) == clause == vocal(a), f"{clause}: {vocal(p)} / {vocal(a)}")
    elif m := re.fullmatch(rf"has ([a-z ]+) energy \('{at}': ([\d.]+)\)", clause):
        need(p.level == m.group(1) == a.level and m.group(2) == f"{a.energy:.2f}", clause)
    elif m := re.fullmatch(r"is tagged (.+)", clause):
        need(p.genre == m.group(1) == a.genre, f"{clause}: {p.genre} / {a.genre}")
    elif m := re.fullmatch(rf"is in the (.+?) family \((.+?); '{at}': (.+)\)", clause):
        need(p.genre == m.group(2) and a.genre == m.group(3), f"{clause}: genres")
        need(family(p.genre) == family(a.genre) and p.genre != a.genre, f"{clause}: family")
    elif m := re.fullmatch(r"features (.+)", clause):
        for name in m.group(1).split(", "):
            need(name in p.instruments and name in a.instruments, f"{clause}: {name}")
    else:
        raise Wrong(f"unplaced shared clause {clause!r}")


def check_different(clause: str, p: Stored, a: Stored) -> None:
    if m := re.fullmatch(r"is (faster|slower) \((\d+) BPM vs (\d+) BPM\)", clause):
        check_tempo(f"{m.group(2)} BPM", p)
        check_tempo(f"{m.group(3)} BPM", a)
        need((p.bpm > a.bpm) == (m.group(1) == "faster"), clause)
    elif m := re.fullmatch(
        r"is in ([A-G]#?b?) (major|minor) \(not ([A-G]#?b?) (major|minor)\)", clause
    ):
        need((p.key, p.mode, a.key, a.mode) == m.groups(), clause)
        need(min(p.key_conf, a.key_conf) >= 0.25 and p.mode != a.mode, f"{clause}: unsure")
    elif clause in ("has vocals", "is instrumental"):
        need(vocal(p) == clause and a.voiced is not None and vocal(a) != clause, clause)
    elif m := re.fullmatch(r"is (more energetic|calmer) \(energy ([\d.]+) vs ([\d.]+)\)", clause):
        need(m.group(2) == f"{p.energy:.2f}" and m.group(3) == f"{a.energy:.2f}", clause)
        need((p.energy > a.energy) == (m.group(1) == "more energetic"), clause)
    elif m := re.fullmatch(r"is tagged (.+) \(not (.+)\)", clause):
        need((p.genre, a.genre) == m.groups() and family(p.genre) != family(a.genre), clause)
    elif m := re.fullmatch(r"is (brighter|darker) \((\d+) Hz vs (\d+) Hz centroid\)", clause):
        need(int(m.group(2)) == round(p.bright) and int(m.group(3)) == round(a.bright), clause)
        need((p.bright > a.bright) == (m.group(1) == "brighter"), clause)
    else:
        raise Wrong(f"unplaced difference {clause!r}")


def check_context_item(item: str, p: Stored) -> None:
    if m := re.fullmatch(r"([a-z ]+) energy \(([\d.]+)\)", item):
        need(m.group(1) == p.level and m.group(2) == f"{p.energy:.2f}", item)
    elif m := re.fullmatch(r"energy ([\d.]+) at (-?\d+) dBFS is too (intense|calm)", item):
        need(m.group(1) == f"{p.energy:.2f}" and int(m.group(2)) == round(p.loud), item)
    elif m := re.fullmatch(rf"({TEMPO}) is outside (\d+)-(\d+)", item):
        check_tempo(m.group(1), p)
    elif re.fullmatch(TEMPO, item):
        check_tempo(item, p)
    elif m := re.fullmatch(r"([a-z ]+) energy", item):
        need(m.group(1) == p.level, item)
    elif item in ("instrumental", "has vocals", "may have vocals"):
        need(vocal(p).removeprefix("is ") == item, f"{item}: {p.title} {vocal(p)}")
    elif m := re.fullmatch(r"(major|minor) key", item):
        need(p.mode == m.group(1), item)
    elif item != "it fits":
        raise Wrong(f"unplaced context claim {item!r}")


CLAUSE = r", (?=(?:moves|is|has|features) )| and (?=(?:moves|is|has|features) )"


def check_note(note: str, p: Stored, a: Stored | None) -> None:
    """Check every sentence of one note; raise ``Wrong`` at the first false claim."""
    sentences = re.split(r"(?<=\.) (?=['A-Z])", note)
    check_pick_sentence(sentences[0], p)
    for s in sentences[1:]:
        if a is not None and s.startswith(f"Like '{a.title}', it "):
            body = s.removeprefix(f"Like '{a.title}', it ").removesuffix(".")
            for clause in re.split(CLAUSE, body):
                check_shared(clause, p, a)
        elif a is not None and s.startswith(f"Unlike '{a.title}', it "):
            body = s.removeprefix(f"Unlike '{a.title}', it ").removesuffix(".")
            for clause in re.split(CLAUSE, body):
                check_different(clause, p, a)
        elif m := re.fullmatch(r"(?:For|Less suited to) [^:]+: (.+)\.", s):
            for item in re.split(r", (?=[a-z0-9-])(?![^(]*\))", m.group(1)):
                check_context_item(item, p)
        else:
            raise Wrong(f"unplaced sentence {s!r}")


def _stored_demo(cat) -> tuple[list[Track], dict[str, Stored]]:
    from linernotes.agent.run import session_for

    catalog = session_for(cat.settings).catalog
    tracks = catalog.tracks()
    labels = {r["path"]: float(r["bpm"]) for r in cat.rows}
    return tracks, {t.id: stored(t, labels[t.path]) for t in tracks}


@pytest.mark.parametrize("which", ["demo_catalog", "heldout_catalog"])
def test_every_note_of_every_anchor_pick_pair_is_true(which, request) -> None:
    cat = request.getfixturevalue(which)
    tracks, facts = _stored_demo(cat)
    judge = RulesJudge()
    checked, wrong = 0, Counter[str]()
    examples: list[str] = []
    for context in CONTEXTS:
        profile = get_context(context) if context else None
        for anchor in tracks:
            for v in judge.pointwise(anchor, tracks, profile):
                checked += 1
                try:
                    check_note(v.explanation, facts[v.track_id], facts[anchor.id])
                except Wrong as e:
                    wrong[str(e).split(":")[0][:40]] += 1
                    if len(examples) < 5:
                        examples.append(f"{e}\n    in: {v.explanation}")
    assert checked >= len(tracks) * (len(tracks) - 1) * len(CONTEXTS)
    assert not wrong, f"{sum(wrong.values())} of {checked} notes wrong: {wrong}\n" + "\n".join(
        examples
    )


def test_context_only_notes_are_true(heldout_catalog) -> None:
    tracks, facts = _stored_demo(heldout_catalog)
    for context in CONTEXTS[1:]:
        for v in RulesJudge().pointwise(None, tracks, get_context(context)):
            check_note(v.explanation, facts[v.track_id], None)


def test_the_checker_catches_the_defects_seen_in_use(heldout_catalog) -> None:
    """The grammar is not a mirror that passes anything: known false notes fail it."""
    tracks, facts = _stored_demo(heldout_catalog)
    a, p = next(
        (facts[x.id], facts[y.id])
        for x in tracks
        for y in tracks
        if facts[x.id].key_conf >= 0.25
        and facts[y.id].key_conf >= 0.25
        and facts[x.id].key != facts[y.id].key
        and facts[y.id].tempo_conf >= 0.3
    )
    own = (
        f"'{p.title}' sits at {p.bpm:.0f} BPM in {p.key} {p.mode}; "
        f"its energy ({p.energy:.2f}) is {p.level} and it {vocal(p)}."
    )
    check_note(own, p, a)
    bad = [
        own.replace(f"in {p.key} {p.mode}", f"in {a.key} {a.mode}"),  # the anchor's key
        own + f" Like '{a.title}', it is in {p.key} {p.mode}.",  # pick's key said of both
        own + f" Like '{a.title}', it has no drums.",  # a claim no fact settles
        own.replace(f"{p.bpm:.0f} BPM", f"{p.bpm * 2:.0f} BPM"),
    ]
    for note in bad:
        with pytest.raises(Wrong):
            check_note(note, p, a)


def test_an_octave_error_is_hedged_not_stated(heldout_catalog) -> None:
    tracks, facts = _stored_demo(heldout_catalog)
    halved = [t for t in tracks if abs(2 * facts[t.id].bpm - facts[t.id].label_bpm) < 10]
    assert halved, "the held-out demo has a drum-and-bass track read at half time"
    from linernotes.tools.listen.factcheck import fact_check

    for t in halved:
        fc = fact_check(t.measurements, t.summary, t.caption)
        assert fc.consistency is not None and fc.consistency < 1.0
        assert any("double time" in c for c in fc.contradictions)
        note = RulesJudge().pointwise(None, [t], get_context("studying"))[0].explanation
        assert f"(or double time, {2 * facts[t.id].bpm:.0f})" in note
        # a tempo bound judges the doubled reading: "nothing above 150" keeps it out
        from linernotes.tools.schemas import Constraints

        bound = RulesJudge().pointwise(None, [t], None, Constraints(max_bpm=150))[0]
        assert bound.score == 0 and facts[t.id].bpm < 150


def test_a_voice_the_detector_missed_is_hedged_and_kept_out_of_instrumental_lists() -> None:
    from factories import make_track

    from linernotes.tools.listen.factcheck import fact_check
    from linernotes.tools.schemas import Constraints

    track = make_track("hushed", title="Hushed", bpm=84, energy=0.23, voice=0.09)
    caption = "A hushed ambient piece; a soft female singer hums over the pads."
    fc = fact_check(track.measurements, track.summary, caption)
    assert fc.consistency is not None and fc.consistency < 1.0
    assert any(c.startswith("vocals:") for c in fc.contradictions)
    doubted = track.model_copy(
        update={
            "provenance": track.provenance.model_copy(update={"contradictions": fc.contradictions})
        }
    )
    note = RulesJudge().pointwise(None, [doubted], get_context("studying"))[0].explanation
    assert "it may have vocals" in note and "is instrumental" not in note
    check_note(note, stored(doubted, 84), None)
    plain = RulesJudge().pointwise(None, [track], None, Constraints(no_vocals=True))[0]
    assert plain.score > 0
    kept_out = RulesJudge().pointwise(None, [doubted], None, Constraints(no_vocals=True))[0]
    assert kept_out.score == 0
