"""The offline agent on a tiny catalog: trajectories, answers, threads, references, traces."""

from __future__ import annotations

import json

import pytest
import tiny_catalog
from langgraph.checkpoint.memory import InMemorySaver

from linernotes.agent.graph import build_graph
from linernotes.agent.state import Context
from linernotes.agent.traces import Tracer, export_openai, read_trace, tool_names
from linernotes.tools.judge.base import make_judge
from linernotes.tools.reason.rules import RulesReasoner

RECOMMEND = ["intake", "understand", "retrieve", "judge", "respond", "finish"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    settings, catalog, backends, tracks = tiny_catalog.build(tmp_path_factory.mktemp("tiny"))
    return settings, catalog, backends, tiny_catalog.by_title(tracks)


def _context(tiny, **kw) -> Context:
    settings, catalog, backends, _ = tiny
    base = dict(
        catalog=catalog,
        backends=backends,
        reasoner=RulesReasoner(backends.text),
        judge=make_judge(settings),
        top_k=3,
        candidates_k=4,
    )
    return Context(**{**base, **kw})


def _run(graph, text: str, context: Context, thread: str | None = None):
    """Invoke; return (node names, final state, tool names) of the turn."""
    config = {"configurable": {"thread_id": thread}} if thread else None
    context.tracer.steps.clear()
    nodes, state = [], {}
    for mode, chunk in graph.stream(
        {"text": text, "upload": None},
        config=config,
        context=context,
        stream_mode=["updates", "values"],
    ):
        if mode == "updates":
            nodes.extend(chunk)
        else:
            state = chunk
    tools = [s.name for s in context.tracer.steps if s.kind == "tool"]
    return nodes, state, tools


def _picks(state):
    return state["picks"][state["turn"]]


def test_compiled_graph_is_named() -> None:
    assert build_graph().name == "linernotes"


def test_recommend_trajectory_and_answer(tiny) -> None:
    nodes, state, tools = _run(build_graph(), "more like Techno 1", _context(tiny))
    assert nodes == RECOMMEND
    assert tools == ["search_similar", "judge_candidates", "start_playlist"]
    titles = [p.title for p in _picks(state)]
    assert len(titles) == 3
    assert [it.title for it in state["playlist"]] == titles
    assert all(title.startswith(("Techno", "Dub")) for title in titles)
    assert state["reply"].startswith("3 picks like “Techno 1”")
    assert "1. " + titles[0] in state["reply"]


def test_context_candidates_include_calm_tracks_that_share_the_anchors_sound(tiny) -> None:
    """k=4 unfiltered neighbours of a techno track are all loud; the filtered ones are not."""
    _, state, _ = _run(build_graph(), "more like Techno 1 but for studying", _context(tiny))
    catalog, t = tiny[1], tiny[3]
    candidates = state["candidates"][state["turn"]]
    assert {"Dub 1", "Dub 2", "Dub 3"} <= {catalog.get(c.track_id).title for c in candidates}
    picks = _picks(state)
    assert picks, state["reply"]
    for p in picks:
        track = catalog.get(p.track_id)
        assert track.summary.energy_level in ("low", "medium"), p.title
        assert track.measurements.voice_probability < 0.5
    assert picks[0].title.startswith("Dub")  # calm, and closest in sound to the anchor
    assert "for studying" in state["reply"]
    assert t["Techno 1"].id not in {p.track_id for p in picks}


def test_running_context_from_a_calm_anchor(tiny) -> None:
    _, state, _ = _run(build_graph(), "more like Lofi 1 but for a run", _context(tiny))
    assert _picks(state)
    for p in _picks(state):
        assert tiny[1].get(p.track_id).summary.energy_level in ("high", "very_high")


def test_context_only_request_uses_text_and_filters(tiny) -> None:
    _, state, tools = _run(build_graph(), "something to fall asleep to", _context(tiny))
    assert tools[0] == "search_text"
    assert state["request"].context_name == "sleep"
    assert state["anchor"] is None
    for p in _picks(state):
        assert tiny[1].get(p.track_id).summary.energy_level == "low"


def test_hard_constraints_are_never_broken(tiny) -> None:
    _, state, _ = _run(build_graph(), "more like Pop 1 with no vocals", _context(tiny))
    for p in _picks(state):
        assert tiny[1].get(p.track_id).measurements.voice_probability < 0.5


def test_overrides_from_the_run_context(tiny) -> None:
    t = tiny[3]
    ctx = _context(tiny, anchor=t["Lofi 2"].id, count=2)
    _, state, _ = _run(build_graph(), "something like this", ctx)
    assert state["anchor"].id == t["Lofi 2"].id
    assert len(_picks(state)) == 2


def test_count_from_the_text(tiny) -> None:
    _, state, _ = _run(build_graph(), "give me two like Pop 1", _context(tiny))
    assert len(_picks(state)) == 2


def test_unknown_anchor_is_said_plainly(tiny) -> None:
    nodes, state, tools = _run(build_graph(), "more like Qwzx Vvvv Kkkk", _context(tiny))
    assert nodes == ["intake", "understand", "chat", "finish"]
    assert tools == []
    assert not (state.get("picks") or {}).get(state["turn"])
    assert state["reply"].startswith("“Qwzx Vvvv Kkkk” is not in this catalog")


def test_chat_and_describe_skip_retrieval(tiny) -> None:
    nodes, _, tools = _run(build_graph(), "hello", _context(tiny))
    assert nodes == ["intake", "understand", "chat", "finish"] and tools == []
    nodes, state, tools = _run(build_graph(), "describe Lofi 3", _context(tiny))
    assert nodes == ["intake", "understand", "describe", "finish"]
    assert tools == ["listen_to_track"]
    assert state["reply"].startswith("“Lofi 3”")


def test_thread_explain_swap_more_and_remove(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny)
    _, first, _ = _run(graph, "more like Techno 1", ctx, thread="t1")
    picks = _picks(first)
    assert len(picks) == 3

    nodes, state, tools = _run(graph, "why #2?", ctx, thread="t1")
    assert nodes == ["intake", "understand", "explain", "finish"]
    assert tools == ["explain_pick"]
    assert state["reply"].startswith(f"#2 {picks[1].title}: ")

    nodes, state, tools = _run(graph, "swap the second one", ctx, thread="t1")
    assert nodes == RECOMMEND
    assert tools == ["search_similar", "judge_candidates", "replace_in_playlist"]
    after = [it.track_id for it in state["playlist"]]
    assert after[0] == picks[0].track_id and after[2] == picks[2].track_id
    assert after[1] not in {p.track_id for p in picks}
    assert [p.rank for p in _picks(state)] == [2]

    _, state, tools = _run(graph, "give me one more", ctx, thread="t1")
    assert tools[-1] == "add_to_playlist"
    assert len(state["playlist"]) == 4
    _, state, tools = _run(graph, "remove that last one", ctx, thread="t1")
    assert tools == ["remove_from_playlist"]
    assert [it.track_id for it in state["playlist"]] == after
    assert len(state["messages"]) == 10  # five user turns, five replies


def test_references_resolve_and_bad_ones_are_answered(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny)
    _, first, _ = _run(graph, "more like Techno 1", ctx, thread="t2")
    ids = [it.track_id for it in first["playlist"]]
    _, state, _ = _run(graph, "why the third one?", ctx, thread="t2")
    assert ctx.tracer.references["#3"] == ids[2]
    _, state, _ = _run(graph, "why that last one?", ctx, thread="t2")
    assert ctx.tracer.references["#-1"] == ids[-1]
    _, state, tools = _run(graph, "and why is it there?", ctx, thread="t2")
    assert ctx.tracer.references["it"] == ids[-1]
    _, state, tools = _run(graph, "swap #99", ctx, thread="t2")
    assert tools == []  # refused before any tool runs, naming the bad reference and the size
    assert "#99" in state["reply"] and "3 tracks" in state["reply"]
    assert [it.track_id for it in state["playlist"]] == ids  # nothing was swapped
    _, state, _ = _run(graph, "why #2?", ctx, thread="t2")  # the thread goes on
    assert state["reply"].startswith("#2 ")


def test_anchor_by_position_in_the_playlist(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny)
    _, first, _ = _run(graph, "more like Lofi 1", ctx, thread="t3")
    _, state, _ = _run(graph, "something calmer for track 2", ctx, thread="t3")
    assert state["anchor"].id == first["playlist"][1].track_id
    assert state["request"].constraints.calmer


def test_sticky_constraint_sweeps_the_playlist_and_holds_later(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny, top_k=4, candidates_k=8)
    catalog = tiny[1]
    _, state, _ = _run(graph, "more like Pop 1", ctx, thread="t4")
    voiced = [
        it
        for it in state["playlist"]
        if catalog.get(it.track_id).measurements.voice_probability >= 0.5
    ]
    assert voiced  # pop neighbours are sung
    _, state, tools = _run(graph, "no vocals from now on", ctx, thread="t4")
    assert tools[0] == "remember_constraints"
    assert state["sticky"].no_vocals
    for it in state["playlist"]:
        assert catalog.get(it.track_id).measurements.voice_probability < 0.5
    _, state, _ = _run(graph, "more like Pop 2", ctx, thread="t4")
    assert state["playlist"]
    for it in state["playlist"]:
        assert catalog.get(it.track_id).measurements.voice_probability < 0.5


def test_export_and_show(tiny, tmp_path) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny, export_dir=tmp_path)
    _run(graph, "more like Lofi 1", ctx, thread="t5")
    _, state, tools = _run(graph, "show the playlist", ctx, thread="t5")
    assert tools == [] and state["reply"].startswith("The playlist (3 tracks):")
    _, state, tools = _run(graph, "export it as json", ctx, thread="t5")
    assert tools == ["export_playlist"]
    # The tiny catalog's files do not exist: nothing playable is written, and it says so.
    assert "Exported 0 tracks" in state["reply"] and "file missing" in state["reply"]


