"""The agent's tools, as plain functions both planners call: search, judge, look and listen.

The offline planner (rules) and the LLM planner (a tool-calling model) must do the same
things in the same way, so that their traces compare and an eval scores either. Each
tool here is a function ``(env, **arguments) -> Out``: ``env`` carries the run context
(catalog, backends, judge, tracer) and the current thread state, ``Out`` the text a
model reads, a one-line summary for the trace, and the state update. ``call`` runs one
with timing and a trace record; ``agent/tools.py`` wraps the same functions as
LangChain tools for the model, and the offline nodes call them directly. Playlist
tools live in ``agent/ops_playlist.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from linernotes.agent.refs import lookup, track_of, vector_of
from linernotes.agent.state import of_turn
from linernotes.agent.wording import describe_track
from linernotes.tools.catalog.filters import constraints_to_where
from linernotes.tools.catalog.search import fuse, lexical_search
from linernotes.tools.catalog.search import search_text as text_search
from linernotes.tools.clip import clip
from linernotes.tools.errors import CatalogError, LinernotesError, TrackNotFoundError
from linernotes.tools.reason.contexts import ContextProfile
from linernotes.tools.schemas import Candidate, Constraints, Levels, Step, Track, Verdict

AUDIO_LISTS = ("audio", "filtered")
"""Candidate lists whose similarity is an audio-space cosine to the anchor."""
SHOWN_TO_MODEL = 15
"""Candidates or verdicts listed in a tool result (the state keeps more)."""
KEPT_VERDICTS = 50
"""Best verdicts kept in the thread state: enough to fill, extend or swap a playlist,
few enough that the per-turn checkpoint stays small (a verdict carries a paragraph)."""
RELATIVE = ("calmer", "more_energetic", "faster", "slower", "shorter", "longer")
HARD = (
    "no_vocals", "vocals_only", "max_energy", "min_energy", "min_bpm", "max_bpm",
    "avoid_bpm_from", "avoid_bpm_to", "min_duration_s", "max_duration_s",
    "genres", "exclude_genres", "instruments", "exclude_instruments", "mode", "key",
)  # fmt: skip


@dataclass
class Out:
    """A tool's result: what the model reads, the trace line, and the state update."""

    text: str
    summary: str
    update: dict[str, Any] = field(default_factory=dict)
    data: Any = None
    backend: str | None = None


@dataclass
class Env:
    """What a tool sees: the run context and the thread state as of this call."""

    ctx: Any
    state: dict[str, Any]

    @property
    def turn(self) -> int:
        """The current turn number (turn-scoped lists are keyed by it)."""
        return int(self.state.get("turn") or 0)

    def this_turn(self, key: str) -> list[Any]:
        """This turn's entries of a turn-scoped list (candidates, verdicts, picks)."""
        return of_turn(self.state.get(key), self.turn)


def call(
    name: str, fn: Callable[..., Out], env: Env, call_id: str | None = None, **args: Any
) -> Out:
    """Run one tool with timing and a trace record; expected errors are traced, then raised."""
    tracer = env.ctx.tracer
    shown = {k: v for k, v in args.items() if v is not None and v != () and v != []}
    with tracer.timed() as t:
        try:
            out = fn(env, **args)
        except LinernotesError as e:
            _trace(env, name, shown, str(e), t, "error", call_id)
            raise
    _trace(env, name, shown, out.summary, t, "done", call_id, out.backend)
    return out


def _trace(env, name, args, summary, t, status, call_id, backend=None) -> None:
    tracer = env.ctx.tracer
    tracer.record(
        Step(
            name=name,
            kind="tool",
            arguments=args,
            summary=summary,
            backend=backend,
            duration_ms=t["ms"],
            status=status,
        ),
        call_id=call_id or tracer.call_id(),
    )


# -- shared helpers --------------------------------------------------------------------
def profile_for(context: str | None, env: Env) -> ContextProfile | None:
    """A known context name or the listener's words -> a context profile (or None)."""
    if not context:
        return None
    from linernotes.tools.reason.contexts import load_contexts, match_context

    known = load_contexts()
    if context in known:
        return known[context]
    match = match_context(context, env.ctx.backends.text)
    return match.profile if match is not None else None


