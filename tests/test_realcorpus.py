"""The real-music corpus tooling, without downloading: sniffing, header labels, segments.

The corpus itself is built by ``make real-corpus`` (apt downloads) and measured by
``bench/real.py``; these tests pin the pieces that turn files into labels, on files
written here byte by byte as the format documents describe them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from linernotes.tools.errors import ConfigError
from linernotes.tools.realcorpus.build import Entry, _is_music, read_manifest, write_manifest
from linernotes.tools.realcorpus.labels import midi_labels, module_labels, sniff_kind
from linernotes.tools.realcorpus.packages import DEVELOPMENT, HELD_OUT, split_of
from linernotes.tools.realcorpus.segments import (
    FIT_CENTRES,
    MIN_TRACK_S,
    SEGMENT_S,
    segment_starts,
)


def _xm(speed: int, bpm: int) -> bytes:
    head = bytearray(b"Extended Module: " + b"Song title".ljust(20, b"\0") + b"\x1a")
    head += b"FastTracker v2.00   " + struct.pack("<H", 0x0104)
    head += struct.pack("<IHHHHHHHH", 276, 1, 0, 4, 1, 1, 1, speed, bpm)
    return bytes(head.ljust(400, b"\0"))


def _s3m(speed: int, tempo: int) -> bytes:
    head = bytearray(b"S3M title".ljust(28, b"\0") + b"\x1a\x10" + bytes(14))
    head[44:48] = b"SCRM"
    head = head.ljust(96, b"\0")
    head[49], head[50] = speed, tempo
    return bytes(head)


def _it(speed: int, tempo: int, rows_per_beat: int) -> bytes:
    head = bytearray(b"IMPM" + b"IT title".ljust(26, b"\0") + bytes(2) + bytes(160))
    head[30] = rows_per_beat
    head[50], head[51] = speed, tempo
    return bytes(head)


def _mod(speed: int, tempo: int) -> bytes:
    data = bytearray(b"MOD title".ljust(20, b"\0") + bytes(31 * 30) + bytes([1, 127]))
    data += bytes(128)  # order list: pattern 0 first
    data += b"M.K."
    row = bytearray(16)
    row[2], row[3] = 0x0F, speed  # channel 1: Fxx speed
    row[6], row[7] = 0x0F, tempo  # channel 2: Fxx tempo
    data += row + bytes(64 * 16 - 16)
    return bytes(data)


@pytest.mark.parametrize(
    ("kind", "data", "bpm"),
    [
        ("xm", _xm(6, 125), 125.0),
        ("xm", _xm(3, 87), 174.0),  # speed 3 doubles the rows per second: drum and bass
        ("s3m", _s3m(4, 120), 180.0),
        ("it", _it(6, 140, 8), 70.0),  # eight rows to a beat halves the four-row reading
        ("mod", _mod(5, 150), 180.0),
    ],
)
def test_module_headers_give_their_stated_tempo(tmp_path: Path, kind: str, data: bytes, bpm: float):
    path = tmp_path / f"song.{kind}"
    path.write_bytes(data)
    assert sniff_kind(data[:1084]) == kind
    labels = module_labels(path, kind)
    assert labels.tempo_bpm == pytest.approx(bpm)
    assert labels.title.endswith("title") and labels.key is None


def test_midi_tempo_and_key_signature_are_labels(tmp_path: Path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=96.0)
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_number=12 + 9, time=0.0))
    inst = pretty_midi.Instrument(program=0)
    inst.notes.append(pretty_midi.Note(velocity=90, pitch=57, start=0.0, end=1.0))
    pm.instruments.append(inst)
    path = tmp_path / "tune.mid"
    pm.write(str(path))
    assert sniff_kind(path.read_bytes()[:1084]) == "midi"
    labels = midi_labels(path)
    assert (labels.tempo_bpm, labels.key, labels.mode) == (96.0, "A", "minor")
    assert labels.voice == "instrumental"  # a piano: no voice can sound
    choir = pretty_midi.Instrument(program=52)  # Choir Aahs
    choir.notes.append(pretty_midi.Note(velocity=90, pitch=60, start=0.0, end=1.0))
    pm.instruments.append(choir)
    pm.write(str(path))
    assert midi_labels(path).voice == ""  # a voice may sound: no label either way


def test_sniffing_reads_content_not_names():
    assert sniff_kind(b"OggS" + bytes(100)) == "ogg"
    assert sniff_kind(b"RIFF\0\0\0\0WAVEfmt " + bytes(100)) == "wav"
    assert sniff_kind(b"fLaC" + bytes(100)) == "flac"
    assert sniff_kind(b"wvpk" + bytes(100)) == "wavpack"
    assert sniff_kind(b"\x89PNG\r\n" + bytes(2000)) is None


def test_sound_effects_and_ambience_are_not_music():
    assert _is_music("usr/share/game/music/theme.ogg", "ogg", 95.0)
    assert _is_music("usr/share/game/music/jingle.ogg", "ogg", 35.0)  # in a music folder
    assert not _is_music("usr/share/game/sounds/explosion.ogg", "ogg", 35.0)
    assert not _is_music("usr/share/game/sounds/DesertAmbient.ogg", "ogg", 120.0)
    assert not _is_music("usr/share/game/music/sting.ogg", "ogg", 8.0)
    assert _is_music("usr/share/game/data/level1.xm", "xm", 40.0)


def test_segments_do_not_overlap_and_fit_in_the_track():
    for duration in (MIN_TRACK_S, 95.0, 180.0, 600.0):
        a, b = segment_starts(duration)
        assert a >= 2.0 and b >= a + SEGMENT_S and b + SEGMENT_S <= duration
        for centre in FIT_CENTRES:  # the fit's extra pairs: inside the track, or none
            pair = segment_starts(duration, centre)
            if pair is not None:
                a, b = pair
                assert a >= 0 and b >= a + SEGMENT_S and b + SEGMENT_S <= duration
                assert abs((a + b + SEGMENT_S) / 2 - duration * centre) < 1e-9
    assert segment_starts(MIN_TRACK_S, FIT_CENTRES[0]) is None  # 8.75 s in: no room before
    assert len([c for c in FIT_CENTRES if segment_starts(600.0, c)]) == len(FIT_CENTRES)


def test_packages_split_is_disjoint_and_refuses_strangers():
    assert not set(DEVELOPMENT) & set(HELD_OUT)
    assert split_of(HELD_OUT[0]) == "heldout" and split_of(DEVELOPMENT[0]) == "dev"
    with pytest.raises(ValueError, match="not-a-package"):
        split_of("not-a-package")


def test_manifest_round_trips_and_a_missing_corpus_says_how_to_build_it(tmp_path: Path):
    row = Entry("audio/p/x.ogg", "triplea", "dev", "usr/x.mid", "midi", "X", "", "", "",
                "", 61.5, 120.0, "C", "major", "instrumental", "ab" * 32)  # fmt: skip
    write_manifest(tmp_path / "manifest.csv", [row])
    (back,) = read_manifest(tmp_path)
    assert back["tempo_bpm"] == "120.0" and back["key"] == "C" and back["split"] == "dev"
    assert back["voice"] == "instrumental"
    with pytest.raises(ConfigError, match="make real-corpus"):
        read_manifest(tmp_path / "nowhere")
    assert np.isfinite(float(back["duration_s"]))
