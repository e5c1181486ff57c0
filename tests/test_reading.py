"""The request reader: negation scope, tempo bounds, counts, vocabulary, typos, languages.

Parse-level checks, no catalog: every case is a phrasing people type, with the
constraint it must become. A reversed negation here is exactly the defect issue 11
measured ("nothing over 110 bpm" read as "at least 110").
"""

from __future__ import annotations

import pytest

from linernotes.tools.reason.reading import read_request
from linernotes.tools.reason.rules import RulesReasoner
from linernotes.tools.reason.vocabulary import Grounding, edits, load_vocabulary


def c(text: str) -> dict:
    return read_request(text).constraints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nothing over 110 bpm", {"max_bpm": 110.0}),
        ("nothing under 125 bpm", {"min_bpm": 125.0}),
        ("nothing under 125", {"min_bpm": 125.0}),
        ("I don't want anything faster than 120", {"max_bpm": 120.0}),
        ("no more than 100 bpm", {"max_bpm": 100.0}),
        ("no slower than 90 bpm", {"min_bpm": 90.0}),
        ("synth-pop, nothing with vocals", {"genres": ["synth-pop"], "no_vocals": True}),
        ("no tracks with vocals", {"no_vocals": True}),
        ("not instrumental, I want singing", {"vocals_only": True}),
        ("avoid anything loud", {"max_energy": "medium"}),
        ("not too loud", {"max_energy": "medium"}),
        ("no vocals or drums", {"no_vocals": True, "exclude_instruments": ["drums"]}),
        ("no vocals and fast", {"no_vocals": True, "min_bpm": 120.0}),
        ("no metal or punk", {"exclude_genres": ["metal", "punk rock"]}),
        ("anything but techno", {"exclude_genres": ["techno"]}),
        ("nothing sad", {"mode": "major"}),
        ("minor key", {"mode": "minor"}),
        ("jazz with piano", {"genres": ["jazz piano trio"], "instruments": ["piano"]}),
        ("without vocals please", {"no_vocals": True}),
        ("free of vocals", {"no_vocals": True}),
        ("minus the vocals", {"no_vocals": True}),
    ],
)
def test_negation_scope_and_bounds(text: str, expected: dict) -> None:
    assert c(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150-180 bpm", {"min_bpm": 150.0, "max_bpm": 180.0}),
        ("150-180", {"min_bpm": 150.0, "max_bpm": 180.0}),
        ("between 90 and 110 bpm", {"min_bpm": 90.0, "max_bpm": 110.0}),
        ("between 90 and 110", {"min_bpm": 90.0, "max_bpm": 110.0}),
        ("90 beats per minute", {"min_bpm": 82.0, "max_bpm": 98.0}),
        ("around 120 bpm", {"min_bpm": 112.0, "max_bpm": 128.0}),
        ("at least 130 bpm", {"min_bpm": 130.0}),
        ("at most 85 bpm", {"max_bpm": 85.0}),
        ("under 5 minutes", {"max_duration_s": 300.0}),  # a length, not a tempo
        ("10 songs", {}),
    ],
)
def test_ranges(text: str, expected: dict) -> None:
    assert c(text) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("a dozen calm tracks", 12),
        ("just 4 songs", 4),
        ("five reggae tunes", 5),
        ("top 3", 3),
        ("half a dozen synthpop songs", 6),
        ("a couple of folk songs", 2),
        ("only two please", 2),
        ("under 100 bpm", None),
        ("150-180 bpm", None),
    ],
)
def test_counts_in_words(text: str, count: int | None) -> None:
    assert read_request(text).count == count


def test_a_count_does_not_swallow_the_words_it_spans() -> None:
    r = read_request("a dozen calm tracks")
    assert r.count == 12 and r.constraints == {"max_energy": "medium"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no vocls", {"no_vocals": True}),
        ("instrumentl please", {"no_vocals": True}),
        ("reggea", {"genres": ["reggae"]}),
        ("withuot vocals", {"no_vocals": True}),
        ("tecno", {"genres": ["techno"]}),
        ("dont wnat drums", {"exclude_instruments": ["drums"]}),  # was WITH drums
        ("slwo songs", {"max_bpm": 90.0}),  # short words: two letters swapped
        ("fsat songs", {"min_bpm": 120.0}),
        ("jaz", {"genres": ["jazz piano trio"]}),  # three letters: was dropped without a word
        ("rok music", {"genres": ["rock"]}),
    ],
)
def test_typos_against_the_vocabulary(text: str, expected: dict) -> None:
    r = read_request(text)
    assert r.constraints == expected
    assert any("read as" in line for line in r.preface)


