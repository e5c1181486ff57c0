"""What the curator sees, as HTML and figures: pick cards, playlist rows, stats, profiles.

Pure functions of records (``Pick``, ``Track``, stats dicts) so they are tested without a
browser and the handlers in ``ui.app_chat`` stay about behaviour. Every value that came
from a file or a model is escaped: tags and captions are data, never markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from matplotlib.figure import Figure

from linernotes.tools.clip import counted
from linernotes.tools.schemas import (
    CORE_DIMENSIONS,
    SECONDARY_DIMENSIONS,
    Pick,
    PlaylistItem,
    Track,
)
from linernotes.ui.app_server import audio_url
from linernotes.ui.app_theme import CORE_COLOUR, SECONDARY_COLOUR


def esc(value: object) -> str:
    """HTML-escape ``value``; also ``$`` and backticks, which gr.HTML's template reads."""
    return html.escape(str(value)).replace("$", "&#36;").replace("`", "&#96;")


def clock(seconds: float) -> str:
    """``m:ss`` for a duration in seconds."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def track_facts(track: Track | None) -> str:
    """One line of facts a curator scans: genre, tempo, key, energy, vocals, length."""
    if track is None:
        return ""
    m, s = track.measurements, track.summary
    facts = [
        s.genre or track.genre_tag,
        f"{m.tempo_bpm:.0f} BPM",
        f"{m.key} {m.mode}",
        f"{s.energy_level.replace('_', ' ')} energy" if s.energy_level else None,
        s.vocals,
        clock(m.duration_s),
    ]
    return " · ".join(esc(f) for f in facts if f)


def pick_card(pick: Pick, track: Track | None) -> str:
    """One pick as a card: rank, title, facts, fit score, player, liner note, chips."""
    chips = [f'<span class="ln-chip">✓ {esc(s)}</span>' for s in pick.shared[:5]]
    chips += [f'<span class="ln-chip diff">≠ {esc(d)}</span>' for d in pick.differences[:3]]
    return (
        f'<div class="ln-card" data-track="{esc(pick.track_id)}">'
        '<div class="ln-card-head">'
        f'<span class="ln-rank">{pick.rank}</span>'
        f'<div class="ln-titles"><div class="ln-title">{esc(pick.title)}</div>'
        f'<div class="ln-meta">{track_facts(track)}</div></div>'
        f'<div class="ln-score" title="fit score / judge confidence"><b>{pick.score:.2f}</b>'
        f"<small>fit · conf {pick.confidence:.2f}</small></div></div>"
        f'<audio controls preload="metadata" src="{esc(audio_url(quote(pick.track_id)))}"></audio>'
        f'<p class="ln-expl">{esc(pick.explanation)}</p>'
        f'<div class="ln-chips">{"".join(chips)}</div></div>'
    )


def empty_picks(example: str) -> str:
    """What the picks panel shows before the first answer."""
    return (
        '<div class="ln-empty">No picks yet. Ask for music on the left, e.g. '
        f"<i>{esc(example)}</i>, or drop an audio file.</div>"
    )


def playlist_row(position: int, item: PlaylistItem, track: Track | None) -> str:
    """One playlist entry: position, title and length."""
    length = f" <small>{clock(track.measurements.duration_s)}</small>" if track else ""
    return f'<div class="ln-pl-item">{position}. {esc(item.title)}{length}</div>'


def playlist_summary(items: list[PlaylistItem], tracks: Mapping[str, Track]) -> str:
    """Count and total length, or how to add tracks when the playlist is empty."""
    if not items:
        return '<div class="ln-note">Empty. Add picks with “+ Playlist” or “Add all picks”.</div>'
    total = sum(tracks[i.track_id].measurements.duration_s for i in items if i.track_id in tracks)
    return f'<div class="ln-note">{counted(len(items))} · {clock(total)}</div>'


def pretty(name: str) -> str:
    """``usage_context`` -> ``usage context``."""
    return name.replace("_", " ")


def dimension_figure(pick: Pick | None) -> Figure | None:
    """Horizontal bars of a pick's per-dimension relevance, core apart from secondary.

    A plain ``Figure`` (no pyplot) so concurrent sessions never share matplotlib state.
    """
    if pick is None or not pick.dimensions:
        return None
    names = [d for d in (*CORE_DIMENSIONS, *SECONDARY_DIMENSIONS) if d in pick.dimensions]
    values = [pick.dimensions[d] for d in names]
    colours = [CORE_COLOUR if d in CORE_DIMENSIONS else SECONDARY_COLOUR for d in names]
    fig = Figure(figsize=(6.0, 0.36 * len(names) + 0.9), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    rows = list(range(len(names)))[::-1]
    ax.barh(rows, values, color=colours, height=0.66)
    ax.set_yticks(rows, [pretty(n) for n in names])
    ax.set_xlim(0, 1)
    ax.set_xlabel("relevance to the request (0-1)")
    for row, value in zip(rows, values, strict=True):
        inside = value > 0.85  # no room right of a long bar: write inside it, in white
        x, align, ink = (
            (value - 0.015, "right", "white") if inside else (value + 0.015, "left", "black")
        )
        ax.text(x, row, f"{value:.2f}", va="center", ha=align, color=ink, fontsize=8)
    core = sum(d in CORE_DIMENSIONS for d in names)
    if 0 < core < len(names):
        ax.axhline(rows[core - 1] - 0.5, color="#cbd5e1", lw=0.8, ls="--")
    ax.set_title(  # a "$" in a tag is a dollar sign, not matplotlib's math mode
        f"#{pick.rank} {pick.title}: core (violet), secondary (grey)", fontsize=10, parse_math=False
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def stats_html(stats: Mapping[str, Any]) -> str:
    """The catalog's counts as tiles."""
    tiles = [
        ("tracks", stats.get("tracks", 0)),
        ("skipped files", stats.get("skipped", 0)),
        ("judge verdicts", stats.get("verdicts", 0)),
        ("thumbs", stats.get("feedback", 0)),
    ]
    tile = '<div class="ln-stat"><b>{}</b><span>{}</span></div>'
    body = "".join(tile.format(esc(v), esc(k)) for k, v in tiles)
    folder = esc(stats.get("folder", ""))
    return f'<div class="ln-stats">{body}</div><p class="ln-note">Catalog folder: {folder}</p>'


def backend_rows(
    settings: Any, stats: Mapping[str, Any], answer_backends: Mapping[str, str] | None = None
) -> list[list[str]]:
    """Role, backend and model of every backend in use (what produced what, honestly)."""
    used = dict(answer_backends or {})
    listeners = ", ".join(f"{k} ({v} tracks)" for k, v in stats.get("listeners", {}).items())
    reasoner_model = settings.reasoner_model if settings.reasoner != "rules" else "-"
    store_where = settings.store_url if settings.store == "http" else str(settings.catalog)
    return [
        ["audio embedder", settings.embedder, str(stats.get("audio_space", "-"))],
        ["text embedder", settings.text_embedder, str(stats.get("text_space", "-"))],
        ["listener (captions)", settings.listener, listeners or settings.listener_model],
        ["reasoner", used.get("reasoner", settings.reasoner), reasoner_model],
        ["judge", used.get("judge", settings.judge_name), reasoner_model],
        ["store", f"chroma ({settings.store})", store_where],
    ]


def hit_rows(hits: Iterable[Any]) -> list[list[Any]]:
    """Search hits as table rows: rank, title, similarity, id."""
    return [[h.rank, h.title, round(h.score, 3), h.track_id] for h in hits]
