"""The LLM planner with a scripted tool-calling chat model: exact trajectories per route,
errors sent back to the model, parallel edits, the step limit, and the HTTP adapter."""

from __future__ import annotations

import json
import statistics
from itertools import count

import httpx
import pytest
import tiny_catalog
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from linernotes.agent.chat_model import OpenAICompatibleChat, parse_reply
from linernotes.agent.graph import build_graph
from linernotes.agent.state import Context
from linernotes.agent.tools import TOOLS
from linernotes.tools.judge.base import make_judge
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.reason.rules import RulesReasoner

_ids = count(1)


class ScriptedChatModel(GenericFakeChatModel):
    """A fake chat model that accepts tools and replies from a script, in order."""

    def bind_tools(self, tools, **kwargs):
        return self


def call(name: str, **args) -> dict:
    return {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}


def step(*calls: dict, text: str = "") -> AIMessage:
    return AIMessage(content=text, tool_calls=list(calls))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    settings, catalog, backends, tracks = tiny_catalog.build(tmp_path_factory.mktemp("tinyllm"))
    return settings, catalog, backends, tiny_catalog.by_title(tracks)


def _context(tiny, script: list[AIMessage], **kw) -> Context:
    settings, catalog, backends, _ = tiny
    model = ScriptedChatModel(messages=iter(script))
    base = dict(
        catalog=catalog,
        backends=backends,
        reasoner=RulesReasoner(backends.text),
        judge=make_judge(settings),
        planner="llm",
        chat_model=model,
        top_k=3,
        candidates_k=4,
    )
    return Context(**{**base, **kw})


def _turn(graph, ctx: Context, text: str, thread: str = "llm"):
    ctx.tracer.steps.clear()
    config = {"configurable": {"thread_id": thread}}
    nodes = []
    for update in graph.stream(
        {"text": text, "upload": None}, config=config, context=ctx, stream_mode="updates"
    ):
        nodes.extend(update)
    state = graph.get_state(config).values
    tools = [s.name for s in ctx.tracer.steps if s.kind == "tool"]
    return nodes, state, tools


RECOMMEND = [
    step(call("search_similar", track="Techno 1")),
    step(call("judge_candidates", anchor="Techno 1", count=3)),
    step(call("start_playlist", tracks=["Techno 2", "Dub 1", "Techno 3"])),
    step(text="Here are three picks like Techno 1."),
]