def test_typo_correction_is_narrow() -> None:
    assert read_request("hello").constraints == {}  # not "cello"
    for word in ("gym", "lol", "omg", "pls", "sad", "fun", "hip", "dub", "sax"):
        assert not any("read as" in line for line in read_request(word).preface), word
    assert read_request("Neon Rain").constraints == {}  # a name; "rain" is not "racing"
    assert edits("reggea", "reggae") == 1 and edits("rain", "racing") == 2


def test_catalog_grounding_says_what_cannot_be_honoured() -> None:
    g = Grounding(frozenset({"metal", "jazz piano trio"}), frozenset({"piano", "guitar"}))
    r = read_request("jazz with sax and piano, or some zydeco", grounding=g)
    assert r.constraints == {"genres": ["jazz piano trio"], "instruments": ["piano"]}
    assert any("saxophone" in u for u in r.unclear)
    r = read_request("some reggae", grounding=g)
    assert "genres" not in r.constraints and any("reggae" in u for u in r.unclear)


def test_excluding_a_genre_the_catalog_lacks_costs_nothing() -> None:
    g = Grounding(frozenset({"metal", "jazz piano trio"}), frozenset({"piano"}))
    r = read_request("anything but country", grounding=g)  # was: "I picked nothing"
    assert r.constraints == {} and r.unclear == [] and r.music
    assert any("none in this catalog" in line for line in r.understood)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list of one kind shares its negation ...
        ("everything except metal and punk", {"exclude_genres": ["metal", "punk rock"]}),
        ("no drums, guitar or bass", {"exclude_instruments": ["drums", "guitar", "bass"]}),
        # ... a change of kind ends it, as before
        ("no vocals and fast", {"no_vocals": True, "min_bpm": 120.0}),
        ("no metal, but jazz", {"exclude_genres": ["metal"], "genres": ["jazz piano trio"]}),
        # a hedged negation gives way to an opposite wish instead of cancelling it
        ("something upbeat but not too loud", {"min_energy": "high", "max_energy": "high"}),
        ("not too loud", {"max_energy": "medium"}),
        ("calm and energetic", {}),  # a plain contradiction is still left open
    ],
)
def test_negation_scope_over_lists_and_hedges(text: str, expected: dict) -> None:
    assert read_request(text).constraints == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("something in D minor", {"key": "D", "mode": "minor"}),
        ("songs in the key of C", {"key": "C"}),
        ("music in F# major", {"key": "F#", "mode": "major"}),
        ("in E flat", {"key": "D#"}),  # flats as the sharps the analysis names
        ("in Bbm", {"key": "A#", "mode": "minor"}),
        ("in c sharp minor", {"key": "C#", "mode": "minor"}),
        ("songs in A minor", {"key": "A", "mode": "minor"}),
        # an article, or a letter that names nothing
        ("something in a minor key", {"mode": "minor"}),
        ("something in a major key please", {"mode": "major"}),
        ("music in a calm mood", {"max_energy": "medium"}),
        ("in dance style", {}),
    ],
)
def test_a_named_key_is_read_and_an_article_is_not(text: str, expected: dict) -> None:
    assert read_request(text).constraints == expected


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("piano only, no other instruments", ["piano"]),  # "no other instruments" was ignored
        ("just guitar and nothing else", ["guitar"]),
        ("solo piano", ["piano"]),
        ("piano and strings only", ["piano", "strings"]),
    ],
)
def test_an_instrument_alone_excludes_every_other_family(text: str, asked: list[str]) -> None:
    r = read_request(text)
    families = set(load_vocabulary().data["instruments"])
    assert r.constraints["instruments"] == asked
    assert set(r.constraints["exclude_instruments"]) == families - set(asked)
    assert r.leftover == []  # "other instruments" is read, never "not understood"


@pytest.mark.parametrize("text", ["some piano music", "jazz with piano", "only instrumental"])
def test_an_instrument_among_others_excludes_nothing(text: str) -> None:
    assert "exclude_instruments" not in read_request(text).constraints


