"""The evaluation runner: the shipped suite, trajectory matching, label checks, the report,
and the offline planner passing the demo suite through ``linernotes eval``."""

from __future__ import annotations

import json

import pytest

from linernotes.agent.eval_checks import LabelCheck, trajectory_match
from linernotes.agent.evaluate import default_suite, load_suite
from linernotes.agent.traces import tool_names
from linernotes.tools.errors import ConfigError

ROUTES = {"recommend", "refine", "explain", "describe", "chat", "reject"}


def test_shipped_suite_is_big_enough_and_covers_every_route() -> None:
    suite = load_suite(default_suite())
    turns = [t for c in suite.conversations for t in c.turns]
    assert len(suite.conversations) >= 8 and len(turns) >= 30
    routes = {t.expect.route for t in turns if isinstance(t.expect.route, str)}
    assert routes >= ROUTES
    assert any(t.upload and t.upload != "not-audio" for t in turns)
    assert any(t.expect.exported == "m3u" for t in turns)


def test_bad_scenario_files_are_refused(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nconversations:\n  - name: c\n    turns:\n      - sya: hi\n")
    with pytest.raises(ConfigError, match="cannot read scenarios"):
        load_suite(bad)


@pytest.mark.parametrize(
    ("actual", "mode", "ok"),
    [
        (["a", "b"], "strict", True),
        (["b", "a"], "strict", False),
        (["b", "a"], "unordered", True),
        (["a"], "subset", True),
        (["a", "c"], "subset", False),
        (["a", "b", "c"], "superset", True),
        (["a"], "superset", False),
    ],
)
def test_trajectory_match(actual, mode, ok) -> None:
    assert trajectory_match(actual, ["a", "b"], mode) is ok


def test_label_checks() -> None:
    assert LabelCheck(label="energy", ne="high").ok({"energy": "low"})
    assert not LabelCheck(label="energy", ne="high").ok({"energy": "high"})
    assert LabelCheck(label="bpm", le=96).ok({"bpm": "90"})
    assert LabelCheck.model_validate({"label": "energy", "in": ["low"]}).ok({"energy": "low"})
    assert LabelCheck(label="study_ok", eq="1", share=0.8).key() == "study_ok == 1"


@pytest.fixture(scope="module")
def report(demo_catalog, tmp_path_factory):
    """``linernotes eval`` on the shipped suite with the offline planner (in process)."""
    from linernotes.ui.cli import main

    out = tmp_path_factory.mktemp("eval")
    catalog = str(demo_catalog.settings.catalog)
    code = main(["eval", "--catalog", catalog, "--out", str(out), "--min-pass", "0.9"])
    return code, out, json.loads((out / "report.json").read_text())


def test_offline_planner_passes_the_demo_suite(report, capsys) -> None:
    code, out, data = report
    m = data["metrics"]
    failed = [
        (t["conversation"], t["turn"], t["failures"]) for t in data["turns"] if not t["passed"]
    ]
    assert code == 0, failed
    assert m["turns"] >= 30 and m["pass_rate"] >= 0.9, failed
    assert m["trajectory_match_rate"] >= 0.9
    assert m["pick_precision"]["study_ok == 1"] >= 0.8
    assert m["pick_precision"]["energy != high"] >= 0.9
    assert {"understand", "retrieve", "judge", "judge_candidates", "turn (wall)"} <= set(
        m["latency_ms"]
    )
    text = (out / "report.md").read_text()
    assert "| turns passed |" in text and "## Pick precision by label" in text
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_traces_export_cli(report, demo_catalog, capsys) -> None:
    from linernotes.ui.cli import main

    _, _, data = report
    thread = f"eval-demo-study-session-{data['run']}"
    catalog = str(demo_catalog.settings.catalog)
    capsys.readouterr()
    assert main(["traces", "export", thread, "--catalog", catalog]) == 0
    turns = json.loads(capsys.readouterr().out)
    assert len(turns) == 6 and turns[0]["thread"] == thread
    first = turns[0]["messages"]
    assert first[0]["role"] == "user" and first[-1]["role"] == "assistant"
    assert tool_names(first) == ["search_similar", "judge_candidates", "start_playlist"]
    assert tool_names(turns[-1]["messages"]) == ["export_playlist"]
    assert main(["traces", "export", "no-such-thread", "--catalog", catalog]) == 2
