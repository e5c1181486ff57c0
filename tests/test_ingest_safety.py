"""Ingest on a real library: odd names, links, locked folders, re-tagged, moved and gone files.

Issue cases 2-4: nothing is lost silently (every unreadable path is in the skip report
with its reason), one bad name never stops the others, and a file keeps one record
however it is re-tagged, moved or rewritten. All files are made here, on disk.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import mutagen

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from linernotes.ui.cli import main
from tests.test_ingest import write_track


def _settings(tmp_path: Path):
    return load_settings(catalog=tmp_path / "catalog", workers=1)


def _tracks(tmp_path: Path):
    return open_catalog(_settings(tmp_path), create=False).tracks()


def _retitle(path: Path, title: str) -> None:
    tags = mutagen.File(path)
    tags["title"] = title
    tags.save()


def test_a_non_utf8_name_is_reported_and_the_others_are_ingested(tmp_path):
    music = tmp_path / "music"
    write_track(music / "good.wav", seed=1)
    made = write_track(music / "tmp.wav", seed=2)
    raw = os.path.join(os.fsencode(music), b"caf\xe9 \xff.wav")  # Latin-1 bytes, not UTF-8
    os.rename(made, raw)
    report = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    assert report.added == 1
    assert [Path(t.path).name for t in _tracks(tmp_path)] == ["good.wav"]
    [skip] = report.skipped
    assert skip.path.endswith("caf\\xe9 \\xff.wav") and "not valid UTF-8" in skip.reason
    json.dumps(report.model_dump(mode="json"))  # the report can be printed as JSON
    skipped = open_catalog(_settings(tmp_path), create=False).skipped()
    assert [s["path"] for s in skipped] == [skip.path]  # and is in the ledger
    again = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    assert (again.added, again.already_present, len(again.skipped)) == (0, 1, 1)


def test_links_are_followed_and_every_unreadable_path_is_reported(tmp_path, monkeypatch):
    music = tmp_path / "music"
    write_track(music / "top.wav", seed=1)
    elsewhere = write_track(tmp_path / "elsewhere" / "linked.wav", seed=2).parent
    os.symlink(elsewhere, music / "alias")  # a symlinked folder: followed
    os.symlink(music, elsewhere / "back")  # leads back into music: a loop, reported
    os.symlink(tmp_path / "gone.flac", music / "dangling.flac")
    locked = music / "locked"
    write_track(locked / "hidden_song.wav", seed=3)
    os.chmod(locked, 0)
    if os.geteuid() == 0:  # root lists any folder: make this one fail as it would for a user
        real = os.scandir

        def scandir(path):  # type: ignore[no-untyped-def]
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        report = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    finally:
        os.chmod(locked, 0o755)
    assert report.added == 2
    names = sorted(Path(t.path).name for t in _tracks(tmp_path))
    assert names == ["linked.wav", "top.wav"]
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert "dangling symlink" in reasons["dangling.flac"]
    assert "cannot list folder" in reasons["locked"] and "Permission denied" in reasons["locked"]
    assert "symlink loop" in reasons["back"]
    assert len(report.skipped) == 3


def test_retagging_keeps_one_record_with_the_new_tags(tmp_path):
    song = write_track(tmp_path / "music" / "song.flac", seed=4, title="Old Title")
    settings = _settings(tmp_path)
    first = ingest([song.parent], settings, progress=False, in_process=True)
    assert first.added == 1
    _retitle(song, "New Title")
    again = ingest([song.parent], settings, progress=False, in_process=True)
    assert (again.added, again.already_present, again.retagged) == (0, 1, 1)
    [track] = _tracks(tmp_path)
    assert track.title == "New Title" and track.path == str(song.resolve())


def test_a_retagged_title_is_found_by_its_new_name_and_not_its_old_one(tmp_path):
    """Name lookups and keyword search read the lexical index: it follows a re-tag."""
    from linernotes.tools.catalog.lookup import suggest
    from linernotes.tools.catalog.search import lexical_search

    music = tmp_path / "music"
    song = write_track(music / "song.flac", seed=4, title="Copper Lantern")
    write_track(music / "other.flac", seed=5, title="Velvet Harbour")
    settings = _settings(tmp_path)
    ingest([music], settings, progress=False, in_process=True)
    _retitle(song, "Midnight Orchard")
    assert ingest([music], settings, progress=False, in_process=True).retagged == 1
    catalog = open_catalog(settings, create=False)
    [new] = [t for t in catalog.tracks() if t.title == "Midnight Orchard"]
    assert [c.track_id for c in lexical_search(catalog, "midnight orchard", 5)] == [new.id]
    assert catalog.resolve("Midnight Orchard").id == new.id
    assert suggest(catalog, "Midnight Orchid") == ["Midnight Orchard"]
    assert "Copper Lantern" not in suggest(catalog, "Copper Lantern"), "the old name is gone"


def test_a_rewritten_file_replaces_its_record_and_is_not_its_own_neighbour(tmp_path):
    song = write_track(tmp_path / "music" / "song.wav", seed=5)
    write_track(tmp_path / "music" / "other.wav", seed=6)
    settings = _settings(tmp_path)
    ingest([song.parent], settings, progress=False, in_process=True)
    old_id = next(t.id for t in _tracks(tmp_path) if t.path == str(song.resolve()))
    write_track(song, seed=7)  # re-encoded / edited: new audio at the same path
    again = ingest([song.parent], settings, progress=False, in_process=True)
    assert (again.added, again.replaced) == (1, 1)
    tracks = _tracks(tmp_path)
    assert len(tracks) == 2 and old_id not in {t.id for t in tracks}
    catalog = open_catalog(settings, create=False)
    new_id = next(t.id for t in tracks if t.path == str(song.resolve()))
    hits = catalog.query_audio(catalog.audio_vector(new_id), k=5, exclude=[new_id])
    assert [h.track_id for h in hits] != [] and old_id not in {h.track_id for h in hits}


def test_a_moved_file_keeps_its_record_with_the_new_path(tmp_path):
    song = write_track(tmp_path / "music" / "a" / "song.wav", seed=8)
    settings = _settings(tmp_path)
    ingest([tmp_path / "music"], settings, progress=False, in_process=True)
    [before] = _tracks(tmp_path)
    moved = tmp_path / "music" / "b" / "renamed.wav"
    moved.parent.mkdir()
    shutil.move(song, moved)
    again = ingest([tmp_path / "music"], settings, progress=False, in_process=True)
    assert (again.added, again.relocated) == (0, 1)
    [after] = _tracks(tmp_path)
    assert after.id == before.id and after.path == str(moved.resolve())


def test_a_catalog_with_the_old_ids_is_not_duplicated(tmp_path, monkeypatch):
    import linernotes.tools.ingest.identity as identity

    song = write_track(tmp_path / "music" / "song.flac", seed=9, title="Legacy")
    settings = _settings(tmp_path)
    monkeypatch.setattr(identity, "audio_id", identity.legacy_id)  # the first id scheme
    ingest([song.parent], settings, progress=False, in_process=True)
    [old] = _tracks(tmp_path)
    monkeypatch.undo()
    (tmp_path / "catalog" / "file_ids.sqlite").unlink()  # as an old catalog has none
    again = ingest([song.parent], settings, progress=False, in_process=True)
    assert (again.added, again.already_present) == (0, 1)
    assert [t.id for t in _tracks(tmp_path)] == [old.id]
    _retitle(song, "Legacy, re-tagged")  # a change now moves it to the new scheme, once
    third = ingest([song.parent], settings, progress=False, in_process=True)
    assert (third.added, third.replaced) == (1, 1)
    [new] = _tracks(tmp_path)
    assert new.id != old.id and new.title == "Legacy, re-tagged"


def test_catalog_remove_and_ingest_prune(tmp_path, capsys):
    music = tmp_path / "music"
    keep = write_track(music / "keep.wav", seed=10)
    gone = write_track(music / "gone.wav", seed=11)
    drop = write_track(music / "drop.wav", seed=12)
    cat = ["--catalog", str(tmp_path / "catalog")]
    assert main(["ingest", str(music), *cat, "-q"]) == 0
    capsys.readouterr()
    ids = {Path(t.path).name: t.id for t in _tracks(tmp_path)}
    assert main(["catalog", *cat, "remove", ids["drop.wav"][:8], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"][0]["id"] == ids["drop.wav"]
    assert main(["catalog", *cat, "remove", "Keep"]) == 2  # a title is not an id
    assert sorted(Path(t.path).name for t in _tracks(tmp_path)) == ["gone.wav", "keep.wav"]
    assert drop.exists()  # removing a track never deletes the user's file
    gone.unlink()
    assert main(["ingest", str(music), *cat, "-q", "--prune", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pruned"] == [ids["gone.wav"]]
    assert report["added"] == 1  # drop.wav is still on disk: ingesting its folder re-adds it
    assert sorted(Path(t.path).name for t in _tracks(tmp_path)) == ["drop.wav", keep.name]


def test_a_link_to_a_file_that_is_no_audio_is_reported_by_its_name_in_the_folder(tmp_path):
    """A link "song.mp3 -> a text file" was reported by its target alone, a path the user
    never listed, so they could not tell which file in their folder it was."""
    music = tmp_path / "music"
    write_track(music / "good.wav", seed=1)
    notes = tmp_path / "private" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("not music\n" * 100)
    os.symlink(notes, music / "song.mp3")
    report = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    assert report.added == 1
    [skip] = report.skipped
    assert skip.path == str(music / "song.mp3"), skip
    assert str(notes) in skip.reason and "cannot decode" in skip.reason, skip.reason


def test_control_and_direction_characters_never_reach_a_title(tmp_path):
    """A tag holding a terminal escape, a bell or a right-to-left override was kept as is:
    printed in a pick list it would act on the listener's terminal or show reversed."""
    import unicodedata

    music = tmp_path / "music"
    song = write_track(music / "song.flac", seed=1)
    tags = mutagen.File(song)
    tags["title"] = "Évora \u202eRTL\u202c \x07bell \x1b[2J🎵 名前"
    tags["artist"] = "a\x1b]0;owned\x07b"
    tags.save()
    write_track(music / "esc\x1b[31mred.wav", seed=2)
    report = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    assert report.added == 2, report.skipped
    titles = {Path(t.path).suffix: t for t in _tracks(tmp_path)}
    flac, wav = titles[".flac"], titles[".wav"]
    for text in (flac.title, flac.artist or "", wav.title):
        assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf")], repr(text)
    assert flac.title == "Évora RTL bell [2J🎵 名前"
    assert wav.title == "esc [31mred"


def test_a_file_whose_tags_crash_the_tag_reader_is_ingested_by_its_name(tmp_path, monkeypatch):
    """A decodable file with a tag block mutagen trips on (IndexError on fuzzed OGGs)."""
    music = tmp_path / "music"
    write_track(music / "odd tags.flac", seed=9, title="Unreadable")
    write_track(music / "fine.flac", seed=10, title="Fine")
    real = mutagen.File

    def tripping(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "odd tags" in str(path):
            raise IndexError("list index out of range")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(mutagen, "File", tripping)
    report = ingest([music], _settings(tmp_path), progress=False, in_process=True)
    assert (report.added, report.skipped) == (2, [])
    assert sorted(t.title for t in _tracks(tmp_path)) == ["Fine", "Unreadable"]