def test_umbrella_genres_map_to_what_the_catalog_holds() -> None:
    g = Grounding(frozenset({"string quartet", "orchestral", "techno"}), frozenset())
    assert read_request("classical music", grounding=g).constraints == {
        "genres": ["string quartet", "orchestral"]
    }


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Musik zum Lernen ohne Gesang bitte", "de", {"no_vocals": True}),
        ("música para estudiar sin voz", "es", {"no_vocals": True}),
        ("musique calme pour dormir", "fr", {"max_energy": "medium"}),
        (
            "musica rilassante per dormire senza voce",
            "it",
            {"max_energy": "medium", "no_vocals": True},
        ),
        (
            "música relaxante para estudar sem voz",
            "pt",
            {"max_energy": "medium", "no_vocals": True},
        ),
    ],
)
def test_basic_use_words_of_other_languages(text: str, lang: str, expected: dict) -> None:
    r = read_request(text)
    assert r.language == lang and r.constraints == expected


def test_english_is_not_taken_for_another_language() -> None:
    for text in (
        "no vocals please",
        "la la land soundtrack",
        "some jazz for the party",
        "do you have something as calm as this",
        "90 beats per minute e-piano",
    ):
        assert read_request(text).language is None


def test_off_topic_words_without_music() -> None:
    assert read_request("what's the weather in Berlin tomorrow?").off_topic
    r = read_request("a playlist for the weather outside")
    assert r.music  # "playlist" makes it about music


def test_vocabulary_is_all_strings() -> None:
    """YAML reads bare no/yes/on as booleans; every phrase must stay a string."""
    v = load_vocabulary()
    assert all(isinstance(p, str) for p in v.terms)
    assert "no" in v.terms and v.terms["no"].kind == "negator"
    assert v.feel("calm")["asked"] == {"max_energy": "medium"}


@pytest.mark.parametrize(
    "text", ["female vocals", "something with a male singer", "songs sung by a woman"]
)
def test_a_singers_sex_is_said_to_be_unmeasured_and_the_voice_still_counts(text: str) -> None:
    r = read_request(text)
    assert r.constraints == {"vocals_only": True}
    assert any("female or male is not measured" in line for line in r.unclear)
    assert not {"female", "male", "woman"} & set(r.leftover)  # said once, not "not understood"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("energetic instrumental tracks, 140 bpm or more", {"min_bpm": 140.0}),  # was 132-148
        ("songs at 100 bpm or less", {"max_bpm": 100.0}),
        ("140+ bpm", {"min_bpm": 140.0}),
        ("120 bpm or faster please", {"min_bpm": 120.0}),
        ("nothing at 120 bpm or more", {"max_bpm": 120.0}),
        ("moderate tempo", {"min_bpm": 90, "max_bpm": 120}),
        ("mid-tempo songs", {"min_bpm": 90, "max_bpm": 120}),
        ("medium energy please", {"min_energy": "medium", "max_energy": "medium"}),
        ("i dont want anything too fast", {"max_bpm": 120.0}),  # was the complaint "slower"
    ],
)
def test_open_ended_and_middle_bounds(text: str, expected: dict) -> None:
    got = read_request(text).constraints
    assert {k: got.get(k) for k in expected} == expected, got
    assert "slower" not in got and "faster" not in got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tracks under 3 minutes", {"max_duration_s": 180.0}),
        ("songs shorter than 2:30", {"max_duration_s": 150.0}),
        ("nothing longer than five minutes", {"max_duration_s": 300.0}),  # negated: flips
        ("long pieces over 10 min please", {"min_duration_s": 600.0}),
        ("calm songs under half an hour", {"max_duration_s": 1800.0, "max_energy": "medium"}),
        ("at least 90 seconds long", {"min_duration_s": 90.0}),
        ("under 3 minutes and under 100 bpm", {"max_duration_s": 180.0, "max_bpm": 100.0}),
    ],
)
def test_track_lengths_are_bounds(text: str, expected: dict) -> None:
    got = read_request(text).constraints
    assert {k: got.get(k) for k in expected} == expected, got


