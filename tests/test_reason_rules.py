"""The rules reasoner: intent, anchor, context, constraints and count from one message."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from linernotes.tools.errors import TrackNotFoundError
from linernotes.tools.reason.rules import RulesReasoner
from linernotes.tools.schemas import Constraints


@pytest.fixture(scope="module")
def text_embedder():
    from linernotes.tools.embed.factory import make_text_embedder
    from linernotes.tools.settings import Settings

    return make_text_embedder(Settings())


@pytest.fixture(scope="module")
def reasoner(text_embedder) -> RulesReasoner:
    r = RulesReasoner(text_embedder)
    r.understand("warm up for studying")  # embeds the contexts' example phrases once
    return r


class FakeCatalog:
    """Just what the reasoner reads: ``tracks()`` and ``resolve(ref)`` by id prefix."""

    def __init__(self, titles: dict[str, str]) -> None:
        self._tracks = [SimpleNamespace(id=i, title=t) for i, t in titles.items()]

    def __len__(self) -> int:
        return len(self._tracks)

    def tracks(self):
        return list(self._tracks)

    def existing_ids(self, ids):
        return {t.id for t in self._tracks if t.id in set(ids)}

    def resolve(self, ref: str):
        hits = [t for t in self._tracks if t.id.startswith(ref)]
        if len(hits) != 1:
            raise TrackNotFoundError(f"no track matches {ref!r}")
        return hits[0]


CATALOG = FakeCatalog(
    {
        "a1b2c3d4e5f60718": "Neon Rain",
        "b2c3d4e5f6071829": "Music for Airports",
        "c3d4e5f607182930": "Dusty Tape Loops",
        "d4e5f60718293041": "Run",
        "e5f6071829304152": "Midnight Study Session",
    }
)


# -- intent ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("more like Neon Rain but for studying", "recommend"),
        ("something to read to", "recommend"),
        ("jazz with trumpet", "recommend"),
        ("instrumental, not too loud, 90-110 bpm", "recommend"),
        ("why did you pick #2?", "explain"),
        ("explain the third one", "explain"),
        ("describe Neon Rain", "describe"),
        ("what does Neon Rain sound like?", "describe"),
        ("swap the third one", "refine"),
        ("give me two more", "refine"),
        ("hello", "chat"),
        ("thanks!", "chat"),
        ("what can you do?", "chat"),
    ],
)
def test_intent(reasoner: RulesReasoner, text: str, intent: str) -> None:
    assert reasoner.understand(text).intent == intent


# -- anchor ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("more like Neon Rain but for studying", "Neon Rain"),
        ("something like 'Dusty Tape Loops', no vocals", "Dusty Tape Loops"),
        ("play songs similar to “Neon Rain”", "Neon Rain"),
        ("like track a1b2c3d4e5", "a1b2c3d4e5"),
        ("more like /music/x/song.flac but faster", "/music/x/song.flac"),
        ("why did you pick #2?", "#2"),
        ("why the second one", "#2"),
        ("something calmer for track 3", "#3"),
        ("describe track 3", "#3"),
        ("something to read to", None),
        ("I'd like something calm", None),
    ],
)
def test_anchor_without_catalog(reasoner: RulesReasoner, text: str, anchor: str | None) -> None:
    assert reasoner.understand(text).anchor == anchor


@pytest.mark.parametrize(
    ("text", "track_id"),
    [
        ("more like Neon Rain but for studying", "a1b2c3d4e5f60718"),
        ("more like Music for Airports but for a run", "b2c3d4e5f6071829"),  # 'for' in title
        ('10 tracks like "music for airport"', "b2c3d4e5f6071829"),
        ("like track a1b2c3", "a1b2c3d4e5f60718"),  # id prefix
        ("something like Midnight Study Session", "e5f6071829304152"),
        ("give me something calmer than Dusty Tape Loops", "c3d4e5f607182930"),
    ],
)
def test_anchor_resolved_against_catalog(reasoner: RulesReasoner, text: str, track_id: str) -> None:
    assert reasoner.understand(text, catalog=CATALOG).anchor == track_id


def test_title_with_for_keeps_the_context_after_it(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("more like Music for Airports but for a run", catalog=CATALOG)
    assert req.context_name == "running"


def test_short_title_is_not_found_inside_a_context(reasoner: RulesReasoner) -> None:
    # "Run" is a title, but "for a run" is a context, not an anchor.
    req = reasoner.understand("something energetic for a run", catalog=CATALOG)
    assert req.anchor is None
    assert req.context_name == "running"


def test_unresolved_title_is_said_absent_not_used(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("more like Totally Unknown Song", catalog=CATALOG)
    assert req.anchor is None and req.absent == ["Totally Unknown Song"]
    assert req.intent == "chat"  # nothing else to go by: no picks


def test_misspelt_title_is_offered_never_used(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("more like neon rian for a run", catalog=CATALOG)
    assert req.anchor is None
    assert req.did_you_mean == ["Neon Rain"]


# -- context ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("more like Neon Rain but for studying", "studying"),
        ("something to read to", "studying"),  # no keyword: sentence similarity
        ("music for hitting the gym", "running"),
        ("songs to fall asleep to", "sleep"),
        ("something to keep me going on a long jog", "running"),
        ("background music while I code", "studying"),
        ("tracks to dance to", "party"),
        ("music for my morning coffee", "morning"),
        ("something for a rainy evening of coding", "studying"),
        ("something for a rainy afternoon", "relaxing"),  # was read as "morning"
        ("cozy music for a rainy day", "relaxing"),
        ("bedtime music for kids", "sleep"),  # a keyword beats a guess ("kids" -> gaming)
        ("workout playlist", "running"),
        ("something chill", "relaxing"),
    ],
)
def test_context_maps_by_similarity(reasoner: RulesReasoner, text: str, context: str) -> None:
    assert reasoner.understand(text).context_name == context


@pytest.mark.parametrize(
    "text", ["jazz with trumpet", "some dark ambient with piano", "more like Neon Rain", "hello"]
)
def test_no_context_where_none_is_named(reasoner: RulesReasoner, text: str) -> None:
    assert reasoner.understand(text).context_name is None


@pytest.mark.parametrize(
    "text",
    [
        "something for my little brother",
        "songs for my mom",
        "music for our guests",
        "for my 7 year old son",
    ],
)
def test_who_it_is_for_is_no_context_guess(reasoner: RulesReasoner, text: str) -> None:
    """Was guessed by similarity ("little brother" -> running+dinner); now it says so."""
    req = reasoner.understand(text)
    assert req.context_name is None and req.intent == "chat", req
    assert any("who the music is for" in u for u in req.unclear), req.unclear


def test_who_it_is_for_beside_a_real_wish_keeps_the_wish(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("calm music for my girlfriend")
    assert req.intent == "recommend" and req.constraints.max_energy == "medium"
    assert any("who the music is for is not something I can hear" in u for u in req.unclear)
    assert reasoner.understand("bedtime music for my little brother").context_name == "sleep"


def test_context_keeps_the_users_words(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("more like Neon Rain but for hitting the gym, no vocals")
    assert req.context == "hitting the gym"
    assert req.constraints.no_vocals


def test_without_embedder_keywords_still_map() -> None:
    req = RulesReasoner().understand("more like Neon Rain but for studying")
    assert req.context_name == "studying"


# -- constraints -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("something like Neon Rain with no vocals", {"no_vocals": True}),
        ("instrumental tracks for studying", {"no_vocals": True}),
        ("only songs with vocals", {"vocals_only": True}),
        ("something calmer", {"calmer": True}),
        ("more energetic please", {"more_energetic": True}),
        ("faster ones", {"faster": True}),
        ("a bit slower", {"slower": True}),
        ("under 100 bpm", {"max_bpm": 100.0}),
        ("above 120 BPM", {"min_bpm": 120.0}),
        ("90-110 bpm", {"min_bpm": 90.0, "max_bpm": 110.0}),
        ("around 120 bpm", {"min_bpm": 112.0, "max_bpm": 128.0}),
        ("120ish bpm", {"min_bpm": 112.0, "max_bpm": 128.0}),
        ("90bpm", {"min_bpm": 82.0, "max_bpm": 98.0}),
        ("100-120bpm", {"min_bpm": 100.0, "max_bpm": 120.0}),
        ("somthing upbeat", {"min_energy": "high"}),  # "something", not "soothing"
        ("something that isnt too sad", {"mode": "major"}),
        ("songs that aren't fast and aren't loud", {"max_bpm": 120.0, "max_energy": "medium"}),
        ("songs that aren’t loud", {"max_energy": "medium"}),
        ("music that doesn't have vocals", {"no_vocals": True}),
        ("it shouldn't be loud", {"max_energy": "medium"}),
        ("i don't mind vocals", {}),  # neither way: not "vocals only"
        ("80s synthwave", {"genres": ["synth-pop"]}),
        ("vocals don't matter", {}),
        ("calm piano, with or without vocals", {"max_energy": "medium", "instruments": ["piano"]}),
        ("not too loud", {"max_energy": "medium"}),
        (
            "five calmer instrumental ones under 100 bpm, not too loud",
            {"calmer": True, "no_vocals": True, "max_bpm": 100.0, "max_energy": "medium"},
        ),
    ],
)
def test_constraints(reasoner: RulesReasoner, text: str, expected: dict) -> None:
    got = reasoner.understand(text).constraints
    assert got == Constraints(**expected)


# -- count -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("10 tracks like Neon Rain", 10),
        ("give me five", 5),
        ("top 3 for studying", 3),
        ("a dozen songs for a run", 12),
        ("something calmer under 100 bpm", None),
        ("something calmer for track 3", None),
        ("give me 500 songs", 100),  # the most one answer holds, and the answer says so
        ("give me a hundred songs", 100),
        ("fifty calm songs", 50),
    ],
)
def test_count(reasoner: RulesReasoner, text: str, count: int | None) -> None:
    assert reasoner.understand(text).count == count


# -- text query --------------------------------------------------------------------------
def test_text_query_is_the_style_not_the_context(reasoner: RulesReasoner) -> None:
    assert reasoner.understand("dark techno for a run").text_query == "dark techno"
    assert reasoner.understand("something to read to").text_query is None
    assert reasoner.understand("more like Neon Rain").text_query is None


def test_less_intense_is_calmer_not_an_energy_floor(reasoner: RulesReasoner) -> None:
    c = reasoner.understand("something less intense, not too loud").constraints
    assert c.calmer and c.min_energy is None and c.max_energy == "medium"


@pytest.mark.parametrize(
    ("text", "context"),
    [("sad songs", "heartbreak"), ("no sad songs", None), ("nothing sad please", None)],
)
def test_a_negated_word_never_names_the_context(
    reasoner: RulesReasoner, text: str, context: str | None
) -> None:
    """ "no sad songs" was read as major key *and* heartbreak music."""
    assert reasoner.understand(text).context_name == context


def test_real_words_are_never_corrected_into_music_words(reasoner: RulesReasoner) -> None:
    """ "heard" is one letter from "hard" (a feel) but is English: it stays "heard"."""
    got = reasoner.understand("play me something calm i havent heard")
    assert not any("hard" in line for line in got.understood), got.understood
    assert reasoner.understand("no vocls").constraints.no_vocals  # a typo is still read


def test_a_count_over_the_limit_is_capped_and_said(reasoner: RulesReasoner) -> None:
    """ "give me 500 songs" silently got the default 8."""
    got = reasoner.understand("give me 500 songs")
    assert got.count == 100 and "100 picks (at most 100 per answer)" in got.understood


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("songs in 4/4", "“4/4”"),
        ("music in 3/4 time", "“3/4 time”"),
        ("give me 3 tracks in 6/8", "“6/8”"),
        ("something in an odd time signature", "“odd time signature”"),
    ],
)
def test_a_time_signature_is_said_to_be_unmeasured_never_read_as_a_count(
    reasoner: RulesReasoner, text: str, said: str
) -> None:
    request = reasoner.understand(text)
    assert any(
        said in line and "time signature is not measured" in line for line in request.unclear
    )
    assert request.count == (3 if text.startswith("give me 3") else None)
    assert not request.constraints.min_bpm and not request.constraints.max_bpm


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("piano muisc for sleping", "sleep"),  # was commute+running by similarity
        ("songs for my comute", "commute"),
        ("workut music", "running"),
    ],
)
def test_a_misspelt_context_keyword_is_corrected(
    reasoner: RulesReasoner, text: str, context: str
) -> None:
    assert reasoner.understand(text).context_name == context


def test_chat_shorthand_is_not_searched_for(reasoner: RulesReasoner) -> None:
    req = reasoner.understand("smth calm pls")
    assert req.text_query == "calm" and not req.unclear


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("something for a funeral", "heartbreak"),  # was heartbreak+party
        ("music for work", "studying"),  # was the commute, by similarity
        ("songs for working from home", "studying"),
        ("something for my commute to work", "commute"),  # was studying+commute
        ("something for the walk to work", "commute"),
        ("workout music", "running"),
    ],
)
def test_everyday_situations_name_their_context(
    reasoner: RulesReasoner, text: str, context: str
) -> None:
    req = reasoner.understand(text)
    assert req.context_name == context, (req.context_name, req.understood)
    assert not any("read as" in u for u in req.understood)  # "commute" read as "commute"


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("not for studying, for a party", "party"),  # was studying: the negation dropped
        ("i'm not studying, i'm partying", "party"),
        ("not too loud for the gym", "running"),  # "not" before no context word keeps it
    ],
)
def test_a_situation_said_not_to_be_the_one_is_not_the_context(
    reasoner: RulesReasoner, text: str, context: str
) -> None:
    assert reasoner.understand(text).context_name == context
