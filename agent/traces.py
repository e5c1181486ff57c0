"""Traces: one JSONL record per node and tool call, and their export for trajectory scoring.

Every turn leaves a record of what the agent did, in the catalog folder
(``<catalog>/traces/<thread>.jsonl``), so a surprising answer can be read back step by
step: which node ran, which tool was called with which arguments, what it found, which
backend and model did the work, how long it took, and tokens where a model reports them.
The same records, as ``tools.schemas.Step``, come back on ``Answer.steps`` for the UI.

``export_openai`` turns a thread's records into one OpenAI-format message list per turn
(user message, assistant ``tool_calls``, ``tool`` results, final reply): the shape
trajectory evaluators such as agentevals' trajectory match read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from linernotes.tools.schemas import Step, utc_now

TRACES_DIR = "traces"
_STEM_MAX = 96
"""Longest trace file stem (file systems allow 255 bytes per name)."""
UNTHREADED = "_unthreaded"
"""File stem of turns asked without a thread id (one-off questions)."""
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def jsonable(value: Any) -> Any:
    """Plain JSON data from records, paths and containers (for arguments and results)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def trace_file(catalog_folder: str | Path, thread: str | None) -> Path:
    """The JSONL file of a thread (thread ids are made safe as file names)."""
    stem = _SAFE.sub("_", thread) if thread else UNTHREADED
    if thread and len(stem) > _STEM_MAX:
        # A long id would exceed the file system's name limit: a readable head plus a hash.
        digest = hashlib.sha256(thread.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        stem = f"{stem[: _STEM_MAX - 17]}-{digest}"
    return Path(catalog_folder) / TRACES_DIR / f"{stem}.jsonl"


@dataclass
class Tracer:
    """Collects a turn's steps and appends each as one JSON line as it happens.

    Args:
        file: the JSONL file, or None to keep steps in memory only (tests, benchmarks).
        thread: the conversation id (None for one-off questions).
        backend: the planner backend ("rules" or the chat model's backend).
        model: the planner's model name, if any.
    """

    file: Path | None
    thread: str | None
    backend: str
    model: str | None = None
    turn: int = 0
    steps: list[Step] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)
    group: int = 0
    on_step: Callable[[Step], None] | None = None
    _calls: int = 0

    def record(self, step: Step, **extra: Any) -> Step:
        """Keep a step and append its trace record (``extra``: tokens, call ids...).

        ``on_step`` (the UI's live "thoughts") hears of each step as it finishes.
        """
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
        if self.file is not None:
            row = {
                "ts": utc_now(),
                "thread": self.thread,
                "turn": self.turn,
                "group": self.group,
                "kind": step.kind,
                "name": step.name,
                "arguments": jsonable(step.arguments),
                "summary": step.summary,
                "status": step.status,
                "backend": step.backend or self.backend,
                "model": extra.pop("model", None) or self.model,
                "latency_ms": round(step.duration_ms, 2),
                **jsonable(extra),
            }
            self.file.parent.mkdir(parents=True, exist_ok=True)
            with self.file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return step

    def call_id(self) -> str:
        """A fresh tool-call id for planners that do not get one from a model."""
        self._calls += 1
        return f"call_{self.turn}_{self._calls}"

    @contextmanager
    def timed(self) -> Iterator[dict[str, float]]:
        """Measure a block: ``with tracer.timed() as t: ...`` then ``t["ms"]``."""
        box = {"ms": 0.0}
        start = time.perf_counter()
        try:
            yield box
        finally:
            box["ms"] = (time.perf_counter() - start) * 1000

    def finish_turn(self, text: str, reply: str, route: str | None) -> None:
        """The turn's closing record: what was asked, answered, and references resolved."""
        if self.file is None:
            return
        row = {
            "ts": utc_now(),
            "thread": self.thread,
            "turn": self.turn,
            "kind": "turn",
            "name": "turn",
            "text": text,
            "reply": reply,
            "route": route,
            "references": self.references,
            "backend": self.backend,
            "model": self.model,
            "latency_ms": round(sum(s.duration_ms for s in self.steps if s.kind == "node"), 2),
        }
        with self.file.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_trace(file: str | Path) -> list[dict[str, Any]]:
    """The records of a trace file, in order (a torn last line is skipped)."""
    rows = []
    for line in Path(file).read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def export_openai(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One OpenAI-format message list per turn: user, assistant tool calls, tools, reply.

    Tool calls made in one planning step (one model message, or one offline node) share
    one assistant message, as a tool-calling model would have sent them.

    Returns:
        ``[{"thread", "turn", "messages": [...]}, ...]`` in turn order.
    """
    turns: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = turns.setdefault(row["turn"], {"tools": [], "end": None})
        if row["kind"] == "tool":
            entry["tools"].append(row)
        elif row["kind"] == "turn":
            entry["end"] = row
    out = []
    for turn in sorted(turns):
        entry = turns[turn]
        end = entry["end"] or {}
        messages: list[dict[str, Any]] = [{"role": "user", "content": end.get("text", "")}]
        groups: dict[int, list[dict[str, Any]]] = {}
        for row in entry["tools"]:
            groups.setdefault(row.get("group", 0), []).append(row)
        for calls in groups.values():
            messages.append(
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": c.get("call_id") or f"call_{turn}_{i}",
                            "type": "function",
                            "function": {
                                "name": c["name"],
                                "arguments": json.dumps(c["arguments"]),
                            },
                        }
                        for i, c in enumerate(calls)
                    ],
                }
            )
            for i, c in enumerate(calls):
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": c.get("call_id") or f"call_{turn}_{i}",
                        "content": c.get("summary", ""),
                    }
                )
        messages.append({"role": "assistant", "content": end.get("reply", "")})
        thread = end.get("thread") or (entry["tools"][0]["thread"] if entry["tools"] else None)
        out.append({"thread": thread, "turn": turn, "messages": messages})
    return out


def tool_names(messages: list[dict[str, Any]]) -> list[str]:
    """Tool names called in an OpenAI-format message list, in order."""
    return [
        call["function"]["name"]
        for m in messages
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
    ]


def summarise(update: dict[str, Any]) -> str:
    """One line saying what a node decided or wrote, for its trace record."""
    parts = []
    plan = update.get("plan")
    if plan is not None:
        parts.append(f"route={plan.route}" + (f" op={plan.op}" if plan.op else ""))
    request = update.get("request")
    if request is not None and plan is None:
        parts.append(f"intent={request.intent}")
    for key in ("candidates", "verdicts", "picks"):
        for items in (update.get(key) or {}).values():
            parts.append(f"{len(items)} {key}")
    if update.get("problem"):
        parts.append(f"problem: {update['problem']}")
    elif update.get("reply"):
        parts.append(str(update["reply"]).splitlines()[0][:100])
    return "; ".join(parts)


def traced(name: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Decorate a graph node ``(state, runtime) -> update`` to trace it as one step.

    Each traced node opens a new tool-call group, so the tool calls it makes export as
    one assistant message (see ``export_openai``).
    """

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def node(state: Any, runtime: Any) -> dict[str, Any]:
            tracer: Tracer = runtime.context.tracer
            tracer.group += 1
            with tracer.timed() as t:
                update = fn(state, runtime)
            backends = update.get("backends") or {}
            tracer.record(
                Step(
                    name=name,
                    kind="node",
                    summary=summarise(update),
                    backend=", ".join(sorted(set(backends.values()))) or None,
                    duration_ms=t["ms"],
                )
            )
            return update

        return node

    return wrap