@pytest.mark.parametrize(
    ("text", "count"),
    [("a 3 minute song", None), ("five 3-minute songs", 5), ("20 or more songs", 20)],
)
def test_a_length_is_not_a_count(text: str, count: int | None) -> None:
    assert read_request(text).count == count


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("happy songs but not cheesy", ["cheesy"]),
        ("dark but not depressing", ["depressing"]),
        ("nothing too cheesy for a dinner party", ["cheesy"]),
        ("no drums, just dreamy vibes", []),
    ],
)
def test_a_negated_word_nothing_knows_is_never_searched_for(text: str, refused: list) -> None:
    """ "not cheesy" searched for "cheesy": the negation reversed."""
    reading = read_request(text)
    assert reading.negated_unknown == refused
    assert not set(refused) & set(reading.leftover)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("neither too loud nor too quiet", {"min_energy": "medium", "max_energy": "medium"}),
        ("neither metal nor punk", {"exclude_genres": ["metal", "punk rock"]}),
        ("slow to mid tempo", {"max_bpm": 120}),  # was "slow" and "mid" at once: nothing
        ("mid to fast tempo", {"min_bpm": 90}),
        ("low to medium energy", {"max_energy": "medium"}),
    ],
)
def test_neither_nor_and_spans_of_classes(text: str, expected: dict) -> None:
    assert c(text) == expected


@pytest.mark.parametrize("text", ["over 9000 bpm", "5 bpm songs", "calm songs at 1000 bpm"])
def test_a_tempo_no_music_has_is_said_not_dropped(text: str) -> None:
    reading = read_request(text)
    assert "min_bpm" not in reading.constraints and "max_bpm" not in reading.constraints
    assert any("no music has that tempo" in u for u in reading.unclear), reading.unclear


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the happiest song you have", {"mode": "major"}),
        ("the saddest songs", {"mode": "minor"}),
        ("the fastest tracks", {"min_bpm": 120}),
        ("the calmest music you have", {"max_energy": "medium"}),
    ],
)
def test_superlatives_read_as_their_feel(text: str, expected: dict) -> None:
    assert c(text) == expected


@pytest.mark.parametrize("text", ["80s synthpop", "90's hip hop for a run", "songs from 1995"])
def test_an_era_is_said_to_be_unknown(text: str) -> None:
    reading = read_request(text)
    assert any("when a track was made is not known" in u for u in reading.unclear)
    assert reading.count is None  # "80s" and "1995" count nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not between 90 and 110 bpm", {"avoid_bpm_from": 90.0, "avoid_bpm_to": 110.0}),
        ("nothing mid-tempo please", {"avoid_bpm_from": 90.0, "avoid_bpm_to": 120.0}),
        ("no songs around 100 bpm", {"avoid_bpm_from": 92.0, "avoid_bpm_to": 108.0}),
        (
            "fast songs but not between 130 and 150 bpm",
            {"min_bpm": 120.0, "avoid_bpm_from": 130.0, "avoid_bpm_to": 150.0},
        ),
    ],
)
def test_a_negated_tempo_range_leaves_the_band_out(text: str, expected: dict) -> None:
    """ "not between 90 and 110" and "nothing mid-tempo" were dropped without a word."""
    reading = read_request(text)
    assert {k: reading.constraints.get(k) for k in expected} == expected, reading.constraints
    band = f"not {expected['avoid_bpm_from']:.0f}-{expected['avoid_bpm_to']:.0f} BPM"
    assert any(band in u for u in reading.understood), reading.understood


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("everything but rock", ["metal", "punk rock"]),
        ("all but metal", ["metal"]),
        ("anything except jazz, please", ["jazz piano trio"]),
        ("sick of punk rock, something else", ["punk rock"]),
        ("not a fan of metal", ["metal"]),
    ],
)
def test_everything_but_excludes(text: str, excluded: list) -> None:
    """ "everything but rock" asked for punk rock or metal: "but" closed the negation."""
    genres = {"metal", "punk rock", "jazz piano trio", "ambient"}
    reading = read_request(text, grounding=Grounding(frozenset(genres), frozenset()))
    assert sorted(reading.constraints.get("exclude_genres", [])) == excluded
    assert not reading.constraints.get("genres"), reading.constraints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("energetic yet not aggressive", {"min_energy": "high", "max_energy": "high"}),
        ("chill, not aggressive", {"min_energy": None, "max_energy": "medium"}),
        ("nothing too aggressive", {"min_energy": None, "max_energy": "high"}),
        ("calm but not sleepy", {"min_energy": "medium", "max_energy": "medium"}),
    ],
)
def test_not_aggressive_only_drops_the_far_end(text: str, expected: dict) -> None:
    """ "energetic yet not aggressive" was "asked both calm and energetic": no picks."""
    got = read_request(text).constraints
    assert {k: got.get(k) for k in expected} == expected, got


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("songs between 3 and 5 minutes", 180.0, 300.0),
        ("3-5 minute songs", 180.0, 300.0),
        ("a 3 minute song", 150.0, 210.0),
        ("songs around 4 minutes long", 200.0, 280.0),
        ("3 min tracks", 150.0, 210.0),
        ("tracks that are about 2 and a half minutes", 125.0, 175.0),
        ("a few 90 second tracks", 75.0, 105.0),
    ],
)
def test_a_length_people_name_is_a_window(text: str, low: float, high: float) -> None:
    """ "a 3 minute song", "3-5 minute songs": ignored before ("3 min tracks" even gave 3)."""
    reading = read_request(text)
    got = reading.constraints
    assert (got.get("min_duration_s"), got.get("max_duration_s")) == (low, high), got
    assert reading.count in (None, 3) and (reading.count is None or "few" in text)


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("an hour of music", 3600.0),
        ("give me about 30 minutes of calm music", 1800.0),
        ("music for my 30 minute run", 1800.0),
        ("a 2 hour drive playlist", 7200.0),
        ("half an hour of jazz", 1800.0),
        ("something to study to for 20 minutes", 1200.0),
        ("a 3 minute song", None),
        ("songs under 3 minutes", None),
    ],
)
def test_a_playlist_length_is_not_a_track_length(text: str, total: float | None) -> None:
    reading = read_request(text)
    assert reading.total_s == total
    if total is not None:  # the playlist's length never bounds a track's
        assert "max_duration_s" not in reading.constraints, reading.constraints


