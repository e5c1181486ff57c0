"""Expectations of a scripted conversation turn, and the checks that score them.

A scenario file says what each turn must achieve in terms a listener would check,
against the demo manifest's labels (the parameters the audio was made from), never
against the agent's own descriptions: "picks are study_ok for at least 80%", "no pick
has high energy", "#3 refers to the previous third entry", "the swapped track is
calmer", "the M3U plays". Tool trajectories are scored like agentevals' trajectory
match: strict (same calls, same order), unordered, subset (no call outside the
reference) or superset (every reference call made).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

import soundfile as sf
from pydantic import BaseModel, ConfigDict, Field

from linernotes.tools.playlist import read_m3u
from linernotes.tools.schemas import Answer

TrajectoryMode = Literal["strict", "unordered", "subset", "superset"]


class Spec(BaseModel):
    """Base of the scenario records: unknown keys are refused so typos surface."""

    model_config = ConfigDict(extra="forbid")


class LabelCheck(Spec):
    """Share of picks (or playlist entries) whose manifest label satisfies a condition."""

    label: str
    eq: str | None = None
    ne: str | None = None
    within: list[str] | None = Field(None, alias="in")
    le: float | None = None
    ge: float | None = None
    contains: list[str] | None = Field(
        None, description="The label holds at least one of these words (instruments)."
    )
    lacks: list[str] | None = Field(None, description="The label holds none of these words.")
    share: float = Field(1.0, description="Lowest share of tracks that must satisfy it.")
    scope: Literal["picks", "playlist"] = "picks"

    def key(self) -> str:
        """How the condition reads in reports ("energy != high")."""
        for op, sign in (("eq", "=="), ("ne", "!="), ("le", "<="), ("ge", ">=")):
            value = getattr(self, op)
            if value is not None:
                shown = f"{value:g}" if isinstance(value, float) else value
                return f"{self.label} {sign} {shown}"
        if self.contains is not None:
            return f"{self.label} has {'/'.join(self.contains)}"
        if self.lacks is not None:
            return f"{self.label} lacks {'/'.join(self.lacks)}"
        return f"{self.label} in {self.within}"

    def ok(self, row: dict[str, str]) -> bool:
        """Whether one manifest row satisfies the condition."""
        value = row.get(self.label, "")
        if self.eq is not None and value != self.eq:
            return False
        if self.ne is not None and value == self.ne:
            return False
        if self.within is not None and value not in self.within:
            return False
        low = value.lower()
        if self.contains is not None and not any(w in low for w in self.contains):
            return False
        if self.lacks is not None and any(w in low for w in self.lacks):
            return False
        if self.le is not None and not float(value) <= self.le:
            return False
        return not (self.ge is not None and not float(value) >= self.ge)


class Tools(Spec):
    """Expected tool-call trajectory of the turn."""

    names: list[str]
    mode: TrajectoryMode = "strict"


class RefCheck(Spec):
    """What a reference must have resolved to."""

    previous: int | None = Field(None, description="The previous turn's playlist position.")
    upload: bool = Field(False, description="The thread's uploaded track.")
    label: str | None = None
    eq: str | None = None
    contains: str | None = None


class Expect(Spec):
    """What one turn must achieve; every given field is checked."""

    route: str | list[str] | None = None
    reply_contains: list[str] = Field(default_factory=list)
    picks_min: int | None = None
    picks_max: int | None = None
    playlist_size: int | None = None
    labels: list[LabelCheck] = Field(default_factory=list)
    tools: Tools | None = None
    refs: dict[str, RefCheck] = Field(default_factory=dict)
    changed: list[int] | None = Field(None, description="Positions that changed; others kept.")
    calmer_at: int | None = Field(None, description="Entry now calmer than before there.")
    exported: Literal["m3u", "m3u8", "xspf", "json"] | None = None


def trajectory_match(actual: list[str], expected: list[str], mode: TrajectoryMode) -> bool:
    """agentevals-style trajectory match on tool names."""
    a, e = Counter(actual), Counter(expected)
    match mode:
        case "strict":
            return actual == expected
        case "unordered":
            return a == e
        case "subset":
            return not (a - e)
        case "superset":
            return not (e - a)
    raise ValueError(f"Unknown trajectory mode {mode!r}")


class Judged(BaseModel):
    """The outcome of one turn's checks."""

    passed: bool = True
    failures: list[str] = Field(default_factory=list)
    labels: dict[str, list[int]] = Field(default_factory=dict, description="key -> [ok, n].")
    picks_ok: int = Field(0, description="Picks that satisfy every pick-scope label check.")
    picks_checked: int = Field(0, description="Picks the label checks looked at.")
    trajectory: bool | None = None

    def fail(self, why: str) -> None:
        """Record a failed check."""
        self.passed = False
        self.failures.append(why)


def route_of(answer: Answer) -> str | None:
    """The route the turn took (from its finish step)."""
    for step in reversed(answer.steps):
        if step.name == "finish":
            return step.arguments.get("route")
    return None


def references_of(answer: Answer) -> dict[str, str]:
    """Reference -> track id, as resolved in the turn."""
    for step in reversed(answer.steps):
        if step.name == "finish":
            return dict(step.arguments.get("references") or {})
    return {}


