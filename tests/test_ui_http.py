"""The web UI over HTTP is not a file server (issue case 1).

A real app is launched on 127.0.0.1 over a catalog ingested from a music folder that
also holds private files; every probe of the issue is made with plain HTTP requests (and
the chat through gradio's own client): only a catalog track's audio is served, by id;
unknown Host headers are refused; a login, when set, guards the audio too; refused
uploads are deleted at once, the rest when the server stops; a path typed in the chat is
never opened.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.ingest.pipeline import ingest
from linernotes.tools.settings import load_settings
from linernotes.ui.app_server import allowed_hosts, parse_auth, warn_if_exposed
from tests.test_ingest import write_track


@dataclass
class Served:
    url: str
    port: int
    music: Path
    catalog: Path
    track_id: str
    track_path: Path
    uploads: Path
    app: object


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _library(root: Path) -> tuple[Path, Path]:
    music = root / "music"
    write_track(music / "Blue Hour.wav", seed=31, title="Blue Hour")
    write_track(music / "Night Drive.wav", seed=32, title="Night Drive")
    (music / ".ssh").mkdir()
    (music / ".ssh" / "id_rsa").write_text("-----BEGIN PRIVATE KEY-----\n")
    (music / "secret.txt").write_text("bank pin 1234\n")
    catalog = root / "catalog"
    ingest([music], load_settings(catalog=catalog, workers=1), progress=False)
    (catalog / "traces").mkdir(exist_ok=True)
    (catalog / "traces" / "other-thread.jsonl").write_text('{"text": "private chat"}\n')
    return music, catalog


def _launch(root: Path, **kwargs) -> Iterator[Served]:
    from linernotes.ui.app import launch

    music, catalog = _library(root)
    uploads = root / "gradio-uploads"
    old = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(uploads)
    settings = load_settings(catalog=catalog, workers=1)
    track = next(t for t in open_catalog(settings, create=False).tracks() if t.title == "Blue Hour")
    port = _free_port()
    app = launch(settings, server_port=port, prevent_thread_lock=True, quiet=True, **kwargs)
    try:
        yield Served(
            f"http://127.0.0.1:{port}", port, music, catalog, track.id, Path(track.path),
            uploads, app,
        )  # fmt: skip
    finally:
        app.close()  # type: ignore[attr-defined]
        if old is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = old


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _launch(tmp_path_factory.mktemp("ui-http"))


def test_no_file_but_a_tracks_audio_is_served(served):
    private = [
        served.music / ".ssh" / "id_rsa",
        served.music / "secret.txt",
        served.track_path,  # even a catalog track is not served by its path
        served.catalog / "records.sqlite",
        served.catalog / "threads.sqlite",
        served.catalog / "chroma" / "chroma.sqlite3",
        served.catalog / "traces" / "other-thread.jsonl",
        Path("/etc/passwd"),
    ]
    with httpx.Client(base_url=served.url, timeout=30) as http:
        for path in private:
            for url in (f"/gradio_api/file={path}", f"/gradio_api/file={quote(str(path))}"):
                reply = http.get(url)
                assert reply.status_code in (400, 403, 404), (url, reply.status_code)
        audio = http.get(f"/audio/{served.track_id}")
        assert audio.status_code == 200
        assert audio.content == served.track_path.read_bytes()
        assert audio.headers["content-type"].startswith("audio/")
        for bad in ("0123456789abcdef", "..%2F..%2Fetc%2Fpasswd", quote(str(served.track_path))):
            assert http.get(f"/audio/{bad}").status_code == 404, bad


def test_unknown_host_headers_are_refused(served):
    with httpx.Client(base_url=served.url, timeout=30) as http:
        assert http.get("/", headers={"Host": "evil.example"}).status_code == 400
        assert (
            http.get("/audio/" + served.track_id, headers={"Host": "evil.example"}).status_code
            == 400
        )
        assert http.get("/", headers={"Host": f"localhost:{served.port}"}).status_code == 200


def test_a_path_typed_in_the_chat_is_never_opened(served, tmp_path):
    from gradio_client import Client

    from linernotes.ui.markup import plain  # the chat shows the path as typed, escaped

    outside = write_track(tmp_path / "private" / "diary.wav", seed=33)  # real audio
    client = Client(served.url, verbose=False)
    replies = []
    for path in (outside, tmp_path / "private" / "missing.wav"):
        history = client.predict(
            {"text": f"more like {path}", "files": []}, [], api_name="/on_submit"
        )[0]
        content = history[-1]["content"]
        text = content[0]["text"] if isinstance(content, list) else str(content)
        replies.append(text.replace(plain(str(path)), "PATH"))
    assert replies[0] == replies[1]  # the reply does not tell whether the file exists
    assert "no track matches" in replies[0]


def test_a_refused_upload_is_deleted_at_once(served, tmp_path):
    from gradio_client import Client, handle_file

    junk = tmp_path / "not_audio.wav"
    junk.write_bytes(os.urandom(50_000))
    client = Client(served.url, verbose=False)
    message = {"text": "more like this", "files": [handle_file(str(junk))]}
    history = client.predict(message, [], api_name="/on_submit")[0]
    assert "can't use" in str(history[-1]["content"])
    left = [p for p in served.uploads.rglob("not_audio.wav")]
    assert left == []


def test_login_guards_the_ui_and_the_audio(tmp_path_factory):
    launched = _launch(tmp_path_factory.mktemp("ui-auth"), auth="curator:s3cret pass")
    served = next(launched)
    try:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            assert http.get(f"/audio/{served.track_id}").status_code == 401
            assert http.get("/gradio_api/login_check").status_code == 401
            bad = http.post("/login", data={"username": "curator", "password": "wrong"})
            assert bad.status_code == 400
            good = http.post("/login", data={"username": "curator", "password": "s3cret pass"})
            assert good.status_code == 200
            assert http.get("/gradio_api/login_check").status_code == 200
            assert http.get(f"/audio/{served.track_id}").content == served.track_path.read_bytes()
    finally:
        launched.close()


def test_uploads_are_deleted_when_the_server_stops(tmp_path_factory):
    launched = _launch(tmp_path_factory.mktemp("ui-stop"))
    served = next(launched)
    song = write_track(tmp_path_factory.mktemp("up") / "mine.wav", seed=34)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        sent = http.post("/gradio_api/upload", files={"files": ("mine.wav", song.read_bytes())})
        [stored] = sent.json()
    assert Path(stored).is_file() and served.uploads in Path(stored).parents
    launched.close()  # app.close(): gradio's shutdown deletes this app's files
    assert not Path(stored).exists()


def test_exposed_without_login_warns_and_hosts_are_narrow(capsys):
    assert warn_if_exposed("127.0.0.1", None) is None
    assert warn_if_exposed("0.0.0.0", ("u", "p")) is None
    text = warn_if_exposed("0.0.0.0", None)
    assert text and "--auth" in text and text in capsys.readouterr().err
    hosts = allowed_hosts("127.0.0.1", ["music.example.org", ""])
    assert set(hosts) == {"localhost", "127.0.0.1", "::1", "[::1]", "music.example.org"}
    assert parse_auth("a:b:c") == ("a", "b:c") and parse_auth(None) is None
    with pytest.raises(Exception, match="USER:PASSWORD"):
        parse_auth("nocolon")


def test_a_finished_session_deletes_its_uploads_and_nothing_else(tmp_path, monkeypatch):
    from linernotes.ui.app_chat import CuratorSession, forget_session

    uploads = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    sent = uploads / "a1b2c3" / "take.wav"
    sent.parent.mkdir(parents=True)
    sent.write_bytes(b"RIFF")
    mine = write_track(tmp_path / "music" / "mine.wav", seed=35)  # not an upload
    forget_session(CuratorSession(thread="t", uploads=(str(sent), str(mine))))
    assert not sent.exists() and not sent.parent.exists()
    assert mine.exists()  # a path outside gradio's uploads is never deleted