def test_unit_words_are_never_typo_fixed() -> None:
    """ "songs not longer than 4 mins" read "mins" as "minus" (a negator)."""
    reading = read_request("songs not longer than 4 mins")
    assert reading.constraints.get("max_duration_s") == 240.0
    assert not any("minus" in p for p in reading.preface), reading.preface


def test_a_genre_said_to_be_fine_is_taken_back_out_of_an_exclusion() -> None:
    """ "no rock, but metal is fine" still left metal out (rock covers punk and metal)."""
    genres = {"metal", "punk rock", "jazz piano trio"}
    reading = read_request(
        "no rock, but metal is fine", grounding=Grounding(frozenset(genres), frozenset())
    )
    assert reading.constraints.get("exclude_genres") == ["punk rock"], reading.constraints
    assert "no punk rock" in reading.understood, reading.understood


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("somewhere between chill and upbeat", {"min_energy": "medium", "max_energy": "high"}),
        (
            "something between calm and lively for work",
            {"min_energy": "medium", "max_energy": "medium"},
        ),
        ("between slow and fast", {"min_bpm": 90.0, "max_bpm": 120.0}),
        ("between 90 and 110 bpm", {"min_bpm": 90.0, "max_bpm": 110.0}),
    ],
)
def test_between_two_feels_is_the_span_between(text: str, expected: dict) -> None:
    """ "between chill and upbeat" asked both calm and energetic: energy left open."""
    reading = read_request(text)
    assert {k: reading.constraints.get(k) for k in expected} == expected, reading.constraints
    assert not reading.unclear, reading.unclear


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok now w/o vocals", {"no_vocals": True}),  # was "with vocals": reversed
        ("songs w/o drums", {"exclude_instruments": ["drums"]}),
        ("w/out drums", {"exclude_instruments": ["drums"]}),
        ("jazz w/strings", {"instruments": ["strings"]}),
        ("fewer vocals", {"no_vocals": True}),  # was "with vocals"
    ],
)
def test_chat_shorthand_that_carries_a_negation(text: str, expected: dict) -> None:
    got = read_request(text).constraints
    assert {k: got.get(k) for k in expected} == expected, got
    assert not got.get("vocals_only") or "w/ " in text, got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between ninety and one hundred ten bpm", {"min_bpm": 90.0, "max_bpm": 110.0}),
        ("around a hundred bpm", {"min_bpm": 92.0, "max_bpm": 108.0}),
        ("at least ninety bpm", {"min_bpm": 90.0}),
        ("under eighty bpm", {"max_bpm": 80.0}),
        ("a hundred and twenty bpm or more", {"min_bpm": 120.0}),
    ],
)
def test_spelled_out_tempos(text: str, expected: dict) -> None:
    """ "at least ninety bpm" searched for the word "ninety"."""
    reading = read_request(text)
    assert {k: reading.constraints.get(k) for k in expected} == expected, reading.constraints
    assert not reading.leftover, reading.leftover


