"""Scripted multi-turn conversations -> answers and traces -> metrics and a report.

``linernotes eval SCENARIOS.yaml`` plays each conversation of a suite in a fresh
thread through ``agent.run.ask`` (the same path the chat and the UI use), checks every
turn against its expectations (``agent/eval_checks.py``) using the demo manifest's
labels, and writes a report (``agent/eval_report.py``): pass rate, pick precision by
label, trajectory match rate, route accuracy and latency per node and tool.

Scenario text may name demo tracks by their labels instead of titles, so a suite
survives a re-rendered demo: ``{title: style=lo-fi hip-hop}`` is the first such title,
``{title: style=synth-pop,has_voice=1#2}`` the second match. A turn's ``upload`` is a
selector too (a re-encoded copy of that demo file is sent, so it is *not* in the
catalog), or ``not-audio`` for a text file posing as an upload.
"""

from __future__ import annotations

import re
import statistics
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import soundfile as sf
import yaml
from pydantic import Field

from linernotes.agent.eval_checks import Expect, Spec, check_turn, route_of
from linernotes.tools.errors import ConfigError, LinernotesError
from linernotes.tools.schemas import Answer

PLACEHOLDER = re.compile(r"\{(title|path):\s*([^}]+)\}")
DEMO_SUITE = "demo.yaml"


class Turn(Spec):
    """One scripted message and what its answer must achieve."""

    say: str = ""
    say_chars: int | None = Field(None, description="Send a message this long instead.")
    upload: str | None = Field(None, description="Selector of a demo file, or 'not-audio'.")
    expect: Expect = Field(default_factory=Expect)


class Conversation(Spec):
    """A scripted conversation, played in a thread of its own."""

    name: str
    about: str = ""
    kind: str = Field("", description="What it exercises (negation, typo...), for reports.")
    turns: list[Turn]


class Single(Turn):
    """A one-message request, played in a fresh thread (the request suite's unit)."""

    kind: str = Field(description="What it exercises: genre, negation, range, typo, ...")


class Suite(Spec):
    """A named set of conversations over one labelled catalog.

    ``requests`` are single messages, each played as a conversation of its own.
    """

    name: str
    about: str = ""
    conversations: list[Conversation] = Field(default_factory=list)
    requests: list[Single] = Field(default_factory=list)

    def all_conversations(self) -> list[Conversation]:
        """The conversations, then every request as a one-turn conversation."""
        singles = [
            Conversation(
                name=f"{r.kind}-{i:03d}",
                kind=r.kind,
                turns=[Turn(**r.model_dump(exclude={"kind"}, by_alias=True, exclude_unset=True))],
            )
            for i, r in enumerate(self.requests, start=1)
        ]
        return [*self.conversations, *singles]


def default_suite() -> Path:
    """The suite shipped for the demo catalog (package data)."""
    return Path(str(resources.files("linernotes.agent") / "scenarios" / DEMO_SUITE))


