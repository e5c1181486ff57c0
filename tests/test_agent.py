"""The agent graph on a tiny catalog: trajectories, answers, threads and overrides."""

from __future__ import annotations

import pytest
import tiny_catalog
from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from agent.state import Context
from tools.judge import make_judge
from tools.reason.rules import RulesReasoner


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
    """Invoke and return (trajectory of node names, final state)."""
    config = {"configurable": {"thread_id": thread}} if thread else None
    nodes = []
    for update in graph.stream(
        {"text": text}, config=config, context=context, stream_mode="updates"
    ):
        nodes.extend(update)
    state = graph.get_state(config).values if thread else None
    return nodes, state


def test_compiled_graph_is_named() -> None:
    assert build_graph().name == "linernotes"


def test_recommend_trajectory_and_answer(tiny) -> None:
    graph = build_graph()
    ctx = _context(tiny)
    nodes, _ = _run(graph, "more like Techno 1", ctx)
    assert nodes == ["understand", "retrieve", "judge", "respond"]
    state = graph.invoke({"text": "more like Techno 1"}, context=ctx)
    titles = [p.title for p in state["picks"]]
    assert len(titles) == 3
    assert all(title.startswith(("Techno", "Dub")) for title in titles)
    assert state["reply"].startswith("3 picks like “Techno 1”")
    assert "1. " + titles[0] in state["reply"]


def test_context_candidates_include_calm_tracks_that_share_the_anchors_sound(tiny) -> None:
    """k=4 unfiltered neighbours of a techno track are all loud; the filtered ones are not."""
    graph = build_graph()
    state = graph.invoke({"text": "more like Techno 1 but for studying"}, context=_context(tiny))
    catalog, t = tiny[1], tiny[3]
    candidate_titles = {catalog.get(c.track_id).title for c in state["candidates"]}
    assert {"Dub 1", "Dub 2", "Dub 3"} <= candidate_titles
    picks = state["picks"]
    assert picks, state["reply"]
    for p in picks:
        track = catalog.get(p.track_id)
        assert track.summary.energy_level in ("low", "medium"), p.title
        assert track.measurements.voice_probability < 0.5
    assert picks[0].title.startswith("Dub")  # calm, and closest in sound to the anchor
    assert "for studying" in state["reply"]
    assert t["Techno 1"].id not in {p.track_id for p in picks}


def test_running_context_from_a_calm_anchor(tiny) -> None:
    graph = build_graph()
    state = graph.invoke({"text": "more like Lofi 1 but for a run"}, context=_context(tiny))
    catalog = tiny[1]
    assert state["picks"]
    for p in state["picks"]:
        assert catalog.get(p.track_id).summary.energy_level in ("high", "very_high")


def test_context_only_request_uses_text_and_filters(tiny) -> None:
    graph = build_graph()
    state = graph.invoke({"text": "something to fall asleep to"}, context=_context(tiny))
    assert state["request"].context_name == "sleep"
    assert state["anchor"] is None
    for p in state["picks"]:
        assert tiny[1].get(p.track_id).summary.energy_level == "low"


def test_hard_constraints_are_never_broken(tiny) -> None:
    graph = build_graph()
    state = graph.invoke({"text": "more like Pop 1 with no vocals"}, context=_context(tiny))
    for p in state["picks"]:
        assert tiny[1].get(p.track_id).measurements.voice_probability < 0.5


def test_overrides_from_the_run_context(tiny) -> None:
    graph = build_graph()
    t = tiny[3]
    ctx = _context(tiny, anchor=t["Lofi 2"].id, count=2)
    state = graph.invoke({"text": "something like this"}, context=ctx)
    assert state["anchor"].id == t["Lofi 2"].id
    assert len(state["picks"]) == 2


def test_count_from_the_text(tiny) -> None:
    graph = build_graph()
    state = graph.invoke({"text": "give me two like Pop 1"}, context=_context(tiny))
    assert len(state["picks"]) == 2


def test_unknown_anchor_is_said_plainly(tiny) -> None:
    graph = build_graph()
    nodes, _ = _run(graph, "more like Qwzx Vvvv Kkkk", _context(tiny))
    assert nodes == ["understand", "retrieve", "judge", "respond"]
    state = graph.invoke({"text": "more like Qwzx Vvvv Kkkk"}, context=_context(tiny))
    assert state["picks"] == []
    assert state["reply"].startswith("I could not answer that: no track matches")


def test_chat_and_describe_skip_retrieval(tiny) -> None:
    graph = build_graph()
    nodes, _ = _run(graph, "hello", _context(tiny))
    assert nodes == ["understand", "respond"]
    state = graph.invoke({"text": "describe Lofi 3"}, context=_context(tiny))
    assert state["reply"].startswith("“Lofi 3”")
    assert state["anchor"].title == "Lofi 3"


def test_thread_explain_and_swap(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny)
    _, first = _run(graph, "more like Techno 1", ctx, thread="t1")
    picks = first["picks"]
    assert len(picks) == 3

    nodes, state = _run(graph, "why #2?", ctx, thread="t1")
    assert nodes == ["understand", "respond"]
    assert state["reply"].startswith(f"#2 {picks[1].title}: ")

    nodes, state = _run(graph, "swap the second one", ctx, thread="t1")
    assert nodes == ["understand", "retrieve", "judge", "respond"]
    after = state["picks"]
    assert after[0].track_id == picks[0].track_id
    assert after[2].track_id == picks[2].track_id
    assert after[1].track_id not in {p.track_id for p in picks}
    assert len(state["messages"]) == 6  # three user turns, three replies


def test_anchor_by_position_in_the_previous_answer(tiny) -> None:
    graph = build_graph(InMemorySaver())
    ctx = _context(tiny)
    _, first = _run(graph, "more like Lofi 1", ctx, thread="t2")
    _, state = _run(graph, "something calmer for track 2", ctx, thread="t2")
    assert state["anchor"].id == first["picks"][1].track_id
    assert state["request"].constraints.calmer


def test_ask_returns_an_answer_and_keeps_threads_on_disk(tiny, monkeypatch) -> None:
    import agent.run as run

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
    assert answer.anchor_id == t["Techno 1"].id
    assert answer.request.context_name == "studying"
    assert answer.backends == {
        "embedder": tiny_catalog.AUDIO_SPACE,
        "text_embedder": tiny_catalog.TEXT_SPACE,
        "listener": "mir",
        "judge": "rules",
        "reasoner": "rules",
    }
    assert (catalog.folder / run.THREADS_FILE).is_file()
    session.graphs.clear()  # a new process would rebuild the graph: the thread is on disk
    why = run.ask("why #1?", settings, thread="disk")
    assert why.request.intent == "explain"
    assert why.reply.startswith(f"#1 {answer.picks[0].title}: ")