def test_traces_are_written_and_export_as_openai_messages(tiny, tmp_path) -> None:
    graph = build_graph(InMemorySaver())
    tracer = Tracer(file=tmp_path / "t6.jsonl", thread="t6", backend="rules")
    ctx = _context(tiny, tracer=tracer)
    _run(graph, "more like Techno 1", ctx, thread="t6")
    _run(graph, "why #1?", ctx, thread="t6")
    rows = read_trace(tmp_path / "t6.jsonl")
    kinds = {(r["kind"], r["name"]) for r in rows}
    assert {("node", "retrieve"), ("tool", "judge_candidates"), ("turn", "turn")} <= kinds
    assert all(r["latency_ms"] >= 0 and r["thread"] == "t6" for r in rows)
    turns = export_openai(rows)
    assert [t["turn"] for t in turns] == [1, 2]
    first = turns[0]["messages"]
    assert first[0] == {"role": "user", "content": "more like Techno 1"}
    assert tool_names(first) == ["search_similar", "judge_candidates", "start_playlist"]
    call = first[1]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"])["track"]
    assert first[2]["role"] == "tool" and first[2]["tool_call_id"] == call["id"]
    assert first[-1]["role"] == "assistant" and first[-1]["content"].startswith("3 picks")
    assert tool_names(turns[1]["messages"]) == ["explain_pick"]


