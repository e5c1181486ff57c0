"""Requests as listeners type them, answered on the held-out demo and checked by its labels.

Each case was found by typing phrasings from outside the suite at the demo catalog: track
lengths ("under 3 minutes") were silently ignored, "140 bpm or more" read as "about 140"
and "or more" as "add more tracks" (answered "there is no playlist yet"), "medium
energy" and "mid-tempo" were not understood, "not cheesy" searched for "cheesy", "how
many tracks do you have?" answered with picks, and "a quick break" was heartbreak music.
The files' own labels (duration, bpm, energy) decide, not the agent's facts alone.
"""

from __future__ import annotations

import statistics
import uuid

import pytest

from linernotes.agent.run import ask, session_for
from linernotes.tools.reason.rules import RulesReasoner
from linernotes.tools.reason.rules_edits import read_edit


def _rows(cat, answer) -> list[dict[str, str]]:
    return [cat.row_for(it.path) for it in answer.playlist]


def test_a_length_bound_keeps_only_tracks_that_short(heldout_catalog) -> None:
    lengths = sorted(float(r["duration_s"]) for r in heldout_catalog.rows)
    cut = statistics.median(lengths)  # the demo's tracks last 20-30 s: half fit
    answer = ask(f"calm songs under {cut:.0f} seconds", heldout_catalog.settings)
    assert answer.playlist, answer.reply
    assert all(float(r["duration_s"]) <= cut + 0.5 for r in _rows(heldout_catalog, answer))
    assert f"at most {cut:.0f} s long" in answer.reply
    longer = ask(f"songs longer than {cut:.0f} seconds", heldout_catalog.settings)
    assert longer.playlist
    assert all(float(r["duration_s"]) >= cut - 0.5 for r in _rows(heldout_catalog, longer))
    none = ask("songs over 10 minutes", heldout_catalog.settings)
    assert not none.playlist, none.reply  # and the answer names what left nothing
    assert "found nothing in the catalog that fits this request (at least 10 min long)" in (
        none.reply
    )


def test_open_ended_tempo_is_a_floor_not_a_window(heldout_catalog) -> None:
    answer = ask("energetic instrumental tracks, 140 bpm or more", heldout_catalog.settings)
    assert answer.playlist, answer.reply  # was "there is no playlist yet" ("or more")
    session = session_for(heldout_catalog.settings)
    bpm = [session.catalog.get(it.track_id).measurements.tempo_bpm for it in answer.playlist]
    assert min(bpm) >= 140 and max(bpm) > 148, bpm  # "about 140" stopped at 148


def test_medium_energy_and_moderate_tempo(heldout_catalog) -> None:
    answer = ask("moderate tempo, medium energy", heldout_catalog.settings)
    assert answer.playlist and "not understood" not in answer.reply, answer.reply
    rows = _rows(heldout_catalog, answer)
    medium = sum(r["energy"] == "medium" for r in rows) / len(rows)
    assert medium >= 0.75, [(r["title"], r["energy"]) for r in rows]
    assert statistics.median(float(r["bpm"]) for r in rows) <= 125


def test_a_refused_word_nothing_knows_is_not_searched_for() -> None:
    req = RulesReasoner().understand("happy songs but not cheesy")
    assert req.text_query is None or "cheesy" not in req.text_query
    assert any("cheesy" in u and "nothing avoids it" in u for u in req.unclear), req.unclear


def test_how_many_tracks_answers_from_the_catalog(heldout_catalog) -> None:
    answer = ask("how many tracks do you have?", heldout_catalog.settings)
    n, styles = len(heldout_catalog.rows), {r["style"] for r in heldout_catalog.rows}
    assert not answer.playlist
    assert f"holds {n} tracks in {len(styles)} genres" in answer.reply, answer.reply
    assert all(s in answer.reply for s in styles)


def test_a_break_is_a_pause_and_a_break_up_is_heartbreak() -> None:
    reasoner = RulesReasoner()
    assert reasoner.understand("short songs for a quick break").context_name == "relaxing"
    assert reasoner.understand("sad songs after a break up").context_name == "heartbreak"
    assert reasoner.understand("quick songs").constraints.min_bpm is None  # "quick" is vague


