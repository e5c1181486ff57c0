"""Write the demo catalog: rendered FLAC files with tags, and ``manifest.csv``.

Idempotent and resumable: ``demo.json`` in the folder records the parameters the files
were made with. A second call with the same parameters finds every file and returns
at once; a call interrupted half-way renders only what is missing (each file is written
to a temporary name and renamed, so a file that exists is complete); a call with other
parameters first removes the files it made before, then renders anew.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import soundfile as sf
from tqdm import tqdm

from linernotes.tools.demo.plan import TrackSpec, plan_catalog
from linernotes.tools.demo.render import SAMPLE_RATE, render_track

GENERATOR_VERSION = 2
"""Bump when composition or rendering changes, so old folders are rendered again."""
MANIFEST = "manifest.csv"
PARAMS = "demo.json"
MANIFEST_COLUMNS: tuple[str, ...] = (
    "path",
    "title",
    "style",
    "bpm",
    "key",
    "mode",
    "energy",
    "has_voice",
    "instruments",
    "study_ok",
    "workout_ok",
    "artist",
    "album",
    "duration_s",
)
COMMENT = "linernotes synthetic demo track"


def build_demo(folder: Path, n_tracks: int = 120, seed: int = 0, progress: bool = True) -> Path:
    """Render ``n_tracks`` labelled demo tracks into ``folder``; return the manifest's path.

    Args:
        folder: where the FLAC files, ``manifest.csv`` and ``demo.json`` go (created).
        n_tracks: how many tracks (spread evenly over the styles; 120 = 10 per style).
        seed: the catalog is a pure function of ``(n_tracks, seed)``.
        progress: show a progress bar with counts and ETA.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    specs = plan_catalog(n_tracks, seed)
    params = {
        "generator": GENERATOR_VERSION,
        "n_tracks": n_tracks,
        "seed": seed,
        "sample_rate": SAMPLE_RATE,
    }
    manifest = folder / MANIFEST
    if _read_params(folder) != params:
        _remove_previous(folder, specs)
        _write_atomic(folder / PARAMS, json.dumps(params, indent=2) + "\n")
    elif manifest.is_file() and all((folder / s.filename).is_file() for s in specs):
        return manifest
    todo = [s for s in specs if not (folder / s.filename).is_file()]
    for spec in tqdm(todo, desc="rendering demo", unit="track", disable=not progress):
        write_track(spec, folder / spec.filename)
    rows = [manifest_row(s) for s in specs]
    tmp = manifest.with_name(f".{MANIFEST}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, manifest)
    return manifest


def write_track(spec: TrackSpec, path: Path) -> None:
    """Render ``spec`` and write it as 16-bit stereo FLAC with its tags, atomically."""
    audio = render_track(spec, SAMPLE_RATE)
    tmp = path.with_name(f".{path.name}.tmp")
    with sf.SoundFile(
        tmp, "w", samplerate=SAMPLE_RATE, channels=2, format="FLAC", subtype="PCM_16"
    ) as f:
        f.title = spec.title  # string metadata must be set before the first frames
        f.artist = spec.artist
        f.album = spec.album
        f.genre = spec.style
        f.comment = COMMENT
        f.write(audio)
    os.replace(tmp, path)


def manifest_row(spec: TrackSpec) -> dict[str, str | int]:
    """The manifest line of one track (paths relative to the manifest's folder)."""
    return {
        "path": spec.filename,
        "title": spec.title,
        "style": spec.style,
        "bpm": spec.bpm,
        "key": spec.key,
        "mode": spec.mode,
        "energy": spec.energy,
        "has_voice": int(spec.has_voice),
        "instruments": ";".join(spec.instruments),
        "study_ok": int(spec.study_ok),
        "workout_ok": int(spec.workout_ok),
        "artist": spec.artist,
        "album": spec.album,
        "duration_s": f"{spec.duration_s:.2f}",
    }


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a demo manifest, with ``path`` made absolute (it is stored relative)."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["path"] = str((path.parent / row["path"]).resolve())
    return rows


def _read_params(folder: Path) -> dict[str, int] | None:
    try:
        data = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _remove_previous(folder: Path, specs: list[TrackSpec]) -> None:
    """Delete files an earlier build made (listed in its manifest) or that this plan names.

    They were made with other parameters, so none can be reused, and leaving them would
    put stray tracks in the folder that ingest reads.
    """
    names = {s.filename for s in specs}
    old = folder / MANIFEST
    if old.is_file():
        with old.open(newline="", encoding="utf-8") as f:
            names |= {row["path"] for row in csv.DictReader(f) if row.get("path")}
        old.unlink()
    for name in names:
        candidate = folder / name
        if candidate.parent == folder and candidate.suffix == ".flac" and candidate.is_file():
            candidate.unlink()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
