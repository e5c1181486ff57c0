"""A file named on the command line or sent as an upload: judged by what it is, said plainly.

Before, ``search --like`` / ``ask --anchor`` answered "no track matches 'album.mp3'" for
a folder, a dangling link, a symlink loop, a typo in a path or a text file, and refused
valid ``.au`` / ``.caf`` audio (the UI's upload check had decoded it; the agent then said
"not an audio file"). A link to a non-audio file was named only by its target. The web
UI's chat text still learns nothing about this machine's paths. Audio is made in code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.agent.run import ask
from linernotes.ui.cli import main
from tests.test_ingest import ingested_library, write_track


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("named")
    return ingested_library(root, songs=3, top_k=2), root / "outside"


def _make(kind: str, where: Path) -> tuple[Path, str]:
    where.mkdir(exist_ok=True)
    if kind == "folder":
        (where / "album.mp3").mkdir(exist_ok=True)
        return where / "album.mp3", "it is a folder, not an audio file"
    if kind == "dangling":
        link = where / "gone.wav"
        if not link.is_symlink():
            os.symlink(where / "nowhere.wav", link)
        return link, f"it links to {where / 'nowhere.wav'}, which does not exist"
    if kind == "loop":
        link = where / "loop.flac"
        if not link.is_symlink():
            os.symlink(link, link)
        return link, "it is a symlink loop"
    if kind == "missing":
        return where / "typo" / "song.wav", "no such file"
    notes = where / "notes.txt"
    notes.write_text("liner notes\n")
    return notes, "not an audio file"


@pytest.mark.parametrize("kind", ["folder", "dangling", "loop", "missing", "text"])
def test_a_named_path_that_is_no_track_says_what_is_wrong(library, capsys, kind) -> None:
    settings, outside = library
    path, words = _make(kind, outside)
    assert main(["search", "--catalog", str(settings.catalog), "--like", str(path)]) != 0
    err = capsys.readouterr().err
    assert f"cannot use {path}: {words}" in err, err
    answer = ask("more like this", settings, anchor=str(path))
    assert not answer.picks and f"cannot use {path}: {words}" in answer.reply, answer.reply


def test_the_web_chat_is_not_told_whether_a_path_exists(library) -> None:
    settings, outside = library
    path, _ = _make("folder", outside)
    answer = ask(f"more like {path}", settings, files_from_text=False)
    assert "folder" not in answer.reply, answer.reply


def test_au_and_caf_files_are_anchors_and_uploads(library, capsys) -> None:
    settings, outside = library
    outside.mkdir(exist_ok=True)
    y = write_track(outside / "src.wav", seed=9)
    samples, sr = sf.read(y, dtype="float32")
    for fmt in ("AU", "CAF"):
        sf.write(outside / f"clip.{fmt.lower()}", samples, sr, format=fmt)
    argv = ["search", "--catalog", str(settings.catalog), "--like", str(outside / "clip.au")]
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"]
    answer = ask("more like this", settings, upload=outside / "clip.caf")
    assert answer.picks, answer.reply


def test_a_link_to_no_audio_is_named_by_the_link(library, capsys) -> None:
    settings, outside = library
    outside.mkdir(exist_ok=True)
    target = outside / "secret.txt"
    target.write_bytes(np.random.default_rng(0).bytes(3000))
    link = outside / "song.mp3"
    if not link.is_symlink():
        os.symlink(target, link)
    assert main(["search", "--catalog", str(settings.catalog), "--like", str(link)]) != 0
    err = capsys.readouterr().err
    assert f"({link} links to {target})" in err, err