@pytest.mark.parametrize(
    ("text", "order", "descending"),
    [
        ("shuffle them", "shuffle", False),
        ("reverse the order", "reverse", False),
        ("sort by tempo", "tempo", False),
        ("put the fastest ones first", "tempo", True),
        ("order by bpm, fast to slow", "tempo", True),
        ("start calm and build up", "energy", False),
        ("let it wind down at the end", "energy", True),
        ("shuffle the catalog", None, False),
        ("put on Thriller by Michael Jackson", None, False),  # "put ... by" is no sort
    ],
)
def test_order_phrasings(text: str, order: str | None, descending: bool) -> None:
    edit = read_edit(text)
    assert (edit.order, edit.descending) == (order, descending), edit


def test_reordering_keeps_the_tracks_and_sorts_by_what_the_files_say(heldout_catalog) -> None:
    """ "shuffle them" re-ran the request; "sort by tempo" was not understood."""
    settings, thread = heldout_catalog.settings, f"order-{uuid.uuid4().hex[:8]}"
    first = ask("music for a dinner party", settings, thread=thread)
    ids = sorted(it.track_id for it in first.playlist)
    fastest = ask("put the fastest ones first", settings, thread=thread)
    assert sorted(it.track_id for it in fastest.playlist) == ids  # same tracks
    bpm = [float(r["bpm"]) for r in _rows(heldout_catalog, fastest)]
    assert bpm[0] == max(bpm) and bpm[-1] == min(bpm), bpm  # by the files' own tempo
    build = ask("start calm and build up", settings, thread=thread)
    session = session_for(settings)
    energy = [session.catalog.get(it.track_id).measurements.energy for it in build.playlist]
    assert energy == sorted(energy)
    shuffled = ask("shuffle them", settings, thread=thread)
    assert sorted(it.track_id for it in shuffled.playlist) == ids
    assert [it.track_id for it in shuffled.playlist] != [it.track_id for it in build.playlist]
    back = ask("undo", settings, thread=thread)
    assert [it.track_id for it in back.playlist] == [it.track_id for it in build.playlist]


def test_a_follow_up_says_what_it_added(heldout_catalog) -> None:
    """The follow-up's own reading was dropped: "I read:" repeated only the first turn's."""
    settings, thread = heldout_catalog.settings, f"said-{uuid.uuid4().hex[:8]}"
    ask("jazz for a dinner party", settings, thread=thread)
    answer = ask("no vocals", settings, thread=thread)
    read = next(line for line in answer.reply.splitlines() if line.startswith("I read:"))
    assert "dinner" in read and "instrumental only" in read, read


def test_the_happiest_song_asks_the_catalog_not_the_playlist(heldout_catalog) -> None:
    """Was "the playlist is empty: no track with happiest in it"."""
    answer = ask("the happiest song you have", heldout_catalog.settings)
    assert answer.playlist, answer.reply
    session = session_for(heldout_catalog.settings)
    modes = [session.catalog.get(it.track_id).measurements.mode for it in answer.playlist]
    assert set(modes) == {"major"}, modes


def test_a_left_out_tempo_band_is_left_out(heldout_catalog) -> None:
    """ "not between 90 and 110 bpm" / "nothing mid-tempo" were dropped without a word."""
    session = session_for(heldout_catalog.settings)
    for text, lo, hi in (("not between 90 and 110 bpm", 90, 110), ("nothing mid-tempo", 90, 120)):
        answer = ask(text, heldout_catalog.settings)
        assert answer.playlist, answer.reply
        bpm = [session.catalog.get(it.track_id).measurements.tempo_bpm for it in answer.playlist]
        assert not [b for b in bpm if lo <= b <= hi], (text, bpm)
        assert f"not {lo}-{hi} BPM" in answer.reply


def test_everything_but_rock_has_no_rock(heldout_catalog) -> None:
    answer = ask("everything but rock", heldout_catalog.settings)
    styles = {r["style"] for r in _rows(heldout_catalog, answer)}
    assert answer.playlist and not styles & {"punk rock", "metal"}, styles
    assert len(styles) >= 2  # everything else stays open


def test_energetic_but_not_aggressive_answers(heldout_catalog) -> None:
    answer = ask("energetic yet not aggressive", heldout_catalog.settings)
    rows = _rows(heldout_catalog, answer)
    assert rows, answer.reply  # was "asked both calm and energetic": nothing picked
    assert all(r["energy"] in ("high", "medium") for r in rows), [r["energy"] for r in rows]


