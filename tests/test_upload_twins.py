"""An uploaded or outside file that is a catalog track is that track, never its own pick.

Files outside the catalog were identified by a hash of their bytes, catalog tracks by a
hash of their decoded audio, so a user's copy of a catalog song (renamed, re-tagged or
just copied) never matched its record: "more like this" answered with the very song sent,
at similarity 1.00, as pick #1. All audio is made here in code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.agent.run import ask
from linernotes.tools.catalog.catalog import open_catalog
from linernotes.ui import app_chat as chat
from linernotes.ui.cli import main
from tests.test_ingest import ingested_library, write_track


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("twins")
    settings = ingested_library(root, songs=4, top_k=3)
    original = open_catalog(settings, create=False).resolve(str(root / "music" / "song1.wav"))
    # the same audio, re-tagged and renamed, outside the catalog
    copy = write_track(root / "upload" / "voice memo.wav", seed=1, title="my memo")
    return settings, original, copy


def test_search_like_a_copy_never_returns_the_original(library, capsys) -> None:
    settings, original, copy = library
    argv = ["search", "--catalog", str(settings.catalog), "--like", str(copy), "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    ids = [h["track_id"] for h in out["hits"]]
    assert ids and original.id not in ids, out
    assert out["query"]["in_catalog"] and out["query"]["track_id"] == original.id


def test_an_uploaded_copy_is_not_its_own_pick(library) -> None:
    settings, original, copy = library
    answer = ask("more like this", settings, upload=copy)
    assert answer.picks, answer.reply
    assert original.id not in [p.track_id for p in answer.picks], answer.picks
    views = list(
        chat.chat_turn(
            {"text": "", "files": [{"path": str(copy)}]},
            [],
            chat.new_session(),
            [],
            [],
            settings=settings,
            ask_fn=ask,
        )
    )
    picks = views[-1].picks
    assert picks and original.id not in [p.track_id for p in picks]
    assert Path(copy).is_file()  # not in gradio's upload folder: never deleted


def test_a_lossy_copy_is_that_track_and_another_song_is_not(library, tmp_path, capsys) -> None:
    """An MP3 / low-quality OGG of a catalog song decodes to other samples: matched by sound
    and length. A different song of the very same length stays an outside file."""
    import soundfile as sf

    settings, original, copy = library
    y, sr = sf.read(copy, dtype="float32")
    mp3 = tmp_path / "from my phone.mp3"
    sf.write(mp3, y, sr, format="MP3")
    ogg = tmp_path / "low.ogg"
    sf.write(ogg, y, sr, format="OGG", subtype="VORBIS", compression_level=0.9)
    other = write_track(tmp_path / "not in the catalog.wav", seed=9)  # same 3 s length
    for path, expected in ((mp3, original.id), (ogg, original.id), (other, None)):
        argv = ["search", "--catalog", str(settings.catalog), "--like", str(path), "--json"]
        assert main(argv) == 0
        out = json.loads(capsys.readouterr().out)
        ids = [h["track_id"] for h in out["hits"]]
        if expected:
            assert out["query"]["in_catalog"], f"{path.name} not recognised"
            assert out["query"]["track_id"] == expected
            assert expected not in ids, f"{path.name} is its own pick"
        else:
            assert not out["query"]["in_catalog"], f"{path.name} taken for a catalog song"
    answer = ask("more like this", settings, upload=mp3)  # the chat's upload path
    assert answer.picks and original.id not in [p.track_id for p in answer.picks]
    assert answer.anchor_id == original.id, answer.reply
