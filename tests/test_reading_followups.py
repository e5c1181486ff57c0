"""Follow-up phrasings: what a turn lifts, replaces, eases or resizes in the standing request.

Parse-level, no catalog: "either is fine for vocals", "sadder", "major instead of minor",
"and maybe 10 of them", "a little faster is ok". The conversations they belong to are in
test_requests_typed.py and test_conversation_refine.py.
"""

from __future__ import annotations

import pytest

from linernotes.tools.reason.reading import count_of, read_request
from linernotes.tools.reason.rules import RulesReasoner


@pytest.mark.parametrize(
    "text",
    [
        "actually either is fine for vocals",
        "both are fine for vocals",
        "either way is ok for vocals",
        "no preference on vocals",
        "i'm easy about vocals",
    ],
)
def test_indifference_to_vocals_lifts_the_voice_wish(text: str) -> None:
    """ "either is fine for vocals" read as *with* vocals, and "for vocals" as an unknown
    listening situation (so "either way is ok for vocals" picked nothing)."""
    req = RulesReasoner().understand(text)
    c = req.constraints
    assert not c.vocals_only and not c.no_vocals, (text, c)
    assert {"no_vocals", "vocals_only"} <= set(req.released), text
    assert not any("listening situation" in u for u in req.unclear), req.unclear
    assert req.context_name is None


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("something like that but sadder", "minor"),
        ("darker please", "minor"),
        ("a bit moodier", "minor"),
        ("make it a bit happier", "major"),
        ("something more uplifting", "major"),
    ],
)
def test_comparative_moods_name_the_mode(text: str, mode: str) -> None:
    """ "but sadder" was searched as a plain word and asked for nothing."""
    assert read_request(text).constraints.get("mode") == mode, text


@pytest.mark.parametrize(
    ("text", "wanted", "refused"),
    [
        ("hmm something in a major key instead of minor", {"mode": "major"}, None),
        ("piano instead of guitar", {"instruments": ["piano"]}, ("instruments", "guitar")),
        ("jazz rather than ambient", {"genres": ["jazz piano trio"]}, ("genres", "ambient")),
        ("piano as opposed to guitar", {"instruments": ["piano"]}, ("instruments", "guitar")),
    ],
)
def test_instead_of_refuses_what_it_replaces(text: str, wanted: dict, refused) -> None:
    """ "major key instead of minor" asked for both keys and was taken for a swap of a
    track ("which one? Say #1-#8"); "piano instead of guitar" asked for both."""
    from linernotes.tools.reason.rules_edits import read_edit

    c = read_request(text).constraints
    for field, value in wanted.items():
        assert c.get(field) == value, (text, c)
    if refused:
        field, value = refused
        assert value in c.get(f"exclude_{field}", []), (text, c)
    assert read_edit(text).op is None
    assert read_edit("swap #3 instead of #5").op == "swap"  # tracks named: still an edit


@pytest.mark.parametrize(
    ("text", "count"),
    [("and maybe 10 of them", 10), ("maybe 12", 12), ("ok how about 6?", 6), ("so 120 bpm", None)],
)
def test_a_follow_up_count_after_an_opening_word(text: str, count) -> None:
    """ "and maybe 10 of them" after a list was ignored (8 picks again)."""
    assert count_of(text)[0] == count


@pytest.mark.parametrize(
    ("text", "bound", "lifted"),
    [
        ("hmm maybe a little faster is ok", "max_bpm", "slower"),
        ("slower ones are fine too", "min_bpm", "faster"),
        ("i don't mind them a bit louder", "max_energy", "calmer"),
        ("it can be slightly longer", "max_duration_s", "shorter"),
    ],
)
def test_permission_to_go_past_a_limit_eases_it(text: str, bound: str, lifted: str) -> None:
    """ "a little faster is ok" after "nothing faster than 100" was read as a wish for
    faster music (over the playlist's median) with the cap of 100 kept."""
    req = RulesReasoner().understand(text)
    assert req.eased == [bound] and lifted in req.released, (text, req)
    assert not any(getattr(req.constraints, w) for w in ("faster", "slower", "calmer"))


@pytest.mark.parametrize("text", ["a little faster please", "make it faster", "faster ones"])
def test_a_comparative_without_permission_is_still_a_wish(text: str) -> None:
    req = RulesReasoner().understand(text)
    assert not req.eased and req.constraints.faster, text


def test_eased_bounds_move_one_step() -> None:
    from linernotes.tools.reason.easing import eased_value

    assert eased_value("max_bpm", 100.0) == 110.0 and eased_value("min_bpm", 90.0) == 80.0
    assert eased_value("max_energy", "medium") == "high"
    assert eased_value("min_energy", "low") == "low"  # nothing below the lowest class
    assert eased_value("max_duration_s", 240) == 288