def test_an_hour_of_music_is_counted_in_the_catalogs_tracks(heldout_catalog) -> None:
    lengths = sorted(float(r["duration_s"]) for r in heldout_catalog.rows)
    median = lengths[len(lengths) // 2]
    answer = ask("10 minutes of calm music", heldout_catalog.settings)
    want = round(600 / median)
    assert f"about 10 min of music → {want} picks" in answer.reply, answer.reply
    total = sum(float(r["duration_s"]) for r in _rows(heldout_catalog, answer))
    fit = (
        len(answer.playlist) == want or f"Only {len(answer.playlist)} of the {want}" in answer.reply
    )
    assert fit and (len(answer.playlist) < want or abs(total - 600) < 0.25 * 600), total


def test_piano_or_strings_is_either_not_both(heldout_catalog) -> None:
    """ "piano or strings" asked for tracks with both (none): nothing was picked."""
    from linernotes.tools.judge.facts import facts
    from linernotes.tools.reason.vocabulary import load_vocabulary, track_families

    answer = ask("piano or strings", heldout_catalog.settings)
    assert answer.playlist, answer.reply
    session = session_for(heldout_catalog.settings)
    for item in answer.playlist:
        f = facts(session.catalog.get(item.track_id))
        families = track_families(f.instruments, f.genre, load_vocabulary())
        assert families & {"piano", "strings"}, (item.title, families)


def test_all_the_jazz_you_have_is_all_of_it(heldout_catalog) -> None:
    """ "all the jazz you have" gave the default 8."""
    jazz = [r for r in heldout_catalog.rows if r["style"] == "jazz piano trio"]
    answer = ask("all the jazz you have", heldout_catalog.settings)
    styles = [r["style"] for r in _rows(heldout_catalog, answer)]
    assert set(styles) == {"jazz piano trio"} and len(styles) == len(jazz), (len(jazz), styles)


def test_a_refusal_said_last_keeps_the_style_out(heldout_catalog) -> None:
    """ "jazz excluded", "rock is off the table", "jazz? no thanks" were answered with jazz
    and rock: the reader's negators only covered what came after them."""
    for text, refused in (
        ("jazz excluded", {"jazz piano trio"}),
        ("rock is off the table", {"punk rock", "metal"}),
        ("jazz? no thanks", {"jazz piano trio"}),
        ("exclude rock", {"punk rock", "metal"}),
    ):
        answer = ask(text, heldout_catalog.settings)
        styles = {r["style"] for r in _rows(heldout_catalog, answer)}
        assert answer.playlist and not styles & refused, (text, styles)


def test_a_tempo_typed_with_signs_is_kept(heldout_catalog) -> None:
    session = session_for(heldout_catalog.settings)
    for text, lo, hi in (("bpm > 120", 120, 999), ("120 +/- 10 bpm", 110, 130)):
        answer = ask(text, heldout_catalog.settings)
        assert answer.playlist, (text, answer.reply)
        bpm = [session.catalog.get(it.track_id).measurements.tempo_bpm for it in answer.playlist]
        assert all(lo <= b <= hi for b in bpm), (text, bpm)


def test_sums_and_how_to_questions_get_no_picks(heldout_catalog) -> None:
    """ "what's 2+2" and "how do i add my own music" were answered with five picks."""
    for text in ("what's 2+2", "12 times 7?"):
        answer = ask(text, heldout_catalog.settings)
        assert not answer.playlist and "only recommend and explain music" in answer.reply, text
    for text in ("how do i add my own music", "How can I import my mp3s?", "how does this work"):
        answer = ask(text, heldout_catalog.settings)
        assert not answer.playlist and "linernotes ingest" in answer.reply, (text, answer.reply)
    assert ask("give me 2 songs", heldout_catalog.settings).playlist  # a count is no sum


def test_who_is_the_artist_names_the_artist(heldout_catalog) -> None:
    """ "who is the artist of #1" described #1 without naming who made it."""
    settings, thread = heldout_catalog.settings, f"artist-{uuid.uuid4().hex[:8]}"
    first = ask("upbeat songs", settings, thread=thread)
    row = heldout_catalog.row_for(first.playlist[0].path)
    answer = ask("who is the artist of #1", settings, thread=thread)
    assert f"by {row['artist']}" in answer.reply, (row["artist"], answer.reply)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("turn up the volume", "I don't play it"),  # was five picks for "turn volume"
        ("next song", "I don't play it"),
        ("pause", "I don't play it"),
        ("open spotify", "I don't play it"),
        ("recommend a movie", "only recommend and explain music"),  # was five picks
        ("recommend a podcast", "only recommend and explain music"),
        ("how do I cook pasta", "only recommend and explain music"),  # was dinner music
        ("tell me about yourself", "I pick music from your catalog"),  # was "no #1 yet"
        ("yes", "I pick music from your catalog"),  # was five random picks
        ("lol", "I pick music from your catalog"),
    ],
)
def test_what_is_not_a_music_request_gets_no_picks(heldout_catalog, text: str, says: str) -> None:
    answer = ask(text, heldout_catalog.settings)
    assert not answer.playlist and says in answer.reply, (text, answer.reply)