KINDS = (("genres", "exclude_genres"), ("instruments", "exclude_instruments"))
"""What a track must have / must not have: "no metal" then "no punk either" leaves out
both, "calm piano" then "no piano" drops the piano it had asked for."""


def merge_constraints(base: Constraints | None, turn: Constraints | None) -> Constraints:
    """``turn`` on top of ``base`` (sticky ones); a turn's vocals wish beats the base's.

    Exclusions add up; a kind the turn asks for (a genre, an instrument) replaces the
    base's and leaves the exclusions, and one it excludes leaves the base's asked list.
    """
    old = (base or Constraints()).model_dump(exclude_defaults=True)
    new = (turn or Constraints()).model_dump(exclude_defaults=True)
    merged = {**old, **new}
    for asked, excluded in KINDS:
        out = list(dict.fromkeys([*old.get(excluded, []), *new.get(excluded, [])]))
        out = [k for k in out if k not in new.get(asked, [])]  # "actually, metal is fine"
        keep = [k for k in merged.get(asked, []) if k not in new.get(excluded, [])]
        for key, value in ((excluded, out), (asked, keep)):
            if value:
                merged[key] = value
            else:
                merged.pop(key, None)
    if turn is not None and turn.vocals_only:
        merged.pop("no_vocals", None)
    if turn is not None and turn.no_vocals:
        merged.pop("vocals_only", None)
    return Constraints(**merged)


def effective(constraints: Constraints | None, env: Env) -> Constraints:
    """The constraints a call works under: the thread's sticky ones plus the call's."""
    return merge_constraints(env.state.get("sticky"), constraints)


PLAYLIST = "playlist"
"""The ``than`` that names the whole current playlist: "calmer" as a follow-up."""


def levels_of(than: str, env: Env) -> Levels:
    """What "calmer/faster" compares with: a reference ('#3', a title, an id) or the playlist.

    A playlist is summarised by its medians, so "calmer" after a study list is calmer
    than that list as a whole, and "even calmer" after that calmer again.

    Raises:
        TrackNotFoundError: the reference names nothing, or 'playlist' with none yet.
    """
    if than.strip().lower() == PLAYLIST:
        items = env.state.get("playlist") or []
        if not items:
            raise TrackNotFoundError("there is no playlist yet to compare with")
        ms = [track_of(it.track_id, env.state, env.ctx).measurements for it in items]
        return Levels(
            energy=median(m.energy for m in ms),
            tempo_bpm=median(m.tempo_bpm for m in ms),
            duration_s=median(m.duration_s for m in ms) or None,
            label="the playlist",
        )
    return Levels.of_track(lookup(than, env.state, env.ctx))


def relative_wishes(c: Constraints) -> list[str]:
    """The relative wishes ("calmer", "faster") ``c`` holds, in ``RELATIVE`` order."""
    return [w for w in RELATIVE if getattr(c, w)]


def without_relative(c: Constraints) -> Constraints:
    """Constraints minus 'calmer/faster' wishes (enforced by a filter elsewhere)."""
    return c.model_copy(update=dict.fromkeys(RELATIVE, False))


def _candidate_lines(env: Env, cands: list[Candidate]) -> str:
    lines = []
    for c in cands[:SHOWN_TO_MODEL]:
        t = track_of(c.track_id, env.state, env.ctx)
        lines.append(f"{t.id} | {t.title} | {describe_track(t)} | sim {c.similarity:.2f}")
    more = f"\n(+{len(cands) - SHOWN_TO_MODEL} more)" if len(cands) > SHOWN_TO_MODEL else ""
    return "\n".join(lines) + more if lines else "no candidates"


def _found(env: Env, lists: dict[str, list[Candidate]]) -> Out:
    union = sum(len(v) for v in lists.values())
    cands = fuse(lists, union)
    summary = f"{len(cands)} candidates from {'+'.join(lists)}"
    text = f"{summary}. Judge them next (judge_candidates).\n" + _candidate_lines(env, cands)
    return Out(text, summary, {"candidates": {env.turn: cands}}, cands)