def load_suite(path: str | Path) -> Suite:
    """Read and validate a scenario file.

    Raises:
        ConfigError: the file is missing or does not validate.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Suite.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as e:
        raise ConfigError(f"cannot read scenarios {path}: {e}") from e


def default_manifest(catalog: Path) -> Path:
    """``<catalog>/demo-audio/manifest.csv``, else the demo beside the catalog folder."""
    for folder in (catalog, catalog.parent):
        candidate = folder / "demo-audio" / "manifest.csv"
        if candidate.is_file():
            return candidate
    return catalog / "demo-audio" / "manifest.csv"


class Manifest:
    """Demo manifest rows by absolute path, and selection by labels."""

    def __init__(self, path: Path):
        from linernotes.tools.demo import read_manifest

        try:
            self.rows = read_manifest(path)
        except OSError as e:
            raise ConfigError(f"cannot read the demo manifest {path}: {e}") from e
        self.by_path = {row["path"]: row for row in self.rows}

    def select(self, selector: str) -> dict[str, str]:
        """The Nth row (``#N``, default 1) whose labels match ``key=value,key=value``.

        Raises:
            ConfigError: no row matches.
        """
        spec, _, nth = selector.strip().partition("#")
        wanted = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
        matches = [
            r for r in self.rows if all(r.get(k.strip()) == v.strip() for k, v in wanted.items())
        ]
        n = int(nth or 1)
        if len(matches) < n:
            raise ConfigError(f"no demo track #{n} matches {selector!r}")
        return matches[n - 1]

    def render(self, text: str) -> str:
        """Scenario text with ``{title: ...}`` / ``{path: ...}`` placeholders filled in."""
        return PLACEHOLDER.sub(lambda m: self.select(m.group(2))[m.group(1)], text)


def make_upload(selector: str, manifest: Manifest, folder: Path) -> Path:
    """A file to send as an upload.

    A re-encoded demo track (outside the catalog: its content hash differs), or, for
    ``not-audio``, a text file named like a document.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if selector == "not-audio":
        path = folder / "liner-notes.txt"
        path.write_text("These are liner notes, not audio.\n", encoding="utf-8")
        return path
    row = manifest.select(selector)
    y, sr = sf.read(row["path"], dtype="float32")
    path = folder / f"{Path(row['path']).stem}-upload.wav"
    sf.write(path, y * 0.9, sr)
    return path


def _long_message(n: int) -> str:
    return ("more like this but for studying please " * (n // 38 + 1))[:n]


def run_suite(
    suite: Suite,
    settings: Any,
    manifest_path: Path,
    out_dir: Path,
    *,
    ask_fn: Callable[..., Answer] | None = None,
    energy: Callable[[str], float] | None = None,
) -> dict[str, Any]:
    """Play every conversation and score every turn; returns the report data.

    Args:
        suite: the conversations.
        settings: catalog and backends (the planner follows ``settings.reasoner``).
        manifest_path: the demo manifest whose labels the expectations use.
        out_dir: where uploads made for the suite (and later the report) go.
        ask_fn: ``agent.run.ask`` or a stand-in (tests).
        energy: ``track_id -> measured energy``; default: read from the catalog.
    """
    import time

    from linernotes.agent.run import ask, session_for

    ask_fn = ask_fn or ask
    if energy is None:
        catalog = session_for(settings).catalog

        def energy(track_id: str) -> float:
            try:
                return float(catalog.get(track_id).measurements.energy)
            except LinernotesError:
                return float("nan")

    manifest = Manifest(manifest_path)
    run_id = uuid.uuid4().hex[:6]
    results = []
    for conv in suite.all_conversations():
        thread = f"eval-{suite.name}-{conv.name}-{run_id}"
        previous: Answer | None = None
        for i, turn in enumerate(conv.turns, start=1):
            text = _long_message(turn.say_chars) if turn.say_chars else manifest.render(turn.say)
            upload = (
                make_upload(turn.upload, manifest, out_dir / "uploads") if turn.upload else None
            )
            start = time.perf_counter()
            answer = ask_fn(text, settings, thread=thread, upload=upload)
            wall = (time.perf_counter() - start) * 1000
            judged = check_turn(turn.expect, answer, previous, manifest.by_path, energy)
            results.append(
                {
                    "conversation": conv.name,
                    "kind": conv.kind or "scenario",
                    "turn": i,
                    "say": text if len(text) <= 120 else f"{text[:100]}… ({len(text):,} chars)",
                    "route": route_of(answer),
                    "passed": judged.passed,
                    "failures": judged.failures,
                    "labels": judged.labels,
                    "picks_ok": judged.picks_ok,
                    "picks_checked": judged.picks_checked,
                    "trajectory": judged.trajectory,
                    "route_expected": turn.expect.route is not None,
                    "tools": [s.name for s in answer.steps if s.kind == "tool"],
                    "steps": [(s.name, round(s.duration_ms, 2)) for s in answer.steps],
                    "latency_ms": round(wall, 1),
                    "reply": answer.reply[:300],
                }
            )
            previous = answer  # every answer carries the thread's playlist, refused or not
    return {"suite": suite.name, "run": run_id, "metrics": metrics(results), "turns": results}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def metrics(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass rate, pick precision by label, trajectory and route rates, latency per step."""
    n = len(results)
    passed = sum(r["passed"] for r in results)
    by_conv: dict[str, list[int]] = {}
    labels: dict[str, list[int]] = {}
    for r in results:
        ok, total = by_conv.setdefault(r["conversation"], [0, 0])
        by_conv[r["conversation"]] = [ok + r["passed"], total + 1]
        for key, (good, count) in r["labels"].items():
            g, c = labels.setdefault(key, [0, 0])
            labels[key] = [g + good, c + count]
    kinds: dict[str, list[int]] = {}
    for r in results:
        ok, total = kinds.setdefault(r.get("kind", "scenario"), [0, 0])
        kinds[r.get("kind", "scenario")] = [ok + r["passed"], total + 1]
    picks_ok = sum(r.get("picks_ok", 0) for r in results)
    picks_n = sum(r.get("picks_checked", 0) for r in results)
    traj = [r["trajectory"] for r in results if r["trajectory"] is not None]
    routed = [r for r in results if r["route_expected"]]
    timings: dict[str, list[float]] = {}
    for r in results:
        for name, ms in r["steps"]:
            timings.setdefault(name, []).append(ms)
        timings.setdefault("turn (wall)", []).append(r["latency_ms"])
    return {
        "turns": n,
        "passed": passed,
        "pass_rate": round(passed / n, 4) if n else 0.0,
        "conversations": {k: {"passed": v[0], "turns": v[1]} for k, v in by_conv.items()},
        "kinds": {
            k: {"passed": v[0], "turns": v[1], "rate": round(v[0] / v[1], 4)}
            for k, v in sorted(kinds.items())
        },
        "picks_satisfying": round(picks_ok / picks_n, 4) if picks_n else None,
        "picks_checked": picks_n,
        "pick_precision": {k: round(g / c, 4) if c else None for k, (g, c) in labels.items()},
        "pick_counts": {k: c for k, (_, c) in labels.items()},
        "trajectory_match_rate": round(sum(traj) / len(traj), 4) if traj else None,
        "trajectory_checked": len(traj),
        "route_accuracy": round(
            sum(not any(f.startswith("route ") for f in r["failures"]) for r in routed)
            / len(routed),
            4,
        )
        if routed
        else None,
        "latency_ms": {
            name: {"median": round(statistics.median(v), 2), "p95": _pct(v, 0.95), "n": len(v)}
            for name, v in sorted(timings.items())
        },
    }