@pytest.mark.parametrize(
    "text", ["video game music", "music for a movie night", "play jazz", "soundtrack for my film"]
)
def test_music_about_films_and_games_still_gets_picks(heldout_catalog, text: str) -> None:
    assert ask(text, heldout_catalog.settings).playlist, text


@pytest.mark.parametrize(
    ("typed", "limit"),
    [
        ("not too long please", 300.0),  # was read as nothing at all
        ("songs that aren't too long", 300.0),
        ("nothing too long", 300.0),
        ("short songs", 180.0),
        ("quick ones for a coffee break", 180.0),
    ],
)
def test_length_in_words_is_a_bound(typed: str, limit: float) -> None:
    req = RulesReasoner().understand(typed)
    assert req.constraints.max_duration_s == limit, (req.constraints, req.understood)
    assert req.text_query is None or "short" not in req.text_query  # a length has no sound


def test_long_and_not_short_ask_for_length_and_all_night_long_does_not() -> None:
    reasoner = RulesReasoner()
    assert reasoner.understand("long songs").constraints.min_duration_s == 360.0
    assert reasoner.understand("nothing short").constraints.min_duration_s == 120.0
    assert reasoner.understand("music to dance all night long").constraints.min_duration_s is None
    assert reasoner.understand("a short playlist of jazz").constraints.max_duration_s is None


def test_dont_have_vocals_is_instrumental_not_vocals(heldout_catalog) -> None:
    """'songs that don't have vocals' asked for vocals and searched for "don't"."""
    for typed in ("songs that don't have vocals", "tracks which do not include any singing"):
        answer = ask(typed, heldout_catalog.settings)
        rows = _rows(heldout_catalog, answer)
        assert rows and all(r["has_voice"] == "0" for r in rows), (typed, answer.reply)
        assert "instrumental only" in answer.reply


def test_shouldnt_be_too_loud_is_a_bound_not_calmer_than_nothing(heldout_catalog) -> None:
    answer = ask("music for reading, shouldn't be too loud", heldout_catalog.settings)
    rows = _rows(heldout_catalog, answer)
    assert rows and all(r["energy"] != "high" for r in rows), answer.reply
    assert "energy up to medium" in answer.reply


def test_nothing_fits_says_which_limit_and_what_the_catalog_holds(heldout_catalog) -> None:
    lengths = [float(r["duration_s"]) for r in heldout_catalog.rows]
    answer = ask("long songs", heldout_catalog.settings)
    assert not answer.playlist
    held = f"tracks here last {min(lengths):.0f} s to {max(lengths):.0f} s"
    assert f"No track here fits “at least 6 min long”: {held}." in answer.reply, answer.reply
    session = session_for(heldout_catalog.settings)
    bpm = sorted(t.measurements.tempo_bpm for t in session.catalog.tracks())
    fast = ask("jazz over 250 bpm", heldout_catalog.settings)
    assert f"tempos here run {bpm[0]:.0f} to {bpm[-1]:.0f} BPM" in fast.reply, fast.reply


def test_nothing_fits_together_counts_each_limit_alone(heldout_catalog) -> None:
    rows = heldout_catalog.rows
    punk = sum(r["style"] == "punk rock" for r in rows)
    slow = ask("punk rock under 70 bpm", heldout_catalog.settings)
    if slow.playlist:
        pytest.skip("this demo seed holds a slow punk track")
    assert f"punk rock: {punk}; at most 70 BPM: " in slow.reply, slow.reply
    assert "but no track meets them all" in slow.reply


