"""Ingest with listeners that fail: one bad reply skips one file; a dead server falls back."""

from __future__ import annotations

from pathlib import Path

from test_ingest import _open, write_track

import linernotes.tools.listen.factory
from linernotes.tools.errors import BackendUnavailable, LLMReplyError
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings


class _PickyListener:
    """Wraps the offline listener; refuses one file, or is 'down' altogether."""

    name, model = "picky", None

    def __init__(self, settings, down: bool = False):
        from linernotes.tools.listen.mir import MirListener

        self.inner, self.down = MirListener(), down

    def listen(self, path, measurements, tags):
        if self.down:
            raise BackendUnavailable("listener server at http://127.0.0.1:9 is down")
        if path.name.startswith("bad_reply"):
            raise LLMReplyError(f"listener reply for {path.name} did not validate")
        return self.inner.listen(path, measurements, tags)


def test_listener_errors_skip_one_file_or_fall_back_visibly(tmp_path, monkeypatch):

    for name in ("bad_reply.wav", "good.wav"):
        write_track(tmp_path / "audio" / name, seed=len(name))
    settings = load_settings(catalog=tmp_path / "catalog", workers=1)
    monkeypatch.setattr(linernotes.tools.listen.factory, "make_listener", _PickyListener)
    report = ingest([tmp_path / "audio"], settings, progress=False, in_process=True)
    assert report.added == 1 and report.listener_fallback is None
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [
        ("bad_reply.wav", "listener reply for bad_reply.wav did not validate")
    ]
    good = next(t for t in _open(tmp_path / "catalog").tracks() if t.title == "good")
    assert good.provenance.listener == "mir"  # the picky listener's own (inner) result

    # The server goes down: the run goes on with the offline captioner, marked as such.
    write_track(tmp_path / "audio" / "new.wav", seed=99)
    write_track(tmp_path / "audio" / "newer.wav", seed=98)
    monkeypatch.setattr(
        linernotes.tools.listen.factory, "make_listener", lambda s: _PickyListener(s, down=True)
    )
    report = ingest([tmp_path / "audio"], settings, progress=False, in_process=True)
    assert report.added == 3  # new, newer, and bad_reply (the offline captioner hears it)
    assert "is down" in (report.listener_fallback or "")
    catalog = _open(tmp_path / "catalog")
    fallen = [t for t in catalog.tracks() if t.title in {"new", "newer", "bad reply"}]
    assert len(fallen) == 3
    for track in fallen:
        assert track.provenance.listener == "mir (fallback: picky unavailable)"
        assert any("is down" in n for n in track.provenance.notes)
    assert catalog.skipped() == []


def test_dead_audio_llm_server_falls_back_to_the_offline_listener(tmp_path):
    """The real OpenAI-compatible listener against a closed port on 127.0.0.1."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_track(tmp_path / "audio" / "one.wav", seed=1)
    write_track(tmp_path / "audio" / "two.wav", seed=2)
    settings = load_settings(
        catalog=tmp_path / "catalog",
        workers=1,
        listener="openai",
        listener_url=f"http://127.0.0.1:{port}/v1",
    )
    report = ingest([tmp_path / "audio"], settings, progress=False, in_process=True)
    assert report.added == 2 and not report.skipped
    assert f"127.0.0.1:{port}" in (report.listener_fallback or "")
    for track in _open(tmp_path / "catalog").tracks():
        assert track.provenance.listener == "mir (fallback: openai unavailable)"
        assert track.caption and track.summary.description