def test_recommend_explain_swap_describe_trajectories(tiny) -> None:
    script = [
        *RECOMMEND,
        step(call("explain_pick", track="#2")),
        step(text="Dub 1 shares the techno timbre."),
        step(call("search_similar", track="Techno 1", constraints={"calmer": True})),
        step(call("judge_candidates", anchor="Techno 1", constraints={"calmer": True})),
        step(call("replace_in_playlist", position=3, track="Dub 2")),
        step(text="Swapped #3 for Dub 2."),
        step(call("listen_to_track", track="#1")),
        step(text="Techno 2 is a driving techno track."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    nodes, state, tools = _turn(graph, ctx, "more like Techno 1")
    assert nodes == ["intake", "plan", "tools", "plan", "tools", "plan", "tools", "plan", "finish"]
    assert tools == ["search_similar", "judge_candidates", "start_playlist"]
    finish = next(s for s in ctx.tracer.steps if s.name == "finish")
    assert finish.arguments["route"] == "recommend"
    assert [it.title for it in state["playlist"]] == ["Techno 2", "Dub 1", "Techno 3"]
    assert state["reply"] == "Here are three picks like Techno 1."
    picks = state["picks"][state["turn"]]
    assert picks[1].explanation and picks[1].dimensions  # the judge's note, not a stub

    _, state, tools = _turn(graph, ctx, "why #2?")
    assert tools == ["explain_pick"]
    assert ctx.tracer.steps[-1].arguments["route"] == "explain"
    last_tool = [m for m in state["messages"] if isinstance(m, ToolMessage)][-1]
    assert last_tool.content.startswith("#2 Dub 1: ")

    _, state, tools = _turn(graph, ctx, "swap #3 for something calmer")
    assert tools == ["search_similar", "judge_candidates", "replace_in_playlist"]
    assert [it.title for it in state["playlist"]] == ["Techno 2", "Dub 1", "Dub 2"]

    _, state, tools = _turn(graph, ctx, "what does #1 sound like?")
    assert tools == ["listen_to_track"]
    assert state["reply"] == "Techno 2 is a driving techno track."


def test_the_model_can_hold_a_follow_up_calmer_to_the_whole_playlist(tiny) -> None:
    """search_* take than="playlist": "calmer" after a list means calmer than that list."""
    script = [
        *RECOMMEND,
        step(call("search_text", query="techno", constraints={"calmer": True}, than="playlist")),
        step(text="Calmer candidates found."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _, state, _ = _turn(graph, ctx, "more like Techno 1")
    level = statistics.median(
        ctx.catalog.get(it.track_id).measurements.energy for it in state["playlist"]
    )
    _, state, tools = _turn(graph, ctx, "calmer")
    assert tools == ["search_text"]
    found = state["candidates"][state["turn"]]
    assert found, "no candidates"
    assert all(ctx.catalog.get(c.track_id).measurements.energy < level for c in found)
    lists = {name for c in found for name in c.source.split("+")}
    assert lists and lists <= {"filtered", "context"}, lists  # only lists that can filter


def test_the_model_can_sample_the_catalog_for_surprise_me(tiny) -> None:
    script = [
        *RECOMMEND,
        step(call("sample_catalog", count=3)),
        step(text="A few surprises to judge."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _, state, _ = _turn(graph, ctx, "more like Techno 1")
    on_list = {it.track_id for it in state["playlist"]}
    _, state, tools = _turn(graph, ctx, "surprise me")
    assert tools == ["sample_catalog"]
    found = [c.track_id for c in state["candidates"][state["turn"]]]
    assert found and not on_list & set(found)  # the playlist's tracks stay out
    genres = [ctx.catalog.get(i).genre_tag for i in found]
    head = genres[: len(set(genres))]
    assert len(set(head)) == len(head), genres  # one genre after another, none twice first


def test_the_model_can_reorder_the_playlist(tiny) -> None:
    script = [
        *RECOMMEND,
        step(call("reorder_playlist", by="reverse")),
        step(text="Reversed."),
        step(call("reorder_playlist", by="loudness")),  # not an order: the error goes back
        step(text="I can sort by tempo or energy."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _turn(graph, ctx, "more like Techno 1")
    _, state, tools = _turn(graph, ctx, "reverse it")
    assert tools == ["reorder_playlist"]
    assert [it.title for it in state["playlist"]] == ["Techno 3", "Dub 1", "Techno 2"]
    _, state, _ = _turn(graph, ctx, "sort by loudness")
    assert [it.title for it in state["playlist"]] == ["Techno 3", "Dub 1", "Techno 2"]
    errors = [
        m for m in state["messages"] if isinstance(m, ToolMessage) and "cannot order" in m.content
    ]
    assert errors


def test_the_model_can_move_a_track_and_let_two_trade_places(tiny) -> None:
    script = [
        *RECOMMEND,
        step(call("move_in_playlist", positions=[1], to=-1)),
        step(text="Moved."),
        step(call("move_in_playlist", positions=[1, 2])),
        step(text="Swapped."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _, first, _ = _turn(graph, ctx, "more like Techno 1", thread="mv")
    a, b, c = (it.title for it in first["playlist"])
    _, state, tools = _turn(graph, ctx, "move #1 to the end", thread="mv")
    assert tools == ["move_in_playlist"]
    assert [it.title for it in state["playlist"]] == [b, c, a]
    _, state, _ = _turn(graph, ctx, "swap #1 and #2", thread="mv")
    assert [it.title for it in state["playlist"]] == [c, b, a]


def test_domain_errors_go_back_to_the_model(tiny) -> None:
    script = [
        *RECOMMEND,
        step(call("remove_from_playlist", positions=[99])),
        step(text="There is no #99; the playlist has 3 tracks."),
        step(call("search_similar")),  # a required argument missing
        step(text="Sorry, which track?"),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _turn(graph, ctx, "more like Techno 1", thread="err")
    _, state, _ = _turn(graph, ctx, "remove #99", thread="err")
    error = [m for m in state["messages"] if isinstance(m, ToolMessage)][-1]
    assert error.status == "error" and "there is no #99" in error.content
    assert [s.status for s in ctx.tracer.steps if s.kind == "tool"] == ["error"]
    assert len(state["playlist"]) == 3
    _, state, _ = _turn(graph, ctx, "more like that", thread="err")
    error = [m for m in state["messages"] if isinstance(m, ToolMessage)][-1]
    assert error.status == "error" and "track" in error.content
    assert state["reply"] == "Sorry, which track?"


def test_parallel_tool_calls_compose(tiny) -> None:
    script = [
        *RECOMMEND,
        step(
            call("remove_from_playlist", positions=[1]), call("remove_from_playlist", positions=[3])
        ),
        step(text="Removed #1 and #3."),
    ]
    ctx = _context(tiny, script)
    graph = build_graph(InMemorySaver())
    _turn(graph, ctx, "more like Techno 1", thread="par")
    _, state, tools = _turn(graph, ctx, "remove #1 and #3", thread="par")
    assert tools == ["remove_from_playlist", "remove_from_playlist"]
    assert [it.title for it in state["playlist"]] == ["Dub 1"]


def test_sticky_constraints_and_export(tiny, tmp_path) -> None:
    script = [
        step(call("remember_constraints", constraints={"no_vocals": True})),
        step(text="Noted: instrumental only."),
        step(call("search_similar", track="Pop 1")),
        step(call("judge_candidates", anchor="Pop 1")),
        step(text="Nothing sung fits."),
        step(call("export_playlist", format="m3u")),
        step(text="done"),
    ]
    ctx = _context(tiny, script, export_dir=tmp_path)
    graph = build_graph(InMemorySaver())
    _, state, tools = _turn(graph, ctx, "no vocals from now on", thread="st")
    assert tools == ["remember_constraints"] and state["sticky"].no_vocals
    _, state, _ = _turn(graph, ctx, "more like Pop 1", thread="st")
    catalog = tiny[1]
    voice = {
        c.track_id: catalog.get(c.track_id).measurements.voice_probability
        for c in state["candidates"][state["turn"]]
    }
    assert max(voice.values()) >= 0.5  # sung candidates were proposed...
    verdicts = state["verdicts"][state["turn"]]
    assert verdicts and all(voice[v.track_id] < 0.5 for v in verdicts)  # ...none judged usable
    _, state, _ = _turn(graph, ctx, "export it", thread="st")
    error = [m for m in state["messages"] if isinstance(m, ToolMessage)][-1]
    assert "the playlist is empty" in error.content


def test_step_limit_ends_politely(tiny) -> None:
    loop = [step(call("get_track", track="Techno 1")) for _ in range(5)]
    ctx = _context(tiny, loop, max_steps=3)
    graph = build_graph(InMemorySaver())
    nodes, state, tools = _turn(graph, ctx, "tell me everything", thread="limit")
    assert tools == ["get_track"] * 3
    assert nodes[-2:] == ["plan", "finish"]
    assert state["reply"].startswith("I stopped after 3 steps")
    assert state["messages"][-1].content == state["reply"]


def test_tokens_and_model_are_traced(tiny, tmp_path) -> None:
    from linernotes.agent.traces import Tracer, read_trace

    reply = AIMessage(
        content="hello", usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    )
    tracer = Tracer(file=tmp_path / "tok.jsonl", thread="tok", backend="openai", model="m")
    ctx = _context(tiny, [reply], tracer=tracer)
    _turn(build_graph(InMemorySaver()), ctx, "hi", thread="tok")
    plan = next(r for r in read_trace(tmp_path / "tok.jsonl") if r["name"] == "plan")
    assert plan["tokens"]["total_tokens"] == 15 and plan["backend"] == "openai"


# -- the production adapter over an OpenAI-compatible server ----------------------------
def _server(replies: list[dict], seen: list[dict]) -> httpx.MockTransport:
    it = iter(replies)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=next(it))

    return httpx.MockTransport(handler)


def _completion(content: str = "", calls: list[tuple[str, dict]] = ()) -> dict:
    message: dict = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(calls)
        ]
    return {
        "model": "qwen",
        "choices": [{"message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


def test_parse_reply_reads_tool_calls_and_usage() -> None:
    msg = parse_reply(_completion("<think>x</think>ok", [("get_track", {"track": "#1"})]))
    assert msg.content == "ok"
    assert msg.tool_calls[0]["name"] == "get_track" and msg.tool_calls[0]["args"] == {"track": "#1"}
    assert msg.usage_metadata["total_tokens"] == 110
    bad = {
        "choices": [
            {
                "message": {
                    "content": "",
                    "tool_calls": [
                        {"id": "z", "function": {"name": "get_track", "arguments": "{not json"}}
                    ],
                }
            }
        ]
    }
    assert parse_reply(bad).invalid_tool_calls[0]["id"] == "z"


def test_openai_compatible_planner_end_to_end(tiny) -> None:
    replies = [
        _completion(calls=[("search_text", {"query": "calm dub", "context": "studying"})]),
        _completion(calls=[("judge_candidates", {"context": "studying", "count": 3})]),
        _completion(calls=[("start_playlist", {"tracks": ["Dub 1", "Dub 2"]})]),
        _completion("Two calm dub tracks for studying."),
    ]
    seen: list[dict] = []
    client = OpenAIChat("http://vllm.test/v1", "qwen", transport=_server(replies, seen))
    model = OpenAICompatibleChat(client=client)
    ctx = _context(tiny, [], chat_model=model)
    _, state, tools = _turn(build_graph(InMemorySaver()), ctx, "calm dub for studying", "http")
    assert tools == ["search_text", "judge_candidates", "start_playlist"]
    assert [it.title for it in state["playlist"]] == ["Dub 1", "Dub 2"]
    assert state["reply"] == "Two calm dub tracks for studying."
    body = seen[0]
    assert {t["function"]["name"] for t in body["tools"]} == {t.name for t in TOOLS}
    assert body["messages"][0]["role"] == "system" and body["model"] == "qwen"
    assert "runtime" not in json.dumps(body["tools"])  # injected, never shown to the model
    assert seen[1]["messages"][-1]["role"] == "tool"
