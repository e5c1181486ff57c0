"""The listening pairwise judge against the local recording server (tests/fake_openai_server.py).

The scripted Audio LLM decodes the WAV clips it is sent and recognises each track by its
clip length (each test track has a distinct one), so its answers depend on what it hears,
not on where a clip sits: a judge that mislabelled or swapped clips, or mapped the
swapped order back wrongly, would get the wrong winner. A second, position-biased server
checks that an order disagreement becomes a low-confidence tie.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from fake_openai_server import FakeOpenAIServer, Reply, dead_url
from test_judge_rules import ANCHOR, LOUD_TWIN, STUDY_TWIN

from linernotes.tools.catalog.catalog import Catalog
from linernotes.tools.errors import ConfigError
from linernotes.tools.judge.audio_pairwise import AudioPairwiseJudge
from linernotes.tools.judge.base import make_judge
from linernotes.tools.judge.rules import RulesJudge
from linernotes.tools.judge.schemas import PairVerdict
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.settings import load_settings
from linernotes.ui.cli import main

SECONDS = {"anchor": 40.0, "twin": 8.0, "loud": 14.0}  # the anchor is cut to a 20 s clip
HEARD_AS = {20.0: "anchor", 8.0: "twin", 14.0: "loud"}  # clip length -> which track
LIKENESS = {"twin": 0.9, "loud": 0.35}  # what the scripted model "hears" in each candidate
MODEL = "Qwen/Qwen2-Audio-7B-Instruct"


def _write(path: Path, seconds: float, freq: float) -> Path:
    t = np.arange(int(44100 * seconds)) / 44100
    y = 0.3 * np.sin(2 * np.pi * freq * t)
    sf.write(path, np.stack([y, y], axis=1).astype(np.float32), 44100)
    return path


@pytest.fixture
def tracks(tmp_path: Path) -> dict[str, Any]:
    out = {}
    for track, freq in ((ANCHOR, 220.0), (STUDY_TWIN, 330.0), (LOUD_TWIN, 440.0)):
        path = _write(tmp_path / f"{track.id}.wav", SECONDS[track.id], freq)
        out[track.id] = track.model_copy(update={"path": str(path)})
    return out


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    (message,) = body["messages"]
    assert message["role"] == "user"
    return message["content"]


def _clips(body: dict[str, Any]) -> list[tuple[str, str, sf._SoundFileInfo]]:
    """(label, track heard, WAV info) for each audio part, with the text just before it."""
    parts, out = _parts(body), []
    for i, part in enumerate(parts):
        if part["type"] == "input_audio":
            assert part["input_audio"]["format"] == "wav" and parts[i - 1]["type"] == "text"
            info = sf.info(io.BytesIO(base64.b64decode(part["input_audio"]["data"])))
            out.append((parts[i - 1]["text"], HEARD_AS[round(info.duration, 1)], info))
    return out


def listener(bias: bool = False):
    """A scripted Audio LLM: scores what it hears (or, with ``bias``, where it hears it)."""

    def reply(body: dict[str, Any]) -> str:
        clips = _clips(body)
        heard = [{"clip": label.rstrip(":").split(" - ")[0], "description": f"{who} sounds"}
                 for label, who, _ in clips]  # fmt: skip
        if clips[0][1] != "anchor" and clips[1][1] != "anchor":  # no anchor: A against B
            a, b = clips[0][1], clips[1][1]
            winner = "A" if bias or LIKENESS[a] > LIKENESS[b] else "B"
            return json.dumps({"heard": heard, "comparison": "c", "winner": winner,
                               "reasons": [f"{a} vs {b}"], "confidence": 0.8})  # fmt: skip
        cand = next(who for _, who, _ in clips if who != "anchor")
        score = LIKENESS[cand]
        if bias and clips[0][1] == cand:  # a model that flips its view when order flips
            score = 1.0 - score
        dims = {"genre_family": score, "timbre": score / 2, "tempo": 0.5, "bogus": 9.0}
        return json.dumps({"heard": heard, "dimensions": dims, "context_fit": score,
                           "score": score, "confidence": 0.7,
                           "reasons": [f"{cand} heard"]})  # fmt: skip

    return reply


def _judge(url: str, **kw: Any) -> AudioPairwiseJudge:
    return AudioPairwiseJudge(OpenAIChat(url, MODEL), RulesJudge(), **kw)


def test_anchor_and_candidate_heard_in_one_request_both_orders(tracks) -> None:
    a, b = tracks["loud"], tracks["twin"]
    with FakeOpenAIServer(default=listener()) as server:
        verdict = _judge(server.url).pairwise(tracks["anchor"], a, b, get_context("studying"))
    assert isinstance(verdict, PairVerdict) and verdict.backend == f"audio-llm:{MODEL}"
    assert (verdict.winner, verdict.consistent, verdict.orders) == ("B", True, ["B", "B"])
    assert (verdict.a_id, verdict.b_id, verdict.anchor_id) == ("loud", "twin", "anchor")
    assert verdict.context == "studying" and verdict.confidence == pytest.approx(0.7)
    assert (verdict.score_a, verdict.score_b) == (0.35, 0.9)
    assert verdict.dimensions_b == {"genre_family": 0.9, "timbre": 0.45, "tempo": 0.5}
    assert "B: twin heard" in verdict.reasons and "A: loud heard" in verdict.reasons

    assert len(server.requests) == 4  # 2 candidates x 2 orders, 2 clips each
    seen = set()
    for body in server.requests:
        assert body["model"] == MODEL
        assert body["response_format"]["json_schema"]["name"] == "HeardMatchReply"
        clips = _clips(body)
        assert len(clips) == 2 and sum(p["type"] == "input_audio" for p in _parts(body)) == 2
        for (label, who, info), n in zip(clips, (1, 2), strict=True):
            assert info.samplerate == 16000 and info.channels == 1
            assert info.duration <= 20.0 + 1e-6 and info.subtype == "PCM_16"
            role = "the anchor" if who == "anchor" else "the candidate"
            assert label.startswith(f"Clip {n} - {role}")
        prompt = _parts(body)[-1]["text"]
        anchor_clip = next(n for (_, who, _), n in zip(clips, (1, 2), strict=True)
                           if who == "anchor")  # fmt: skip
        assert f"Clip {anchor_clip} is the anchor" in " ".join(prompt.split())
        assert "studying" in prompt.lower()
        seen.add((clips[0][1], clips[1][1]))
    assert seen == {("anchor", "loud"), ("loud", "anchor"), ("anchor", "twin"), ("twin", "anchor")}


def test_order_disagreement_becomes_a_low_confidence_tie(tracks) -> None:
    with FakeOpenAIServer(default=listener(bias=True)) as server:
        judge = _judge(server.url)
        with_anchor = judge.pairwise(tracks["anchor"], tracks["loud"], tracks["twin"])
        without = judge.pairwise(None, tracks["loud"], tracks["twin"])
    for verdict in (with_anchor, without):
        assert (verdict.winner, verdict.consistent, verdict.confidence) == ("tie", False, 0.2)
        assert "presentation orders disagreed" in verdict.reasons[0]
    assert with_anchor.orders == ["B", "A"]
    assert without.orders == ["A", "B"]  # 'A' both times = A first, then B after mapping back


def test_without_anchor_a_and_b_are_heard_together(tracks) -> None:
    with FakeOpenAIServer(default=listener()) as server:
        verdict = _judge(server.url).pairwise(None, tracks["twin"], tracks["loud"])
    assert (verdict.winner, verdict.orders, verdict.consistent) == ("A", ["A", "A"], True)
    assert verdict.anchor_id is None and verdict.backend == f"audio-llm:{MODEL}"
    assert len(server.requests) == 2
    orders = []
    for body in server.requests:
        clips = _clips(body)
        assert [label for label, _, _ in clips] == ["Track A:", "Track B:"]
        assert body["response_format"]["json_schema"]["name"] == "HeardPairReply"
        orders.append(tuple(who for _, who, _ in clips))
    assert sorted(orders) == [("loud", "twin"), ("twin", "loud")]


def test_retries_then_answers(tracks) -> None:
    soon = {"retry-after-ms": "10"}  # the SDK's backoff honours it
    script = [Reply(503, "busy", headers=soon), Reply(429, "slow down", headers=soon)]
    with FakeOpenAIServer(script=script, default=listener()) as server:
        verdict = _judge(server.url).pairwise(tracks["anchor"], tracks["loud"], tracks["twin"])
    assert verdict.backend == f"audio-llm:{MODEL}" and verdict.winner == "B"
    assert server.count == 6  # two refused, four answered


def test_falls_back_to_the_text_judge_visibly(tracks, tmp_path) -> None:
    anchor, a, b = tracks["anchor"], tracks["loud"], tracks["twin"]
    ctx = get_context("studying")
    text = RulesJudge().pairwise(anchor, a, b, ctx)
    judge = AudioPairwiseJudge(OpenAIChat(dead_url(), MODEL, max_retries=1), RulesJudge())
    down = judge.pairwise(anchor, a, b, ctx)
    assert down.backend == "rules (fallback: audio llm unavailable)"
    assert (down.winner, down.orders) == (text.winner, text.orders)
    assert any("unavailable after 2 tries" in r for r in down.reasons)
    with FakeOpenAIServer(default="I think B sounds nicer.") as server:
        invalid = _judge(server.url).pairwise(anchor, a, b, ctx)
    assert invalid.backend == "rules (fallback: audio llm reply invalid)"
    gone = b.model_copy(update={"path": str(tmp_path / "moved.wav")})
    with FakeOpenAIServer(default=listener()) as server:
        unreadable = _judge(server.url).pairwise(anchor, a, gone, ctx)
    assert unreadable.backend == "rules (fallback: audio unreadable)" and not server.requests


def test_registry_and_settings(monkeypatch) -> None:
    settings = load_settings(judge="pairwise-audio", listener_url="http://127.0.0.1:9/v1")
    judge = make_judge(settings)
    assert isinstance(judge, AudioPairwiseJudge) and isinstance(judge.text, RulesJudge)
    assert judge.chat.model == MODEL and judge.chat.base_url == "http://127.0.0.1:9/v1"
    verdicts = judge.pointwise(ANCHOR, [STUDY_TWIN, LOUD_TWIN], get_context("studying"))
    assert [v.backend for v in verdicts] == ["rules", "rules"]  # other modes: the text judge
    with pytest.raises(ConfigError, match="takes audio only"):
        make_judge(settings.model_copy(update={"listener_model": "qwen3-omni-captioner"}))
    with pytest.raises(ConfigError, match="clip_s must be in"):
        AudioPairwiseJudge(judge.chat, RulesJudge(), clip_s=45.0)


# --- linernotes judge --mode pairwise-audio ----------------------------------------------


@pytest.fixture
def catalog(tracks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    cat = Catalog.open(load_settings(catalog=tmp_path / "cat"), "acoustic-v1", "minilm-l6-v2")
    vecs = np.eye(3, 8, dtype=np.float32)
    cat.upsert(list(tracks.values()), vecs, vecs.copy())
    monkeypatch.setattr("linernotes.tools.catalog.catalog.open_catalog", lambda s, create=True: cat)
    return cat


def test_cli_pairwise_audio_json(catalog, capsys) -> None:
    argv = ["judge", "--mode", "pairwise-audio", "--anchor", "anchor", "--candidates",
            "loud,twin", "--json"]  # fmt: skip
    with FakeOpenAIServer(default=listener()) as server:
        assert main([*argv, "--listener-url", server.url]) == 0
    printed = PairVerdict.model_validate_json(capsys.readouterr().out)
    assert printed.backend == f"audio-llm:{MODEL}" and printed.winner == "B"
    assert len(server.requests) == 4
    stored = catalog.records.pair_verdicts(anchor_id="anchor")
    assert stored[-1]["backend"] == printed.backend and stored[-1]["dimensions_b"]

    with FakeOpenAIServer(default=listener()) as server:  # the judge setting, mode pairwise
        assert main(["judge", "--judge", "pairwise-audio", "--mode", "pairwise", "--anchor",
                     "anchor", "--candidates", "loud,twin", "--json", "--no-store",
                     "--listener-url", server.url]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["backend"] == f"audio-llm:{MODEL}"
    assert len(server.requests) == 4

    assert main([*argv, "--listener-url", dead_url()]) == 0
    down = PairVerdict.model_validate_json(capsys.readouterr().out)
    assert down.backend == "rules (fallback: audio llm unavailable)"
    assert main(["judge", "--mode", "pairwise-audio", "--anchor", "anchor"]) == 2
    assert "pairwise judges exactly 2 candidates" in capsys.readouterr().err