@pytest.mark.parametrize(("text", "count"), [("twenty songs", 20), ("the third one", None)])
def test_spelling_numbers_out_keeps_counts_and_references(text: str, count: int | None) -> None:
    reading = read_request(text)
    assert reading.count == count and "3" not in reading.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nothing above medium energy", {"max_energy": "medium", "min_energy": None}),
        ("energy below high", {"max_energy": "medium", "min_energy": None}),
        ("at least medium energy", {"min_energy": "medium", "max_energy": None}),
        ("low energy only", {"max_energy": "low", "min_energy": None}),
        ("not low energy", {"min_energy": "medium", "max_energy": None}),
        ("not above low energy", {"max_energy": "low", "min_energy": None}),
    ],
)
def test_energy_levels_named_with_a_comparison(text: str, expected: dict) -> None:
    """ "energy below high", "low energy only" were not understood (searched as words)."""
    reading = read_request(text)
    assert {k: reading.constraints.get(k) for k in expected} == expected, reading.constraints
    assert "energy" not in reading.leftover


@pytest.mark.parametrize(
    "text",
    [
        "i dont hate vocals",
        "vocals optional",
        "i wouldn't mind vocals",
        "instrumental isn't required",
    ],
)
def test_more_ways_to_say_either_way(text: str) -> None:
    """ "i dont hate vocals" was instrumental only; "vocals optional" was with vocals."""
    got = read_request(text).constraints
    assert not got.get("no_vocals") and not got.get("vocals_only"), got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😴 music", "sleep"),
        ("🔥🔥 workout", "energetic"),
        ("📚 no vocals", "studying"),
    ],
)
def test_emoji_read_as_words(text: str, expected: str) -> None:
    """ "😴 music" got 5 picks of anything: the emoji was dropped."""
    reading = read_request(text)
    assert expected in reading.text, reading.text
    assert len(reading.understood) == len(set(reading.understood))  # "🔥🔥" said once


@pytest.mark.parametrize(
    ("text", "said", "count"),
    [
        ("the most popular songs", "most popular", None),
        ("top 10 hits", "hits", 10),
        ("trending tracks", "trending", None),
        ("newest songs", "newest", None),
    ],
)
def test_popularity_and_recency_are_said_to_be_unknown(text: str, said: str, count) -> None:
    """ "the most popular songs" searched for the word "popular"."""
    reading = read_request(text)
    assert any(u.startswith(f"“{said}”") for u in reading.unclear), reading.unclear
    assert reading.count == count and not reading.leftover, reading.leftover


def test_less_of_one_more_of_another_is_not_one_negated_list() -> None:
    """ "less lofi, more jazz" left out jazz too ("," kept the negation going)."""
    g = Grounding(
        frozenset({"lo-fi hip-hop", "jazz piano trio", "metal", "punk rock"}), frozenset()
    )
    got = read_request("less lofi, more jazz", grounding=g).constraints
    assert got == {"exclude_genres": ["lo-fi hip-hop"], "genres": ["jazz piano trio"]}, got
    kept = read_request("no metal, punk", grounding=g).constraints
    assert kept == {"exclude_genres": ["metal", "punk rock"]}, kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fast but not too fast", {"min_bpm": 120.0, "max_bpm": 140.0}),  # was 120-120: nothing
        ("slow but not too slow", {"min_bpm": 70.0, "max_bpm": 90.0}),
        ("something slow-ish", {"max_bpm": 90.0}),  # "slow-ish" was searched as a word
        ("instrumental or with very little singing", {"no_vocals": True}),  # was with vocals
        ("barely any vocals", {"no_vocals": True}),
        ("a cappella", {"vocals_only": True}),
        ("piano or strings", {"instruments": ["piano", "strings"], "any_instrument": True}),
        ("piano and strings", {"instruments": ["piano", "strings"], "any_instrument": None}),
    ],
)
def test_hedges_ish_little_and_or(text: str, expected: dict) -> None:
    got = read_request(text).constraints
    assert {k: got.get(k) for k in expected} == expected, got
    assert not got.get("vocals_only") or "no_vocals" not in expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1000 songs please", 100),  # was the default 8: four digits were no count
        ("give me a song", 1),  # was 8
        ("i want a song for running", 1),
        ("1995 songs", None),  # a year, not a count
        ("more like a song with piano", None),
        ("several upbeat songs", None),  # the default, and "several" is no unknown word
    ],
)
def test_counts_people_type(text: str, count: int | None) -> None:
    reading = read_request(text)
    assert reading.count == count and not reading.leftover, (reading.count, reading.leftover)
    if count == 1:
        assert "1 pick" in reading.understood


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("all the jazz you have", 100),
        ("every punk song in the library", 100),
        ("remove every track over 120 bpm", None),  # an edit's condition, not a count
        ("all but metal", None),
    ],
)
def test_all_of_them_is_the_cap(text: str, count: int | None) -> None:
    reading = read_request(text)
    assert reading.count == count, reading.count
    assert not [w for w in reading.leftover if w != "remove"], reading.leftover


