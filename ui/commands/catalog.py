"""``linernotes catalog stats|show|remove``: what the catalog holds, how each track was made."""

from __future__ import annotations

import argparse
import re
from typing import Any

from linernotes.tools.catalog.catalog import open_catalog
from linernotes.tools.errors import CatalogError, TrackNotFoundError
from linernotes.tools.schemas import Track
from linernotes.ui.commands.common import add_parser, print_json, settings_from


def register(sub: Any) -> None:
    """Add the ``catalog`` command group."""
    parser = add_parser(sub, "catalog", "inspect the catalog")
    inner = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    stats = inner.add_parser("stats", help="track count, skipped files, spaces, backends")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.add_argument("--skipped", action="store_true", help="list every skipped file")
    stats.set_defaults(func=run_stats)
    show = inner.add_parser("show", help="one track: summary, caption, measurements, provenance")
    show.add_argument("ref", metavar="ID", help="track id, id prefix, path or title")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)
    remove = inner.add_parser("remove", help="remove tracks (record and vectors) by id")
    remove.add_argument("ids", nargs="+", metavar="ID", help="track ids (or id prefixes)")
    remove.add_argument("--json", action="store_true", help="print JSON")
    remove.set_defaults(func=run_remove)


def run_stats(args: argparse.Namespace) -> int:
    """Print catalog statistics."""
    catalog = open_catalog(settings_from(args), create=False)
    stats = catalog.stats()
    if args.json:
        print_json({**stats, "skipped_files": catalog.skipped()})
        return 0
    for key in (
        "folder",
        "tracks",
        "skipped",
        "verdicts",
        "pair_verdicts",
        "feedback",
        "triplets",
        "mining_rounds",
        "audio_space",
        "text_space",
    ):
        print(f"{key:<14} {stats[key]}")
    for name, count in stats["listeners"].items():
        print(f"{'listener':<14} {name}: {count} tracks")
    if args.skipped:
        for skip in catalog.skipped():
            print(f"skipped        {skip['path']}: {skip['reason']}")
    return 0


def format_track(track: Track) -> str:
    """Human-readable view of one track record."""
    m, s, p = track.measurements, track.summary, track.provenance
    lines = [
        f"{track.title}  [{track.id}]",
        f"  path         {track.path}",
        f"  artist       {track.artist or '-'}    genre tag: {track.genre_tag or '-'}",
        f"  audio        {track.format}, {track.sample_rate} Hz, {track.channels} ch, "
        f"{m.duration_s:.1f} s",
        f"  tempo        {m.tempo_bpm:.1f} BPM (confidence {m.tempo_confidence:.2f})",
        f"  key          {m.key} {m.mode} (confidence {m.key_confidence:.2f})",
        f"  loudness     {m.loudness_db:.1f} dBFS, dynamics {m.dynamics_db:.1f} dB",
        f"  energy       {m.energy:.2f} ({s.energy_level or '-'}), "
        f"percussiveness {m.percussiveness:.2f}, onsets {m.onset_rate:.1f}/s",
        f"  brightness   {m.brightness_hz:.0f} Hz, voice probability {m.voice_probability:.2f}",
        f"  summary      {s.description}",
        f"  mood/usages  {s.mood or '-'} / {', '.join(s.suitable_usages) or '-'}",
        f"  caption      {track.caption}",
        f"  provenance   listener {p.listener}"
        + (f" ({p.listener_model}, prompt {p.prompt_version})" if p.listener_model else "")
        + f", embedder {p.embedder_space}, text {p.text_space}, analysed {p.analysed_at}",
    ]
    if p.consistency is not None:
        lines.append(
            f"  fact-check   consistency {p.consistency:.2f}"
            + (f"; {'; '.join(p.contradictions)}" if p.contradictions else "")
        )
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    """Print one track."""
    catalog = open_catalog(settings_from(args), create=False)
    track = catalog.resolve(args.ref)
    if args.json:
        print_json(track)
    else:
        print(format_track(track))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Remove tracks by id or unique id prefix; every id must name a track."""
    catalog = open_catalog(settings_from(args), create=False)
    ids = list(dict.fromkeys(_id_of(catalog, ref) for ref in args.ids))
    shown = {i: _title_and_path(catalog, i) for i in ids}
    removed = catalog.delete(ids)
    if args.json:
        print_json({"removed": [{"id": i, "title": t, "path": p} for i, (t, p) in shown.items()]})
    else:
        for i, (title, path) in shown.items():
            print(f"removed {i}  {title}  ({path})")
    return 0 if removed else 1


def _id_of(catalog: Any, ref: str) -> str:
    """The track id ``ref`` is, or the one id starting with it.

    Titles are not accepted: removing the wrong track by a fuzzy title would be silent
    loss. Ids are matched without reading the records, so a damaged record can be removed.
    """
    ref = ref.strip()
    if not re.fullmatch(r"[0-9a-f]{6,64}", ref):
        raise TrackNotFoundError(
            f"{ref!r} is not a track id (6-16 hex digits, from `catalog show`)"
        )
    if catalog.existing_ids([ref]):
        return ref
    hits = [i for i in catalog.ids() if i.startswith(ref)]
    if len(hits) != 1:
        how = "no track id starts" if not hits else f"{len(hits)} track ids start"
        raise TrackNotFoundError(f"{how} with {ref!r} in {catalog.folder}")
    return hits[0]


def _title_and_path(catalog: Any, track_id: str) -> tuple[str, str]:
    """What a removed track was, for the message; a damaged record still says which."""
    try:
        track = catalog.get(track_id)
    except CatalogError:
        return "(damaged record)", "-"
    return track.title, track.path
