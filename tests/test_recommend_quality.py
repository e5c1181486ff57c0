"""Recommendation quality on the labelled demo: context requests get context-fit picks.

"More like X but for studying" must return tracks that serve studying even when X is a
loud track; "... but for a run" tracks that serve a run even when X is calm. Checked
against the demo manifest's labels (the parameters the audio was made from), joined to
the picks by path, never by title. Every demo track is an anchor once per context.
"""

from __future__ import annotations

import json

import pytest
from cli_runner import run_cli

from linernotes.tools.schemas import Answer

MIN_SHARE = 0.8


@pytest.fixture(scope="module")
def answers(demo_catalog):
    """Every demo track as anchor, for studying and for a run (in-process, warm)."""
    from linernotes.agent.run import ask

    out: dict[str, list[tuple[dict, Answer]]] = {"studying": [], "a run": []}
    for row in demo_catalog.rows:
        for context in out:
            text = f"more like {row['title']} but for {context}"
            out[context].append((row, ask(text, demo_catalog.settings)))
    return out


def _labels(demo_catalog, answer: Answer) -> list[dict]:
    return [demo_catalog.row_for(p.path) for p in answer.picks]


def test_every_anchor_resolves_to_its_own_track(demo_catalog, answers) -> None:
    from linernotes.agent.run import session_for

    catalog = session_for(demo_catalog.settings).catalog
    for row, answer in answers["studying"]:
        assert answer.anchor_id is not None, row["title"]
        assert catalog.get(answer.anchor_id).path == row["path"], row["title"]


def test_studying_picks_are_study_ok_and_never_high_energy(demo_catalog, answers) -> None:
    labels = []
    for row, answer in answers["studying"]:
        assert len(answer.picks) >= 5, (row["title"], answer.reply)
        picked = _labels(demo_catalog, answer)
        assert row["path"] not in {r["path"] for r in picked}
        assert all(r["energy"] != "high" for r in picked), (row["title"], answer.reply)
        labels += picked
    share = sum(r["study_ok"] == "1" for r in labels) / len(labels)
    assert share >= MIN_SHARE, f"study_ok share {share:.2%}"


def test_run_picks_are_workout_ok(demo_catalog, answers) -> None:
    labels = []
    for row, answer in answers["a run"]:
        assert len(answer.picks) >= 5, (row["title"], answer.reply)
        labels += _labels(demo_catalog, answer)
    share = sum(r["workout_ok"] == "1" for r in labels) / len(labels)
    assert share >= MIN_SHARE, f"workout_ok share {share:.2%}"


def test_context_picks_still_follow_the_anchor(demo_catalog, answers) -> None:
    """Among context-fit picks, the anchor's own style should show up more than by chance."""
    same, total = 0, 0
    styles = {r["style"] for r in demo_catalog.rows}
    for row, answer in answers["studying"]:
        if row["study_ok"] != "1":
            continue
        picked = _labels(demo_catalog, answer)
        same += sum(r["style"] == row["style"] for r in picked)
        total += len(picked)
    assert total and same / total > 1.5 / len(styles)


def test_cli_ask_json_for_a_lofi_anchor(demo_catalog) -> None:
    lofi = next(r for r in demo_catalog.rows if "lo-fi" in r["style"])
    proc = run_cli(
        [
            "ask",
            "--catalog",
            str(demo_catalog.settings.catalog),
            "--json",
            f"more like {lofi['title']} but for studying",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    answer = Answer.model_validate(json.loads(proc.stdout))
    assert len(answer.picks) >= 5
    assert answer.request.context_name == "studying"
    assert answer.anchor_id is not None
    assert set(answer.backends) >= {"embedder", "listener", "judge", "reasoner"}
    first = answer.picks[0]
    assert first.rank == 1 and first.explanation and first.dimensions
    assert demo_catalog.row_for(first.path)["study_ok"] == "1"