def test_another_conversation_is_said_to_be_out_of_sight() -> None:
    """ "like the song from the previous chat" answered "no file was sent" (read as an upload)."""
    from linernotes.tools.reason.rules_edits import references

    text = "can you recommend something like the song from the previous chat"
    reading = read_request(text)
    assert any("other conversations are not visible" in u for u in reading.unclear)
    assert "upload" not in references(text)
    assert references("more like my track") == ["upload"]
    assert references("like the file i sent") == ["upload"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bpm > 120", {"min_bpm": 120.0}),  # was no bound at all
        ("tempo < 90", {"max_bpm": 90.0}),
        ("≥ 120 bpm", {"min_bpm": 120.0}),  # was "about 120" (112-128)
        ("bpm<=90", {"max_bpm": 90.0}),
        ("between 120 & 140 bpm", {"min_bpm": 120.0, "max_bpm": 140.0}),  # was 140 alone
        ("120 +/- 5 bpm", {"min_bpm": 115.0, "max_bpm": 125.0}),  # was "5 bpm": no picks
        ("120 ± 10 bpm", {"min_bpm": 110.0, "max_bpm": 130.0}),
        ("100 bpm give or take 10", {"min_bpm": 90.0, "max_bpm": 110.0}),
        ("under 100 beats", {"max_bpm": 100.0}),  # was "with drums" as well
    ],
)
def test_signs_and_symbols_people_type_for_tempo(text: str, expected: dict) -> None:
    reading = read_request(text)
    assert reading.constraints == expected, reading.constraints
    assert not reading.unclear, reading.unclear


@pytest.mark.parametrize(
    ("text", "excluded", "asked"),
    [
        ("jazz excluded", ["jazz piano trio"], []),  # these four asked FOR what they refuse
        ("exclude rock", ["metal", "punk rock"], []),
        ("rock is off the table", ["metal", "punk rock"], []),
        ("jazz? no thanks", ["jazz piano trio"], []),
        ("upbeat, but punk is out", ["punk rock"], []),
        ("ambient and metal are banned", ["ambient", "metal"], []),
        ("calm stuff. and metal is a no-go", ["metal"], []),
        ("omit the jazz please", ["jazz piano trio"], []),
        ("not interested in ambient", ["ambient"], []),
        ("no jazz is allowed", ["jazz piano trio"], []),  # already negated: unchanged
        ("jazz is allowed", [], ["jazz piano trio"]),
    ],
)
def test_a_refusal_said_after_what_it_refuses(text: str, excluded: list, asked: list) -> None:
    genres = {"metal", "punk rock", "jazz piano trio", "ambient"}
    reading = read_request(text, grounding=Grounding(frozenset(genres), frozenset()))
    assert sorted(reading.constraints.get("exclude_genres", [])) == excluded, reading.constraints
    assert sorted(reading.constraints.get("genres", [])) == asked, reading.constraints


def test_a_refusal_of_a_pick_is_left_to_the_playlist_edits() -> None:
    for text in ("that one is out", "track 3 is out", "#3 is out"):
        assert "no " not in read_request(text).text, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A minor songs", {"key": "A", "mode": "minor"}),  # was the minor mode alone
        ("D major tracks please", {"key": "D", "mode": "major"}),
        ("c# minor", {"key": "C#", "mode": "minor"}),
        ("f minor and slow", {"key": "F", "mode": "minor", "max_bpm": 90.0}),
        ("a minor song", {"mode": "minor"}),  # lower case "a": an article
        ("in a minor key", {"mode": "minor"}),
    ],
)
def test_a_key_named_without_in(text: str, expected: dict) -> None:
    assert read_request(text).constraints == expected