@pytest.mark.parametrize(
    ("typed", "shares"),
    [
        ("3 punk and 2 jazz", {"punk rock": 3, "jazz piano trio": 2}),
        ("give me two ambient tracks and three orchestral ones", {"ambient": 2, "orchestral": 3}),
        (
            "1 techno, 2 jazz and 2 ambient please",
            {"techno": 1, "jazz piano trio": 2, "ambient": 2},
        ),
    ],
)
def test_shares_by_genre_are_held(heldout_catalog, typed: str, shares: dict[str, int]) -> None:
    """'3 punk and 2 jazz' gave 3 picks from both, in whatever mix the ranking made."""
    answer = ask(typed, heldout_catalog.settings)
    styles = [r["style"] for r in _rows(heldout_catalog, answer)]
    assert {s: styles.count(s) for s in set(styles)} == shares, (styles, answer.reply)
    assert " + ".join(f"{n} {g}" for g, n in shares.items()) in answer.reply


def test_one_number_and_genres_is_a_count_not_shares() -> None:
    req = RulesReasoner().understand("5 jazz or ambient songs")
    assert (req.count, req.quotas) == (5, [])
    req = RulesReasoner().understand("no punk, 2 jazz and 3 ambient")
    assert req.count == 5 and [q.count for q in req.quotas] == [2, 3]
    assert req.constraints.exclude_genres == ["punk rock"]


def test_moods_people_type_instead_of_music_words() -> None:
    """'i'm bored' and 'sing me a song' were searched as plain words; 'something to keep me
    awake' was sleep music."""
    reasoner = RulesReasoner()
    bored = reasoner.understand("i'm bored")
    assert bored.constraints.min_energy == "medium" and bored.intent == "recommend"
    assert reasoner.understand("sing me a song").constraints.vocals_only
    awake = reasoner.understand("something to keep me awake")
    assert awake.context_name != "sleep" and awake.constraints.min_energy == "medium"
    calm = reasoner.understand("calm but not boring")
    assert calm.constraints.max_energy == "medium" and calm.constraints.min_energy is None


def test_forget_the_length_lifts_only_the_length(heldout_catalog) -> None:
    """'forget the length' dropped every standing limit and searched for "forget";
    'length doesn't matter' and 'any length is fine' kept the bound."""
    settings = heldout_catalog.settings
    for lift in ("forget the length", "length doesn't matter", "any length is fine"):
        thread = f"t-{uuid.uuid4().hex[:8]}"
        first = ask("instrumental songs under 25 seconds", settings, thread=thread)
        assert all(float(r["duration_s"]) <= 25.5 for r in _rows(heldout_catalog, first))
        after = ask(lift, settings, thread=thread)
        rows = _rows(heldout_catalog, after)
        assert rows and all(r["has_voice"] == "0" for r in rows), (lift, after.reply)
        assert "instrumental only" in after.reply and "25 s" not in after.reply.splitlines()[0]
        assert "forget" not in after.reply.splitlines()[0], after.reply


def test_any_tempo_is_fine_lifts_the_tempo_bound() -> None:
    req = RulesReasoner().understand("any tempo is fine")
    assert {"min_bpm", "max_bpm"} <= set(req.released) and req.intent == "recommend"
    assert not set(RulesReasoner().understand("forget the energy limit").released) & {"min_bpm"}


