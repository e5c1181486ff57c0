"""Titles and tags as real libraries have them: untagged rips and runaway genre tags.

An untagged CD rip is "Track 1", "Track 2", ...: "more like Track 2" was read as the
playlist's #2 ("there is no #2 yet") and "describe Track 3" the same. A genre tag may hold
300 characters (the ingest cap) and was printed whole in every pick line and liner note.
"""

from __future__ import annotations

import uuid

import mutagen
import pytest

from linernotes.agent.run import ask
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from tests.test_ingest import write_track

LONG_GENRE = "ambient " + "drone " * 60


@pytest.fixture(scope="module")
def rip(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("rip")
    for n in range(1, 5):
        path = write_track(root / "music" / f"{n:02d}.flac", seed=n, seconds=4.0)
        tags = mutagen.File(path)
        tags["title"] = f"Track {n}"
        tags["genre"] = LONG_GENRE if n == 1 else "jazz"
        tags.save()
    settings = load_settings(catalog=root / "catalog", workers=1)
    report = ingest([root / "music"], settings, progress=False, in_process=True)
    assert report.added == 4, report.skipped
    return settings


def test_a_title_that_reads_like_a_position_is_the_title(rip) -> None:
    answer = ask("more like Track 2", rip)
    assert answer.reply.startswith(f"{len(answer.picks)} picks like “Track 2”"), answer.reply
    described = ask("describe Track 3", rip)
    assert described.reply.startswith("“Track 3”"), described.reply


def test_track_n_in_lower_case_after_a_list_is_still_the_position(rip) -> None:
    thread = f"rip-{uuid.uuid4().hex[:6]}"
    first = ask("something calm", rip, thread=thread)
    assert len(first.playlist) >= 2
    second = ask("tell me about track 2", rip, thread=thread)
    assert second.reply.startswith(f"“{first.playlist[1].title}”"), second.reply


def test_a_runaway_genre_tag_is_clipped_where_it_is_shown(rip) -> None:
    answer = ask("more like Track 1", rip)
    assert answer.picks and LONG_GENRE.strip() not in answer.reply
    assert "ambient drone drone" in answer.reply and "…" in answer.reply
    assert max(len(line) for line in answer.reply.splitlines()) < 400
    overview = ask("what genres do you have?", rip)
    assert LONG_GENRE.strip() not in overview.reply and "jazz 3" in overview.reply


def test_the_clip_keeps_short_text_whole() -> None:
    from linernotes.tools.clip import clip

    assert clip("jazz", 40) == "jazz"
    assert clip(["a", "b"], 40) == "a, b"
    assert clip("x" * 50, 40) == "x" * 39 + "…"