# -- tools -----------------------------------------------------------------------------
def search_similar(
    env: Env,
    track: str,
    context: str | None = None,
    constraints: Constraints | None = None,
    k: int | None = None,
    than: str | None = None,
    exclude: Iterable[str] = (),
) -> Out:
    """Audio neighbours of a track: unfiltered, filtered by constraints, and by context.

    The filtered list brings tracks that sound alike *and* can serve the request ("more
    like <techno> but for studying" finds calm tracks of a similar timbre). ``than``
    names what "calmer/faster" compares to when it is not the anchor ("swap #3 for
    something calmer": '#3'; a follow-up "calmer": 'playlist'); that comparison is then a
    hard bound, so only filtered lists run.
    """
    ctx = env.ctx
    anchor = lookup(track, env.state, ctx)
    vec = vector_of(anchor, env.state, ctx)
    profile = profile_for(context, env)
    c = effective(constraints, env)
    relative = levels_of(than, env) if than else Levels.of_track(anchor)
    where = constraints_to_where(c, profile, relative)
    skip = {*c.exclude_ids, *exclude, anchor.id}
    k = k or ctx.candidates_k
    lists: dict[str, list[Candidate]] = {}
    if not (than and where):  # "calmer than #3" is a bound: no unfiltered list then
        lists["audio"] = ctx.catalog.query_audio(vec, k, exclude=skip)
    if where:
        lists["filtered"] = ctx.catalog.query_audio(vec, k, where=where, exclude=skip)
    if profile is not None:
        lists["context"] = text_search(
            ctx.catalog, profile.description, k, where=where, exclude=skip, backends=ctx.backends
        )
    out = _found(env, lists)
    out.update["anchor"] = anchor
    return out


def search_text(
    env: Env,
    query: str | None = None,
    context: str | None = None,
    constraints: Constraints | None = None,
    k: int | None = None,
    than: str | None = None,
    exclude: Iterable[str] = (),
) -> Out:
    """Tracks whose sound or caption matches words, unfiltered and filtered, plus context.

    Raises:
        CatalogError: neither a query nor a known context was given.
    """
    ctx = env.ctx
    profile = profile_for(context, env)
    query = query or (profile.description if profile else None)
    if not query:
        raise CatalogError("search_text needs a query or a listening context")
    c = effective(constraints, env)
    relative = levels_of(than, env) if than else None
    where = constraints_to_where(c, profile, relative)
    skip = {*c.exclude_ids, *exclude}
    k = k or ctx.candidates_k
    be = ctx.backends
    lists: dict[str, list[Candidate]] = {}
    bound = bool(than and where)  # a hard bound: only lists that can filter run (not BM25)
    if not bound:  # "calmer than #3" is a bound: no unfiltered list then
        lists["text"] = text_search(ctx.catalog, query, k, exclude=skip, backends=be)
    if where:
        lists["filtered"] = text_search(
            ctx.catalog, query, k, where=where, exclude=skip, backends=be
        )
    if (profile is None or query != profile.description) and not bound:  # listener's words
        lists["lexical"] = lexical_search(ctx.catalog, query, k, exclude=skip)
    if profile is not None and query != profile.description:
        lists["context"] = text_search(
            ctx.catalog, profile.description, k, where=where, exclude=skip, backends=be
        )
    return _found(env, lists)


def sample_catalog(
    env: Env,
    count: int | None = None,
    context: str | None = None,
    constraints: Constraints | None = None,
) -> Out:
    """A varied handful from the whole catalog, for "surprise me": no words to match.

    Tracks that pass the constraints (Chroma's own filter) are shuffled and taken in
    turn from each genre, so eight picks span up to eight genres; nothing shown in this
    thread comes back while anything else is left. Judge them next, as any candidates.

    Raises:
        CatalogError: nothing in the catalog passes the constraints.
    """
    ctx = env.ctx
    c = effective(constraints, env)
    where = constraints_to_where(c, profile_for(context, env))
    held = [it.track_id for it in env.state.get("playlist") or []]
    skip = {*c.exclude_ids, *held, *(env.state.get("shown") or [])}
    pool = ctx.catalog.ids(where)
    fresh = [i for i in pool if i not in skip] or [i for i in pool if i not in c.exclude_ids]
    if not fresh:
        raise CatalogError("nothing in the catalog passes these constraints")
    rng = random.Random()  # a surprise differs from one ask to the next
    rng.shuffle(fresh)
    by_genre: dict[str, list[str]] = {}
    for i, genre in ctx.catalog.genres(fresh).items():
        by_genre.setdefault(genre.lower(), []).append(i)
    queues = sorted(by_genre.values(), key=lambda q: rng.random())
    want = 3 * (count or ctx.top_k)
    order: list[str] = []
    while queues and len(order) < want:
        order += [q.pop() for q in queues][: want - len(order)]
        queues = [q for q in queues if q]
    sample = [Candidate(track_id=i, similarity=0.0, source="sample") for i in order]
    return _found(env, {"sample": sample})