def test_ask_returns_an_answer_and_keeps_threads_on_disk(tiny, monkeypatch) -> None:
    import linernotes.agent.run as run

    settings, catalog, backends, t = tiny
    session = run.Session(
        settings=settings,
        catalog=catalog,
        backends=backends,
        reasoner=RulesReasoner(backends.text),
        judge=make_judge(settings),
        listeners="mir",
    )
    monkeypatch.setitem(run._SESSIONS, run._session_key(settings), session)
    answer = run.ask("more like Techno 1 but for studying", settings, thread="disk", count=2)
    assert len(answer.picks) == 2
    assert answer.thread == "disk"
    assert [p.track_id for p in answer.picks] == [it.track_id for it in answer.playlist]
    assert answer.anchor_id == t["Techno 1"].id
    assert answer.request.context_name == "studying"
    assert [s.name for s in answer.steps if s.kind == "tool"] == [
        "search_similar",
        "judge_candidates",
        "start_playlist",
    ]
    assert answer.backends == {
        "embedder": tiny_catalog.AUDIO_SPACE,
        "text_embedder": tiny_catalog.TEXT_SPACE,
        "listener": "mir",
        "judge": "rules",
        "reasoner": "rules",
    }
    assert (catalog.folder / run.THREADS_FILE).is_file()
    assert (catalog.folder / "traces" / "disk.jsonl").is_file()
    session.graphs.clear()  # a new process would rebuild the graph: the thread is on disk
    why = run.ask("why #1?", settings, thread="disk")
    assert why.request.intent == "explain"
    assert why.picks == [] and len(why.playlist) == 2
    assert why.reply.startswith(f"#1 {answer.picks[0].title}: ")
