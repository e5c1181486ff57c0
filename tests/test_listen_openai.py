"""The OpenAI-compatible audio listener against a scripted server on 127.0.0.1.

Checks the wire format vLLM documents for audio content parts, what each preset sends,
the concurrency bound, retries, limits and a dead server.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from factories import measurements
from fake_openai_server import FakeOpenAIServer, Reply, dead_url

from linernotes.tools.errors import BackendUnavailable, InvalidAudioError
from linernotes.tools.listen import make_listener
from linernotes.tools.listen.openai_audio import OpenAIAudioListener
from linernotes.tools.listen.presets import PRESETS, resolve_preset
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.schemas import Tags
from linernotes.tools.settings import load_settings

pytestmark = pytest.mark.server

M = measurements(
    duration_s=75,
    tempo_bpm=172,
    key="E",
    key_confidence=0.6,
    loudness_db=-8,
    energy=0.92,
    brightness_hz=3300,
    percussiveness=0.7,
    dynamics_db=6,
    onset_rate=7,
    voice_probability=0.9,
)
SUMMARY = json.dumps(
    {
        "description": "Fast loud punk.",
        "energy_level": "very_high",
        "tempo": "very_fast",
        "vocals": "male vocals",
        "genre": "punk rock",
    }
)


def write_track(path: Path, seconds: float, sr: int = 44100, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)
    sf.write(path, np.stack([y, y], axis=1).astype(np.float32), sr, subtype="PCM_16")
    return path


def responder(body: dict) -> str:
    """Extraction requests (they ask for JSON) get a summary; audio requests a caption."""
    if "response_format" in body:
        return SUMMARY
    return "A fast, aggressive punk track with shouted male vocals and pounding drums."


def listener(url: str, preset: str = "qwen2-audio", extractor: bool = True, **kw):
    p = PRESETS[preset]
    chat = OpenAIChat(url, p.model, max_retries=2, timeout_s=10)
    ext = OpenAIChat(url, "Qwen/Qwen3-8B", max_retries=2) if extractor else None
    return OpenAIAudioListener(chat, p, extractor=ext, **kw)


def audio_parts(body: dict) -> list[dict]:
    return [c for c in body["messages"][0]["content"] if c["type"] in ("input_audio", "audio_url")]


def decode(part: dict) -> tuple[np.ndarray, int]:
    if part["type"] == "input_audio":
        assert part["input_audio"]["format"] == "wav"
        raw = base64.b64decode(part["input_audio"]["data"])
    else:
        url = part["audio_url"]["url"]
        assert url.startswith("data:audio/wav;base64,")
        raw = base64.b64decode(url.split(",", 1)[1])
    y, sr = sf.read(io.BytesIO(raw))
    return y, sr


@pytest.fixture(scope="module")
def long_track(tmp_path_factory) -> Path:
    return write_track(tmp_path_factory.mktemp("a") / "long.wav", 130.0, sr=22050)


def test_qwen2_audio_sends_three_16k_excerpts_of_at_most_30s(long_track):
    with FakeOpenAIServer(default=responder) as srv:
        r = listener(srv.url).listen(long_track, M, Tags())
    audio_reqs = [b for b in srv.requests if "response_format" not in b]
    assert len(audio_reqs) == 3
    for body in audio_reqs:
        assert body["model"] == "Qwen/Qwen2-Audio-7B-Instruct"
        parts = audio_parts(body)
        assert len(parts) == 1  # one excerpt of one track per request: nothing glued
        y, sr = decode(parts[0])
        assert sr == 16000 and y.ndim == 1 and len(y) / sr <= 30.0
        text = [c for c in body["messages"][0]["content"] if c["type"] == "text"]
        assert len(text) == 1 and "excerpt" in text[0]["text"]
    assert r.caption.count("Excerpt ") == 3 and r.listener == "openai"
    assert r.model == "Qwen/Qwen2-Audio-7B-Instruct"
    assert r.prompt_version == "qwen2-audio-v1+extract-llm"
    assert (r.summary.genre, r.summary.tempo_bpm) == ("punk rock", 172)
    assert r.consistency == 1.0 and r.contradictions == []


def test_captioner_sends_audio_only(long_track):
    with FakeOpenAIServer(default=responder) as srv:
        r = listener(srv.url, "qwen3-omni-captioner").listen(long_track, M, Tags())
    audio_reqs = [b for b in srv.requests if "response_format" not in b]
    assert audio_reqs and all(len(b["messages"]) == 1 for b in audio_reqs)
    for body in audio_reqs:
        assert body["model"] == "Qwen/Qwen3-Omni-30B-A3B-Captioner"
        assert [c["type"] for c in body["messages"][0]["content"]] == ["input_audio"]
    assert r.prompt_version.startswith("qwen3-omni-captioner-noprompt")


def test_audio_url_option_and_rules_extraction_is_recorded(tmp_path):
    track = write_track(tmp_path / "short.flac", 12.0, sr=48000)
    with FakeOpenAIServer(default="A slow synth pop ballad with soft female vocals.") as srv:
        r = listener(srv.url, extractor=False, audio="audio_url").listen(track, M, Tags())
    assert len(srv.requests) == 1
    y, sr = decode(audio_parts(srv.requests[0])[0])
    assert sr == 16000 and abs(len(y) / sr - 12.0) < 0.01
    assert r.prompt_version.endswith("+extract-rules")
    assert r.notes[0].startswith("extraction fell back to rules")
    assert any("'slow'" in c for c in r.contradictions) and r.consistency < 1.0


def test_concurrency_bound_holds_under_50_tracks(tmp_path):
    tracks = [write_track(tmp_path / f"t{i}.wav", 3.0, sr=16000, seed=i) for i in range(50)]
    with FakeOpenAIServer(default=responder, delay_s=0.03) as srv:
        lst = listener(srv.url, concurrency=4)
        results = lst.listen_many([(t, M, Tags()) for t in tracks])
    assert len(results) == 50 and all(r.summary.genre == "punk rock" for r in results)
    assert srv.count == 100  # one caption + one extraction per track
    assert 2 <= srv.max_in_flight <= 4


def test_503_then_200_is_retried(tmp_path):
    track = write_track(tmp_path / "x.wav", 5.0)
    with FakeOpenAIServer(script=[Reply(503, "loading")], default=responder) as srv:
        r = listener(srv.url).listen(track, M, Tags())
    assert srv.count == 3 and r.summary.genre == "punk rock"


def test_dead_server_is_backend_unavailable_naming_the_url(tmp_path):
    track = write_track(tmp_path / "x.wav", 5.0)
    url = dead_url()
    with pytest.raises(BackendUnavailable, match=url.replace(".", r"\.")):
        listener(url).listen(track, M, Tags())


def test_limits_checked_before_sending(tmp_path, monkeypatch):
    track = write_track(tmp_path / "x.wav", 5.0)
    monkeypatch.setattr("linernotes.tools.listen.openai_audio.MAX_CLIP_BYTES", 1000)
    with FakeOpenAIServer(default=responder) as srv:
        with pytest.raises(InvalidAudioError, match="MB clip exceeds"):
            listener(srv.url).listen(track, M, Tags())
        assert srv.count == 0


def test_bad_file_is_returned_in_place_not_raised(tmp_path):
    good = write_track(tmp_path / "good.wav", 3.0)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    with FakeOpenAIServer(default=responder) as srv:
        out = listener(srv.url).listen_many([(good, M, Tags()), (bad, M, Tags())])
    assert out[0].summary.genre == "punk rock"
    assert isinstance(out[1], InvalidAudioError) and "cannot decode" in str(out[1])


def test_factory_and_presets():
    s = load_settings(
        listener="openai",
        listener_model="qwen3-omni-captioner",
        listener_url="http://127.0.0.1:9000/v1",
        reasoner="openai",
    )
    lst = make_listener(s)
    assert isinstance(lst, OpenAIAudioListener)
    assert lst.model == "Qwen/Qwen3-Omni-30B-A3B-Captioner" and lst.preset.prompt is None
    assert lst.chat.url == "http://127.0.0.1:9000/v1/chat/completions"
    assert lst.extractor is not None and lst.extractor.model == s.reasoner_model
    assert resolve_preset("Qwen/Qwen2-Audio-7B-Instruct").name == "qwen2-audio"
    other = resolve_preset("my/audio-model")
    assert (other.name, other.model, other.sample_rate) == ("generic", "my/audio-model", 16000)