def judge_candidates(
    env: Env,
    anchor: str | None = None,
    context: str | None = None,
    constraints: Constraints | None = None,
    count: int | None = None,
) -> Out:
    """Judge this turn's candidates against (anchor, context, constraints); best first.

    Raises:
        CatalogError: nothing was retrieved in this turn yet.
    """
    ctx = env.ctx
    first: dict[str, Candidate] = {}
    for c in env.this_turn("candidates"):  # several searches may propose the same track
        first.setdefault(c.track_id, c)
    cands = list(first.values())
    if not cands:
        raise CatalogError("no candidates to judge in this turn: search first")
    anchor_track = lookup(anchor, env.state, ctx) if anchor else None
    tracks = [track_of(c.track_id, env.state, ctx) for c in cands]
    # Audio cosines to the anchor are timbre evidence for the judge; text cosines are not.
    # Without an anchor, the fused retrieval order (the match to the words) is what the
    # judge orders the tracks that fit by.
    if anchor_track is not None:
        sims = {c.track_id: c.similarity for c in cands if c.source.split("+")[0] in AUDIO_LISTS}
    else:
        sims = {c.track_id: -float(i) for i, c in enumerate(cands)}
    verdicts: list[Verdict] = ctx.judge.pointwise(
        anchor_track,
        tracks,
        profile_for(context, env),
        effective(constraints, env),
        audio_similarity=sims or None,
    )
    name = verdicts[0].backend if verdicts else getattr(ctx.judge, "name", "judge")
    usable = [v for v in verdicts if v.score > 0]
    on_list = {it.track_id: i for i, it in enumerate(env.state.get("playlist") or [], start=1)}
    lines = []
    for v in usable[: count or SHOWN_TO_MODEL]:
        t = track_of(v.track_id, env.state, ctx)
        mark = f" | already #{on_list[v.track_id]}" if v.track_id in on_list else ""
        lines.append(f"{t.id} | {t.title} | score {v.score:.2f}{mark} | {v.explanation}")
    summary = (
        f"{len(usable)} of {len(verdicts)} candidates usable, best {usable[0].score:.2f}"
        if usable
        else f"none of {len(verdicts)} candidates fits"
    )
    text = summary + ("\n" + "\n".join(lines) if lines else "")
    update = {"verdicts": {env.turn: usable[:KEPT_VERDICTS]}, "backends": {"judge": name}}
    return Out(text, summary, update, verdicts, backend=name)


def get_track(env: Env, track: str) -> Out:
    """The facts of one track: id, title, artist, genre, tempo, key, energy, vocals, path."""
    t = lookup(track, env.state, env.ctx)
    text = f"{t.id} | {t.title} | {t.artist or 'unknown artist'} | {describe_track(t)} | {t.path}"
    return Out(text, f"{t.title}: {describe_track(t)}", {"focus": t.id}, t)


def listen_to_track(env: Env, track: str) -> Out:
    """What the listener heard in a track: its caption (cached at ingest, or on upload)."""
    t: Track = lookup(track, env.state, env.ctx)
    by = f" by {clip(t.artist, 80)}" if t.artist else ""  # "who is the artist of #1?"
    text = f"“{t.title}”{by} ({describe_track(t)}).\n{t.caption}"
    return Out(text, f"caption of {t.title}", {"focus": t.id}, t, backend=t.provenance.listener)