@pytest.mark.parametrize(
    "text", ["cheer me up", "something to lift my mood", "cheer me up instead"]
)
def test_cheer_me_up_is_a_happy_wish(text: str) -> None:
    reading = read_request(text)  # was searched for the word "cheer"
    assert reading.constraints == {"mode": "major"} and not reading.leftover, reading.leftover


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("vocals: no", {"no_vocals": True}, None),  # was "with vocals"
        ("drums - no", {"exclude_instruments": ["drums"]}, None),
        ("vocals: none, energy: low, bpm: 80-100",
         {"no_vocals": True, "max_energy": "low", "min_bpm": 80.0, "max_bpm": 100.0}, None),
        ("energy level: high", {"min_energy": "high"}, None),  # "energy" was not understood
        ("no more than 3 punk songs", {"genres": ["punk rock"]}, 3),  # was: no punk rock
        ("not more than 100 bpm", {"max_bpm": 100.0}, None),
        ("ok, no", {}, None),
        ("songs that aren't too long", {"max_duration_s": 300.0}, None),  # was "shorter list"
    ],
)  # fmt: skip
def test_form_style_answers_and_quantities(text: str, expected: dict, count: int | None) -> None:
    genres = {"metal", "punk rock", "jazz piano trio", "ambient"}
    reading = read_request(text, grounding=Grounding(frozenset(genres), frozenset()))
    assert reading.constraints == expected and reading.count == count, reading.constraints
    assert not reading.leftover and not reading.unclear, (reading.leftover, reading.unclear)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("low 100s bpm", {"min_bpm": 100.0, "max_bpm": 104.0}),  # was dropped without a word
        ("mid 90s bpm", {"min_bpm": 93.0, "max_bpm": 97.0}),  # was the decade
        ("sub 100 bpm", {"max_bpm": 100.0}),  # was about 100
        ("medium-fast songs", {"min_bpm": 105, "max_bpm": 135}),  # was not understood
        ("around the 120 mark", {"min_bpm": 112.0, "max_bpm": 128.0}),  # searched "mark"
        ("90-ish bpm", {"min_bpm": 82.0, "max_bpm": 98.0}),  # was dropped without a word
    ],
)
def test_tempo_phrasings_with_parts_and_marks(text: str, expected: dict) -> None:
    reading = read_request(text)
    assert reading.constraints == expected, reading.constraints
    assert not reading.leftover and not reading.unclear, (reading.leftover, reading.unclear)


def test_an_early_or_late_decade_is_an_era() -> None:
    reading = read_request("songs from the mid 90s")
    assert reading.constraints == {} and not reading.leftover, reading.leftover
    assert any("“mid 90s”: when a track was made" in u for u in reading.unclear)


@pytest.mark.parametrize(
    ("text", "excluded", "asked"),
    [
        ("not punk, metal", ["punk rock"], ["metal"]),  # a correction: metal is wanted
        ("not jazz, ambient instead", ["jazz piano trio"], ["ambient"]),
        ("no punk, metal", ["metal", "punk rock"], []),  # a list of exclusions stays one
        ("not punk, metal or techno", ["metal", "punk rock", "techno"], []),
        ("except metal, punk", ["metal", "punk rock"], []),
    ],
)
def test_not_x_comma_y_is_a_correction(text: str, excluded: list, asked: list) -> None:
    genres = {"metal", "punk rock", "jazz piano trio", "ambient", "techno"}
    reading = read_request(text, grounding=Grounding(frozenset(genres), frozenset()))
    assert sorted(reading.constraints.get("exclude_genres", [])) == excluded
    assert reading.constraints.get("genres", []) == asked


def test_vocals_either_way_releases_the_voice_constraints() -> None:
    assert read_request("actually vocals are fine").released == {"no_vocals", "vocals_only"}
    assert read_request("metal is fine").released == set()


def test_a_three_letter_word_nothing_knows_is_said() -> None:
    """ "some emo songs" dropped "emo" without a word (only longer words were said)."""
    from linernotes.tools.reason.honesty import honesty
    from linernotes.tools.reason.names import Names

    reading = read_request("some emo songs")
    said = honesty(reading, Names(), None, None, "some emo songs", anchored=False)
    assert any("“emo”" in line for line in said.unclear), said.unclear
    assert read_request("new age").constraints == {"genres": ["ambient"]}
    assert any("old stuff" in u for u in read_request("old stuff").unclear)


def test_rock_n_roll_is_one_genre_phrase() -> None:
    for text in ("play some rock n roll", "rock and roll please", "some rock 'n' roll"):
        req = RulesReasoner().understand(text)
        assert req.constraints.genres, text
        assert not any("roll" in u for u in req.unclear), (text, req.unclear)
