"""Playlist edits by id, exports a player can open, and the offline reading of edits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.agent.state import combine, edit_playlist, latest_turn
from linernotes.tools.errors import ConfigError, TrackNotFoundError
from linernotes.tools.playlist import (
    XSPF_NS,
    PlaylistEdit,
    apply_edits,
    export_playlist,
    ids_at,
    read_m3u,
)
from linernotes.tools.reason.rules_edits import read_edit, references
from linernotes.tools.schemas import PlaylistItem


def _items(n: int, folder: Path | None = None) -> list[PlaylistItem]:
    out = []
    for i in range(1, n + 1):
        path = folder / f"t{i}.wav" if folder else Path(f"/nowhere/t{i}.wav")
        if folder:
            sf.write(path, np.sin(np.linspace(0, 200 * i, 8000)).astype(np.float32) * 0.3, 8000)
        out.append(PlaylistItem(track_id=f"id{i}", path=str(path), title=f"Track {i}"))
    return out


def _ids(items: list[PlaylistItem]) -> list[str]:
    return [it.track_id for it in items]


def test_positions_name_tracks_and_bad_ones_say_what_exists() -> None:
    items = _items(4)
    assert ids_at(items, [1, -1]) == ["id1", "id4"]
    with pytest.raises(TrackNotFoundError, match="there is no #99: the playlist has 4 tracks"):
        ids_at(items, [99])
    with pytest.raises(TrackNotFoundError, match="there is no #1 yet: this conversation has no"):
        ids_at([], [1])
    with pytest.raises(TrackNotFoundError, match="there is no last one yet"):
        ids_at([], [-1])  # "like the last one" in a new conversation: never "#-1"


def test_edits_compose_by_id_whatever_their_order() -> None:
    items = _items(5)
    new = PlaylistItem(track_id="new", path="/n.wav", title="New")
    edits = [
        PlaylistEdit(op="remove", track_ids=ids_at(items, [2])),
        PlaylistEdit(op="remove", track_ids=ids_at(items, [4])),  # from the same snapshot
        PlaylistEdit(op="replace", items=[new], track_ids=["id3"]),
    ]
    assert _ids(apply_edits(items, edits)) == ["id1", "new", "id5"]
    assert _ids(apply_edits(items, edits[::-1])) == ["id1", "new", "id5"]
    add = PlaylistEdit(op="add", items=[new, items[0]], before="id2")  # id1 is already there
    assert _ids(apply_edits(items, [add])) == ["id1", "new", "id2", "id3", "id4", "id5"]
    assert _ids(apply_edits(items, [PlaylistEdit(op="set", items=items[:2] * 2)])) == ["id1", "id2"]
    stale = PlaylistEdit(op="replace", items=[new], track_ids=["gone"])
    assert apply_edits(items, [stale]) == items


def test_state_reducers() -> None:
    assert latest_turn({1: ["a"]}, {2: ["b"]}) == {2: ["b"]}
    assert latest_turn({2: ["a"]}, {2: ["b"]}) == {2: ["a", "b"]}
    assert latest_turn(["old checkpoint"], {3: ["c"]}) == {3: ["c"]}
    assert _ids(edit_playlist(_items(2), [PlaylistEdit(op="remove", track_ids=["id1"])])) == ["id2"]
    merged = combine(
        {"playlist": ["e1"], "notes": {"a": 1}}, {"playlist": ["e2"], "notes": {"b": 2}}
    )
    assert merged == {"playlist": ["e1", "e2"], "notes": {"a": 1, "b": 2}}


def test_m3u_lists_absolute_paths_that_decode(tmp_path) -> None:
    items = _items(3, tmp_path)
    items.append(PlaylistItem(track_id="gone", path=str(tmp_path / "gone.wav"), title="Gone"))
    done = export_playlist(items, tmp_path / "out" / "list.m3u")
    assert done.format == "m3u" and done.written == 3 and done.missing == ["Gone"]
    text = (tmp_path / "out" / "list.m3u").read_text()
    assert text.splitlines()[:2] == ["#EXTM3U", "#EXTINF:-1,Track 1"]
    entries = read_m3u(done.path)
    assert entries == [str((tmp_path / f"t{i}.wav").resolve()) for i in (1, 2, 3)]
    for entry in entries:
        assert Path(entry).is_absolute() and sf.read(entry)[0].size > 0


def test_xspf_and_json(tmp_path) -> None:
    items = _items(2, tmp_path)
    done = export_playlist(items, tmp_path / "list.xspf")
    root = ET.parse(done.path).getroot()
    locations = [e.text for e in root.iter(f"{{{XSPF_NS}}}location")]
    assert locations == [
        (tmp_path / "t1.wav").resolve().as_uri(),
        (tmp_path / "t2.wav").resolve().as_uri(),
    ]
    done = export_playlist(items, tmp_path / "list.data", "json")
    data = json.loads(done.path.read_text())
    assert [t["track_id"] for t in data["tracks"]] == ["id1", "id2"]


def test_export_refuses_unknown_formats_and_empty_playlists(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot export as 'pls'"):
        export_playlist(_items(1), tmp_path / "x.pls")
    with pytest.raises(ConfigError, match="the playlist is empty"):
        export_playlist([], tmp_path / "x.m3u")


@pytest.mark.parametrize(
    ("text", "op", "refs", "extra"),
    [
        ("swap #3 for something calmer", "swap", ["#3"], {}),
        ("replace that last one", "swap", ["#-1"], {}),
        ("swap it for something faster", "swap", ["it"], {}),
        ("drop the one with strings", "remove", ["with:strings"], {}),
        ("remove #2 and #5", "remove", ["#2", "#5"], {}),
        ("make it 10", "resize", ["it"], {"size": 10}),
        ("cut the playlist down to five", "resize", [], {"size": 5}),
        ("give me two more", "more", [], {"count": 2}),
        ("another one please", "more", [], {"count": 1}),
        ("no vocals from now on", "sticky", [], {"sticky": True}),
        ("vocals are fine again", None, [], {}),  # lifts the voice wish alone (released)
        ("forget the constraints", "forget", [], {}),
        ("export the playlist as m3u", "export", [], {"fmt": "m3u"}),
        ('save it to "/tmp/a b/list.xspf"', "export", [], {"path": "/tmp/a b/list.xspf"}),
        ("show the playlist", "show", [], {}),
        ("more like Salt Canyon", None, [], {}),
        ("describe my track", None, ["upload"], {}),
        ("and the techno one?", None, ["with:techno"], {"bare": True}),
        ("is #1 sung?", None, ["#1"], {"bare": True}),
        ("more like #2?", None, ["#2"], {"bare": False}),
        ("get rid of the second and third ones", "remove", ["#2", "#3"], {}),
        ("make the playlist shorter, 6 tracks", "resize", [], {"size": 6}),
        ("I don't like #2", "swap", ["#2"], {}),
    ],
)
def test_read_edit(text, op, refs, extra) -> None:
    edit = read_edit(text)
    assert edit.op == op and edit.refs == refs
    for key, value in extra.items():
        assert getattr(edit, key) == value


def test_references_prefer_specific_over_pronouns() -> None:
    assert references("why is the second one better than it?") == ["#2"]
    assert references("is it any good?") == ["it"]
    assert references("the last one") == ["#-1"]