def check_turn(
    expect: Expect,
    answer: Answer,
    previous: Answer | None,
    rows: dict[str, dict[str, str]],
    energy: Any,
) -> Judged:
    """Score one answer against its expectations.

    Args:
        expect: the turn's expectations.
        answer: what the agent answered.
        previous: the thread's previous answer (for references and changes), if any.
        rows: manifest rows by absolute path.
        energy: ``track_id -> measured energy`` (for "calmer").
    """
    out = Judged()
    route = route_of(answer)
    routes = [expect.route] if isinstance(expect.route, str) else expect.route
    if routes and route not in routes:
        out.fail(f"route {route}, expected {'/'.join(routes)}")
    for text in expect.reply_contains:
        if text.lower() not in answer.reply.lower():
            out.fail(f"reply lacks {text!r}")
    n = len(answer.picks)
    if expect.picks_min is not None and n < expect.picks_min:
        out.fail(f"{n} picks, expected at least {expect.picks_min}")
    if expect.picks_max is not None and n > expect.picks_max:
        out.fail(f"{n} picks, expected at most {expect.picks_max}")
    if expect.playlist_size is not None and len(answer.playlist) != expect.playlist_size:
        out.fail(f"playlist has {len(answer.playlist)}, expected {expect.playlist_size}")
    for check in expect.labels:
        paths = [p.path for p in (answer.picks if check.scope == "picks" else answer.playlist)]
        good = sum(check.ok(rows.get(str(Path(p).resolve()), {})) for p in paths)
        ok, total = out.labels.setdefault(check.key(), [0, 0])
        out.labels[check.key()] = [ok + good, total + len(paths)]
        if not paths or good / len(paths) < check.share:
            out.fail(f"{check.scope} {check.key()}: {good}/{len(paths)} < {check.share:.0%}")
    pick_checks = [c for c in expect.labels if c.scope == "picks"]
    if pick_checks:
        rows_of = [rows.get(str(Path(p.path).resolve()), {}) for p in answer.picks]
        out.picks_checked = len(rows_of)
        out.picks_ok = sum(all(c.ok(row) for c in pick_checks) for row in rows_of)
    if expect.tools is not None:
        actual = [s.name for s in answer.steps if s.kind == "tool"]
        out.trajectory = trajectory_match(actual, expect.tools.names, expect.tools.mode)
        if not out.trajectory:
            out.fail(f"tools {actual} !~ {expect.tools.names} ({expect.tools.mode})")
    _check_refs(expect, answer, previous, rows, out)
    _check_changes(expect, answer, previous, energy, out)
    if expect.exported:
        _check_export(expect.exported, answer, out)
    return out


def _check_refs(expect, answer, previous, rows, out: Judged) -> None:
    refs = references_of(answer)
    by_id = {
        p.track_id: p.path for p in [*answer.playlist, *(previous.playlist if previous else [])]
    }
    for token, want in expect.refs.items():
        got = refs.get(token)
        if got is None:
            out.fail(f"{token} was not resolved")
            continue
        if want.previous is not None:
            items = previous.playlist if previous else []
            n = want.previous
            index = n - 1 if n > 0 else len(items) + n
            if not 0 <= index < len(items) or items[index].track_id != got:
                out.fail(f"{token} resolved to {got}, not the previous #{n}")
        if want.upload and refs.get("upload") != got:
            out.fail(f"{token} resolved to {got}, not the upload")
        if want.label:
            row = rows.get(str(Path(by_id.get(got, "")).resolve()), {})
            value = row.get(want.label, "")
            if (want.eq is not None and value != want.eq) or (
                want.contains is not None and want.contains not in value
            ):
                out.fail(f"{token} resolved to a track with {want.label}={value!r}")


def _check_changes(expect, answer, previous, energy, out: Judged) -> None:
    if previous is None or (expect.changed is None and expect.calmer_at is None):
        return
    before = [it.track_id for it in previous.playlist]
    after = [it.track_id for it in answer.playlist]
    if expect.changed is not None:
        moved = [i for i, (a, b) in enumerate(zip(before, after, strict=False), 1) if a != b]
        if moved != sorted(expect.changed):
            out.fail(f"changed positions {moved}, expected {expect.changed}")
    if expect.calmer_at is not None:
        i = expect.calmer_at - 1
        if i >= min(len(before), len(after)) or not energy(after[i]) < energy(before[i]):
            out.fail(f"#{expect.calmer_at} is not calmer than before")


def _check_export(fmt: str, answer: Answer, out: Judged) -> None:
    """The exported file exists, lists every playlist entry, and each entry decodes."""
    step = next((s for s in answer.steps if s.name == "export_playlist"), None)
    if step is None or step.status != "done":
        out.fail("no successful export_playlist call")
        return
    path = Path(step.summary.split(" -> ", 1)[-1])
    if not path.is_file() or path.suffix.lstrip(".") != fmt:
        out.fail(f"export {path} missing or not .{fmt}")
        return
    if fmt in ("m3u", "m3u8"):
        text = path.read_text(encoding="utf-8")
        entries = read_m3u(path)
        if not text.startswith("#EXTM3U") or text.count("#EXTINF:") != len(entries):
            out.fail("M3U lacks #EXTM3U/#EXTINF lines")
        if entries != [str(Path(it.path).resolve()) for it in answer.playlist]:
            out.fail("M3U entries differ from the playlist")
        for entry in entries:
            p = Path(entry)
            try:
                ok = p.is_absolute() and sf.read(p, frames=2048)[0].size > 0
            except (OSError, RuntimeError, sf.LibsndfileError):
                ok = False
            if not ok:
                out.fail(f"M3U entry does not decode: {entry}")
                break
