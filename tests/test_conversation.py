"""Multi-turn conversations on the demo catalog: the six-turn session (in process, through
``linernotes chat`` on stdin, and ``ask --thread --json``), uploads, and bad input."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from cli_runner import run_cli

from linernotes.tools.playlist import read_m3u

SESSION = [
    "more like {lofi} but for studying",
    "swap #3 for something calmer",
    "why #2?",
    "no vocals from now on",
    "make it 10",
]


def _thread() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _lofi(demo_catalog) -> str:
    return next(r["title"] for r in demo_catalog.rows if r["style"] == "lo-fi hip-hop")


def _assert_playable_m3u(path: Path, playlist) -> None:
    text = path.read_text(encoding="utf-8")
    entries = read_m3u(path)
    assert text.startswith("#EXTM3U\n")
    assert text.count("#EXTINF:") == len(entries) == len(playlist)
    assert entries == [it.path for it in playlist]
    for entry in entries:
        assert Path(entry).is_absolute() and Path(entry).is_file()
        y, sr = sf.read(entry, frames=4096)
        assert sr > 0 and np.isfinite(y).all() and y.size > 0


def test_six_turn_session_in_process(demo_catalog, tmp_path) -> None:
    from linernotes.agent.run import ask, session_for

    settings = demo_catalog.settings
    catalog = session_for(settings).catalog
    thread = _thread()
    first = ask(SESSION[0].format(lofi=_lofi(demo_catalog)), settings, thread=thread)
    assert len(first.picks) == len(first.playlist) == settings.top_k
    assert all(demo_catalog.row_for(p.path)["energy"] != "high" for p in first.picks)

    swap = ask(SESSION[1], settings, thread=thread)
    before, after = [it.track_id for it in first.playlist], [it.track_id for it in swap.playlist]
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [2]
    energy = {t: catalog.get(t).measurements.energy for t in (before[2], after[2])}
    assert energy[after[2]] < energy[before[2]]
    assert [p.rank for p in swap.picks] == [3]

    why = ask(SESSION[2], settings, thread=thread)
    assert why.reply.startswith(f"#2 {swap.playlist[1].title}: ")
    assert why.picks == [] and why.playlist == swap.playlist

    sticky = ask(SESSION[3], settings, thread=thread)
    assert sticky.reply.startswith("From now on: instrumental only.")
    assert all(demo_catalog.row_for(it.path)["has_voice"] == "0" for it in sticky.playlist)

    ten = ask(SESSION[4], settings, thread=thread)
    assert len(ten.playlist) == 10 and len(ten.picks) == 10 - len(sticky.playlist)
    assert [p.rank for p in ten.picks] == list(range(len(sticky.playlist) + 1, 11))
    assert all(demo_catalog.row_for(it.path)["has_voice"] == "0" for it in ten.playlist)

    out = tmp_path / "study.m3u"
    export = ask(f'export the playlist as m3u to "{out}"', settings, thread=thread)
    assert str(out) in export.reply and export.playlist == ten.playlist
    _assert_playable_m3u(out, ten.playlist)


def test_six_turn_session_through_chat_stdin(demo_catalog, tmp_path) -> None:
    out = tmp_path / "my list.m3u"
    lines = [SESSION[0].format(lofi=_lofi(demo_catalog)), *SESSION[1:], f"/export m3u {out}", ""]
    lines += ["why #99?", "/quit"]
    proc = run_cli(
        ["chat", "--catalog", str(demo_catalog.settings.catalog), "--thread", _thread()],
        stdin="\n".join(lines) + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "8 picks like" in text
    assert "Replaced 1:\n#3: " in text
    assert "#2 " in text and "From now on: instrumental only." in text
    assert "Added 2 (now 10 tracks):" in text or "── playlist (10) ──" in text
    assert f"Exported 10 tracks to {out} (M3U)." in text
    assert "Your message was empty." in text
    assert "there is no #99: the playlist has 10 tracks" in text
    entries = read_m3u(out)
    assert len(entries) == 10 and all(Path(e).is_file() for e in entries)


def test_ask_continues_a_thread_as_json(demo_catalog, capsys) -> None:
    from linernotes.tools.schemas import Answer
    from linernotes.ui.cli import main

    thread, catalog = _thread(), str(demo_catalog.settings.catalog)
    lofi = _lofi(demo_catalog)
    assert (
        main(["ask", "--catalog", catalog, "--thread", thread, "--json", f"more like {lofi}"]) == 0
    )
    first = Answer.model_validate(json.loads(capsys.readouterr().out))
    assert (
        main(["ask", "--catalog", catalog, "--thread", thread, "--json", "give me two more"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    answer = Answer.model_validate(data)
    assert answer.thread == thread and answer.request.intent == "refine"
    assert [p.rank for p in answer.picks] == [9, 10]
    assert [it["track_id"] for it in data["playlist"][:8]] == [p.track_id for p in first.picks]
    assert all(Path(it["path"]).is_file() for it in data["playlist"])
    assert data["reply"].startswith("Added 2 (now 10 tracks):")
    assert [s["name"] for s in data["steps"] if s["kind"] == "tool"][-1] == "add_to_playlist"


@pytest.fixture
def upload(demo_catalog, tmp_path) -> Path:
    """A demo string quartet played backwards: its sound, but a recording outside the catalog.

    (A plain re-encode of it is that catalog track: tests/test_upload_twins.py.)
    """
    row = next(
        r for r in demo_catalog.rows if r["style"] == "string quartet" and r["energy"] == "low"
    )
    y, sr = sf.read(row["path"], dtype="float32")
    path = tmp_path / "my quartet.wav"
    sf.write(path, 0.9 * y[::-1], sr)
    return path


def test_upload_is_the_anchor_and_stays_in_the_thread(demo_catalog, upload) -> None:
    from linernotes.agent.run import ask, session_for

    settings, thread = demo_catalog.settings, _thread()
    first = ask("more like this but for studying", settings, thread=thread, upload=upload)
    catalog = session_for(settings).catalog
    assert first.anchor_id is not None and first.anchor_id not in {t.id for t in catalog.tracks()}
    assert len(first.picks) >= 5
    share = np.mean([demo_catalog.row_for(p.path)["study_ok"] == "1" for p in first.picks])
    assert share >= 0.8
    upload.unlink()  # later turns use what the thread kept, not the file
    described = ask("describe my track", settings, thread=thread)
    assert described.reply.startswith("“my quartet”")
    more = ask("more like my track but calmer", settings, thread=thread)
    assert more.anchor_id == first.anchor_id and more.picks
    assert len(catalog.tracks()) == len(demo_catalog.rows)  # never added to the catalog


def test_bad_input_gets_clear_answers_and_the_thread_goes_on(demo_catalog, tmp_path) -> None:
    from linernotes.agent.run import ask

    settings, thread = demo_catalog.settings, _thread()
    first = ask(f"more like {_lofi(demo_catalog)}", settings, thread=thread)
    playlist = first.playlist

    empty = ask("   ", settings, thread=thread)
    assert empty.reply.startswith("Your message was empty.") and empty.playlist == playlist

    long = ask("more like this " * 1400, settings, thread=thread)
    assert long.reply.startswith("That message is 21,000 characters long;")
    assert long.playlist == playlist

    far = ask("swap track #99 for something calmer", settings, thread=thread)
    assert "#99" in far.reply and "8 tracks" in far.reply  # names the reference and the size
    assert far.playlist == playlist  # and changes nothing

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not audio")
    sent = ask("more like this", settings, thread=thread, upload=text_file)
    assert "notes.txt is not an audio file" in sent.reply and sent.playlist == playlist

    fake = tmp_path / "broken.wav"
    fake.write_bytes(b"RIFF0000WAVEjunk" * 64)
    broken = ask("more like this", settings, thread=thread, upload=fake)
    assert broken.reply.startswith("I could not use the file you sent (broken.wav)")
    folder = tmp_path / "album.wav"
    folder.mkdir()
    sent_folder = ask("more like this", settings, thread=thread, upload=folder)
    assert "album.wav: it is a folder, not an audio file" in sent_folder.reply, sent_folder.reply

    why = ask("why #2?", settings, thread=thread)  # the thread goes on
    assert why.reply.startswith(f"#2 {playlist[1].title}: ")