def test_a_lifted_tempo_takes_its_word_out_of_the_search(heldout_catalog) -> None:
    """'fast songs' then 'forget the tempo' lifted the bound but still searched "fast"
    and still said “fast” → at least 120 BPM; 'vocals are fine' kept saying
    “vocals” (negated) → instrumental only."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("fast songs", settings, thread=thread)
    after = ask("forget the tempo", settings, thread=thread)
    assert "fast" not in (after.request.text_query or ""), after.request.text_query
    assert "fast" not in after.reply.splitlines()[0] and "120 BPM" not in after.reply
    assert "any tempo" in after.reply
    slow = [r for r in _rows(heldout_catalog, after) if float(r["bpm"]) < 120]
    assert slow, after.reply  # the search no longer leans fast

    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("songs without vocals", settings, thread=thread)
    after = ask("vocals are fine actually", settings, thread=thread)
    assert "instrumental only" not in after.reply, after.reply
    assert any(r["has_voice"] == "1" for r in _rows(heldout_catalog, after)), after.reply


def test_a_replaced_or_reversed_limit_leaves_no_contradiction(heldout_catalog) -> None:
    """'around 100 bpm' then 'between 90 and 110 bpm' said both ranges; 'upbeat with
    vocals' then 'no wait, no vocals' said “vocals” → with vocals next to instrumental only;
    'songs without vocals' then 'actually either is fine for vocals' kept *with* vocals
    only (and took "for vocals" for an unknown listening situation)."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("songs around 100 bpm", settings, thread=thread)
    after = ask("between 90 and 110 bpm", settings, thread=thread)
    assert "at least 92 BPM" not in after.reply and "at least 90 BPM" in after.reply, after.reply
    assert all(89 <= float(r["bpm"]) <= 111 for r in _rows(heldout_catalog, after))

    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("something upbeat with vocals", settings, thread=thread)
    after = ask("no wait, no vocals", settings, thread=thread)
    assert "with vocals" not in after.reply.split("\n\n")[0], after.reply
    assert all(r["has_voice"] == "0" for r in _rows(heldout_catalog, after)), after.reply

    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("songs without vocals", settings, thread=thread)
    after = ask("actually either is fine for vocals", settings, thread=thread)
    assert not after.request.constraints.vocals_only and not after.request.constraints.no_vocals
    assert any(r["has_voice"] == "1" for r in _rows(heldout_catalog, after)), after.reply
    assert "listening situation" not in after.reply and "instrumental only" not in after.reply


def test_a_little_faster_is_ok_gives_the_cap_room(heldout_catalog) -> None:
    """'nothing faster than 100' then 'hmm maybe a little faster is ok' asked for music
    faster than the playlist's median and kept the cap of 100."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("nothing faster than 100", settings, thread=thread)
    after = ask("hmm maybe a little faster is ok", settings, thread=thread)
    c = after.request.constraints
    assert c.max_bpm == 110 and not c.faster, c
    assert "at most 100 BPM" not in after.reply.replace("(was at most 100 BPM)", ""), after.reply
    assert "at most 110 BPM (was at most 100 BPM)" in after.reply, after.reply
    assert after.playlist and all(float(r["bpm"]) <= 112 for r in _rows(heldout_catalog, after))


def test_a_bound_that_leaves_no_room_is_not_said_any_more(heldout_catalog) -> None:
    """'calm songs under 120 bpm' then 'over 140 then' dropped the cap but the reply still
    listed “under 120 bpm” → at most 120 BPM."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("calm songs under 120 bpm", settings, thread=thread)
    after = ask("over 140 then", settings, thread=thread)
    assert after.request.constraints.max_bpm is None
    assert "at most 120 BPM" not in after.reply, after.reply


def test_major_instead_of_minor_replaces_the_key_phrase(heldout_catalog) -> None:
    """'calm songs in a minor key' then 'hmm something in a major key instead of minor'
    asked "which one? Say #1-#8" (a swap of a track), and once read it searched
    “calm in a key”."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    ask("calm songs in a minor key", settings, thread=thread)
    after = ask("hmm something in a major key instead of minor", settings, thread=thread)
    assert after.playlist and "which one" not in after.reply, after.reply
    assert after.request.constraints.mode == "major"
    assert "in a key" not in (after.request.text_query or ""), after.request.text_query
    rows = _rows(heldout_catalog, after)
    assert all(r["mode"] == "major" and r["energy"] != "high" for r in rows), rows


def test_add_a_few_with_an_instrument_adds_to_the_list(heldout_catalog) -> None:
    """'add a few with piano' after a list started a new search for "piano", dropping
    the standing "calm" and the list; 'add a couple with strings' searched "couple"."""
    settings = heldout_catalog.settings
    thread = f"t-{uuid.uuid4().hex[:8]}"
    first = ask("calm songs", settings, thread=thread)
    after = ask("add a few with piano", settings, thread=thread)
    assert after.reply.startswith("Added 3"), after.reply
    assert len(after.playlist) == len(first.playlist) + 3
    added = [heldout_catalog.row_for(it.path) for it in after.playlist[-3:]]
    assert all("piano" in r["instruments"] for r in added), added
    assert all(r["energy"] != "high" for r in added)  # the standing "calm" holds
