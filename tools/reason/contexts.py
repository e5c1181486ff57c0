"""Listening contexts: what music serves "studying", "a run", "late-night driving".

The judge needs the listener's context as numbers it can check against measurements
(energy and tempo ranges, an energy ceiling, whether vocals are welcome) and as weights
over the judge dimensions, because a context changes which dimensions matter. Those
profiles are data, kept in ``tools/data/contexts.yaml`` so they can be read and tuned
without touching code.

Free text is mapped to a profile in two steps. A keyword path (whole-word matches,
microseconds, no model) catches the common words; when no keyword fires, the text is
embedded and compared with each context's example phrases (sentence similarity), with
thresholds so that unrelated text maps to no context rather than to the nearest one.
Two contexts can match at once ("late-night driving" is driving with some of sleep):
their profiles are blended with weights instead of one winning outright.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.schemas import DIMENSIONS, EnergyLevel

__all__ = [
    "ContextMatch",
    "ContextProfile",
    "TextEmbedder",
    "blend_contexts",
    "get_context",
    "load_contexts",
    "match_context",
]

VocalPreference = Literal["avoid", "neutral", "prefer"]

EMBED_THRESHOLD = 0.45
"""Lowest cosine (text vs. a context's nearest example) that counts as a match.

MiniLM paraphrases of a context score about 0.5-0.8. Descriptions of music rather than
of a situation can score as high by surface overlap ("noisy punk" ~ "quiet night music"
0.53), which is why there is also a null class (``_music_descriptions`` in the file).
"""
NULL_CLASS = "_music_descriptions"
BLEND_THRESHOLD = 0.38
"""A second context joins the blend when it clears this and is close to the best one."""
BLEND_GAP = 0.08
"""How far below the best similarity the second context may be and still blend."""


class TextEmbedder(Protocol):
    """What context matching needs from a sentence embedder (tools/embed/text.py)."""

    space: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return ``(n, dim)`` L2-normalised float32 vectors."""
        ...


class ContextProfile(BaseModel):
    """Targets and dimension weights of one listening context (or a blend of several)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Identifier, e.g. 'studying' or 'driving+sleep'.")
    label: str = Field(description="Words used in explanations: 'which suits {label}'.")
    description: str = Field(description="What the context needs, in one sentence.")
    keywords: tuple[str, ...] = Field(default=(), description="Fast-path trigger words.")
    examples: tuple[str, ...] = Field(default=(), description="Example request phrases.")
    weights: dict[str, float] = Field(
        default_factory=dict, description="Weight per judge dimension (missing: 1.0)."
    )
    energy: tuple[float, float] = Field((0.0, 1.0), description="Fitting energy range 0-1.")
    bpm: tuple[float, float] = Field((40.0, 220.0), description="Fitting tempo range, BPM.")
    max_energy_level: EnergyLevel | None = Field(None, description="Energy class ceiling.")
    min_energy_level: EnergyLevel | None = Field(None, description="Energy class floor.")
    vocals: VocalPreference = Field("neutral", description="Whether vocals are welcome.")
    mode: Literal["major", "minor"] | None = Field(None, description="Preferred mode.")

    @field_validator("weights")
    @classmethod
    def _known_dimensions(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DIMENSIONS))
        if unknown:
            raise ValueError(f"unknown dimensions {unknown}; expected some of {DIMENSIONS}")
        return value

    @field_validator("energy", "bpm")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"range must be (low, high), got {value}")
        return value

    def weight(self, dimension: str) -> float:
        """Weight of ``dimension`` in this context (1.0 when the file does not say)."""
        return self.weights.get(dimension, 1.0)


class ContextMatch(BaseModel):
    """Result of mapping free text to contexts: the (possibly blended) profile and why."""

    model_config = ConfigDict(extra="forbid")

    profile: ContextProfile = Field(description="Profile to judge with (blended if several).")
    components: list[tuple[str, float]] = Field(
        description="Matched context names with blend weights summing to 1, best first."
    )
    score: float = Field(description="Match strength 0-1 (1.0 for a keyword match).")
    method: Literal["keyword", "embedding", "name"] = Field(description="How it matched.")

    @property
    def name(self) -> str:
        """Name of the profile judged with, e.g. 'driving+sleep'."""
        return self.profile.name


def _data_path() -> Path:
    return Path(str(resources.files("linernotes.tools") / "data" / "contexts.yaml"))


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, ContextProfile]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, ContextProfile] = {}
    for name, spec in raw.items():
        if name.startswith("_"):
            continue
        spec = dict(spec)
        for key in ("keywords", "examples", "energy", "bpm"):
            if key in spec:
                spec[key] = tuple(spec[key])
        out[name] = ContextProfile(name=name, **spec)
    return out


def load_contexts(path: Path | None = None) -> dict[str, ContextProfile]:
    """Return every known context by name (parsed once per process and path)."""
    return _load(path or _data_path())


def get_context(name: str) -> ContextProfile:
    """Return the context called ``name``; raise KeyError naming the known ones."""
    contexts = load_contexts()
    if name not in contexts:
        raise KeyError(f"unknown context {name!r}; known: {', '.join(sorted(contexts))}")
    return contexts[name]


def _weighted_level(
    levels: list[tuple[EnergyLevel | None, float]], *, ceiling: bool
) -> EnergyLevel | None:
    """Blend energy-class bounds, keeping the most permissive one with real weight.

    A blend must not be stricter than its dominant part: "late-night driving" should not
    inherit sleep's 'low' ceiling and exclude every medium-energy driving track.
    """
    relevant = [(lvl, w) for lvl, w in levels if w >= 0.3]
    if not relevant or any(lvl is None for lvl, _ in relevant):
        return None
    ranks = [ENERGY_ORDER.index(lvl) for lvl, _ in relevant if lvl is not None]
    return ENERGY_ORDER[max(ranks) if ceiling else min(ranks)]


def blend_contexts(
    parts: list[tuple[ContextProfile, float]], label: str | None = None
) -> ContextProfile:
    """Blend several profiles into one, weighting ranges, weights and preferences.

    Args:
        parts: profiles with positive weights (normalised here).
        label: words for explanations; defaults to the labels joined with 'and'.
    """
    if len(parts) == 1:
        return parts[0][0]
    total = sum(w for _, w in parts)
    norm = [(p, w / total) for p, w in parts]

    def avg(get: object) -> float:
        return float(sum(get(p) * w for p, w in norm))  # type: ignore[operator]

    weights = {d: round(avg(lambda p, d=d: p.weight(d)), 3) for d in DIMENSIONS}
    vocal_score = avg(lambda p: {"avoid": -1.0, "neutral": 0.0, "prefer": 1.0}[p.vocals])
    vocals: VocalPreference = (
        "avoid" if vocal_score <= -0.4 else "prefer" if vocal_score >= 0.4 else "neutral"
    )
    mode_votes: dict[str, float] = {}
    for p, w in norm:
        if p.mode:
            mode_votes[p.mode] = mode_votes.get(p.mode, 0.0) + w
    mode = max(mode_votes, key=lambda m: mode_votes[m]) if mode_votes else None
    if mode and mode_votes[mode] < 0.5:
        mode = None
    return ContextProfile(
        name="+".join(p.name for p, _ in norm),
        label=label or " and ".join(p.label for p, _ in norm),
        description=" / ".join(p.description for p, _ in norm),
        weights=weights,
        energy=(avg(lambda p: p.energy[0]), avg(lambda p: p.energy[1])),
        bpm=(avg(lambda p: p.bpm[0]), avg(lambda p: p.bpm[1])),
        max_energy_level=_weighted_level([(p.max_energy_level, w) for p, w in norm], ceiling=True),
        min_energy_level=_weighted_level([(p.min_energy_level, w) for p, w in norm], ceiling=False),
        vocals=vocals,
        mode=mode,  # type: ignore[arg-type]
    )


@lru_cache(maxsize=1)
def keyword_words() -> frozenset[str]:
    """Every word of the packaged contexts' names and keywords ("sleeping", "commute").

    The request reader corrects typos against these too: "sleping" is "sleeping", which
    a keyword maps, where the misspelling went to a similarity guess (commute+running).
    """
    found: set[str] = set()
    for name, ctx in _load(_data_path()).items():
        for phrase in (name, *ctx.keywords):
            found.update(re.findall(r"[a-z]+", phrase.lower()))
    return frozenset(found)


@lru_cache(maxsize=4)
def _keyword_patterns(path: Path) -> dict[str, re.Pattern[str]]:
    pats: dict[str, re.Pattern[str]] = {}
    for name, ctx in _load(path).items():
        words = sorted({name, *ctx.keywords}, key=len, reverse=True)
        alts = "|".join(re.escape(w).replace(r"\-", "[- ]?").replace(r"\ ", "[- ]") for w in words)
        pats[name] = re.compile(rf"\b(?:{alts})\b", re.IGNORECASE)
    return pats


def _keyword_hits(text: str, path: Path) -> list[tuple[str, int]]:
    """Contexts whose keywords occur in ``text`` with the position of the last hit.

    A hit lying inside a longer hit of another context does not count: "dinner party" is
    a dinner keyword, so the "party" in it must not blend in the party context.
    """
    spans = [
        (name, m.start(), m.end())
        for name, pat in _keyword_patterns(path).items()
        for m in pat.finditer(text)
    ]
    kept = [
        (name, a, b)
        for name, a, b in spans
        if not any(o != name and oa <= a and b <= ob and ob - oa > b - a
                   for o, oa, ob in spans)
    ]  # fmt: skip
    last: dict[str, int] = {}
    for name, a, _ in kept:
        last[name] = max(last.get(name, -1), a)
    return list(last.items())


_EXAMPLE_CACHE: dict[tuple[str, str, str], tuple[list[str], np.ndarray]] = {}


def _example_vectors(embedder: TextEmbedder, path: Path) -> tuple[list[str], np.ndarray]:
    """Embed every context's examples once per process and embedder space.

    Returns the context name of each row and the ``(n, dim)`` matrix.
    """
    key = (type(embedder).__name__, getattr(embedder, "space", "?"), str(path))
    if key not in _EXAMPLE_CACHE:
        names, texts = [], []
        for name, ctx in _load(path).items():
            for phrase in (ctx.description, *ctx.examples):
                names.append(name)
                texts.append(phrase)
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for phrase in (raw.get(NULL_CLASS) or {}).get("examples", []):
            names.append(NULL_CLASS)
            texts.append(phrase)
        _EXAMPLE_CACHE[key] = (names, np.asarray(embedder.embed(texts), dtype=np.float32))
    return _EXAMPLE_CACHE[key]


def _context_similarities(text: str, embedder: TextEmbedder, path: Path) -> dict[str, float]:
    """Best cosine between ``text`` and each context's examples."""
    names, mat = _example_vectors(embedder, path)
    vec = np.asarray(embedder.embed([text]), dtype=np.float32)[0]
    sims = mat @ vec
    best: dict[str, float] = {}
    for name, s in zip(names, sims.tolist(), strict=True):
        best[name] = max(best.get(name, -1.0), float(s))
    return best


def _short_label(text: str, fallback: str) -> str:
    """The request's own words as a label when short and plain, else ``fallback``."""
    words = re.sub(r"[^\w\s'-]", " ", text).split()
    clean = " ".join(words)
    return clean.lower() if 0 < len(words) <= 5 and len(clean) <= 40 else fallback


def match_context(
    text: str | None,
    embedder: TextEmbedder | None = None,
    *,
    path: Path | None = None,
) -> ContextMatch | None:
    """Map free text to a known context, or a blend of two, or None.

    Keywords decide first (fast, no model, exact for the common words); when two
    contexts' keywords occur, they blend 0.65/0.35, the later one (usually the head noun:
    "late-night *driving*") weighing more. Without keywords the embedder, if any, decides
    with thresholds, blending the two best contexts when they are close.

    Args:
        text: the listener's words ("late-night studying", "for a run").
        embedder: optional sentence embedder for phrases no keyword covers.
        path: contexts file (tests); defaults to the packaged one.
    """
    if not text or not text.strip():
        return None
    path = path or _data_path()
    contexts = _load(path)
    key = text.strip().lower()
    if key in contexts:
        return ContextMatch(
            profile=contexts[key], components=[(key, 1.0)], score=1.0, method="name"
        )
    hits = sorted(_keyword_hits(text, path), key=lambda h: h[1], reverse=True)[:2]
    if hits:
        if len(hits) == 1:
            name = hits[0][0]
            return ContextMatch(
                profile=contexts[name], components=[(name, 1.0)], score=1.0, method="keyword"
            )
        parts = [(hits[0][0], 0.65), (hits[1][0], 0.35)]
        return _blend_match(text, parts, 1.0, "keyword", contexts)
    if embedder is None:
        return None
    sims = _context_similarities(text, embedder, path)
    null = sims.pop(NULL_CLASS, -1.0)
    ranked = sorted(sims.items(), key=lambda kv: kv[1], reverse=True)
    (best, s1), (second, s2) = ranked[0], ranked[1]
    if s1 < EMBED_THRESHOLD or null >= s1:
        return None
    if s2 >= BLEND_THRESHOLD and s1 - s2 <= BLEND_GAP:
        return _blend_match(text, [(best, s1), (second, s2)], s1, "embedding", contexts)
    return ContextMatch(
        profile=contexts[best], components=[(best, 1.0)], score=s1, method="embedding"
    )


def _blend_match(
    text: str,
    parts: list[tuple[str, float]],
    score: float,
    method: Literal["keyword", "embedding"],
    contexts: dict[str, ContextProfile],
) -> ContextMatch:
    total = sum(w for _, w in parts)
    parts = [(n, round(w / total, 3)) for n, w in parts]
    primary = contexts[parts[0][0]]
    profile = blend_contexts(
        [(contexts[n], w) for n, w in parts], label=_short_label(text, primary.label)
    )
    return ContextMatch(profile=profile, components=parts, score=round(score, 3), method=method)
