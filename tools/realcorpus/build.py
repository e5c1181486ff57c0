"""Build the real-music corpus: download Debian packages, keep only their music, write a manifest.

Steps, each skipped when its output exists (so an interrupted run resumes):
1. ``apt-get download`` each package's .deb into ``OUT/debs`` (``apt-get update`` first
   when apt does not know a package).
2. ``dpkg-deb -x`` each into ``OUT/extract/<package>``.
3. Find music by content, not by name (blobwars ships extensionless Ogg files): Ogg,
   FLAC, WAV, MP3, WavPack, tracker modules, MIDI. Sound effects and ambience are left
   out: a file is music when it is a module or MIDI, or lives under a music-like folder,
   or lasts 60 s or more, and in every case is no ambience/speech loop by name and lasts
   at least 30 s.
4. De-duplicate by the SHA-256 of the source file, then write playable audio to
   ``OUT/audio/<package>/``: modules rendered by ``openmpt123`` (first sub-song, no
   repeats, at most 10 min), MIDI by TinySoundFont with the General MIDI SoundFont that
   ships with pretty_midi, WavPack converted by ``ffmpeg``; Ogg/FLAC/WAV/MP3 linked as is.
5. ``OUT/manifest.csv``: path, package, split, source, kind, title, artist, album,
   genre, tags, duration_s, tempo_bpm, key, mode, voice, sha256 (tempo/key only where
   the module or MIDI header states them; voice "instrumental" for MIDI files that use no
   voice-like General MIDI program).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from linernotes.tools.errors import ConfigError
from linernotes.tools.realcorpus.labels import FileLabels, midi_labels, module_labels, sniff_kind
from linernotes.tools.realcorpus.packages import PACKAGES, split_of

MIN_MUSIC_S = 30.0
MIN_UNNAMED_MUSIC_S = 60.0
MAX_RENDER_S = 600
RENDER_SR = 44100
MUSIC_DIRS = re.compile(r"(^|/)(music|musics|mus|songs?|bgm|soundtrack|tracks?)(/|$)", re.I)
NOT_MUSIC = re.compile(r"ambien|wind|rain|crowd|engine|noise|water|fire|voice|speech|sfx", re.I)
MODULE_KINDS = ("xm", "s3m", "it", "mod")
_SYNTH_LOCK = threading.Lock()  # the demo's SoundFont synth is one shared object per rate
MANIFEST_FIELDS = ("path", "package", "split", "source", "kind", "title", "artist", "album",
                   "genre", "tags", "duration_s", "tempo_bpm", "key", "mode", "voice",
                   "sha256")  # fmt: skip


@dataclass
class Entry:
    """One manifest row (see MANIFEST_FIELDS)."""

    path: str
    package: str
    split: str
    source: str
    kind: str
    title: str
    artist: str
    album: str
    genre: str
    tags: str
    duration_s: float
    tempo_bpm: float | None
    key: str | None
    mode: str | None
    voice: str  # "instrumental" where the file rules a voice out (MIDI), else ""
    sha256: str


def default_out() -> Path:
    """``$LINERNOTES_REAL_CORPUS`` or ~/.cache/linernotes/real-corpus."""
    env = os.environ.get("LINERNOTES_REAL_CORPUS")
    return Path(env) if env else Path.home() / ".cache" / "linernotes" / "real-corpus"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)  # type: ignore[call-overload,no-any-return]


def ensure_tools() -> None:
    """Install openmpt123 and ffmpeg from Debian when missing (needs root, like .ci/run).

    Raises:
        ConfigError: a tool is missing and cannot be installed (not root, no apt).
    """
    missing = [t for t in ("openmpt123", "ffmpeg", "ffprobe", "dpkg-deb") if not shutil.which(t)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ConfigError(
            f"the real corpus needs {', '.join(missing)}: run as root on Debian/Ubuntu "
            "(make real-corpus installs them with apt-get) or install them yourself"
        )
    _run(["apt-get", "update", "-qq"])
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "install", "-y", "-qq", "openmpt123", "ffmpeg"], env=env)


def download(packages: tuple[str, ...], debs: Path) -> dict[str, Path]:
    """``apt-get download`` what is not in ``debs`` yet; returns package -> .deb path."""
    debs.mkdir(parents=True, exist_ok=True)

    def have() -> dict[str, Path]:
        return {p.name.split("_", 1)[0]: p for p in debs.glob("*.deb")}

    todo = [p for p in packages if p not in have()]
    if todo:
        known = _run(["apt-cache", "policy", *todo]).stdout
        if "Candidate: (none)" in known or known.count("Candidate:") < len(todo):
            _run(["apt-get", "update", "-qq"])
        for pkg in todo:  # one by one, so one missing package does not stop the rest
            done = subprocess.run(["apt-get", "download", pkg], cwd=debs, capture_output=True)
            if done.returncode != 0:
                print(f"skipped {pkg}: apt-get download failed: {done.stderr.decode()[-200:]}")
    return {k: v for k, v in have().items() if k in packages}


def extract(deb: Path, into: Path) -> Path:
    """Unpack a .deb once (a ``.done`` marker makes reruns free)."""
    if not (into / ".done").exists():
        shutil.rmtree(into, ignore_errors=True)
        into.mkdir(parents=True)
        _run(["dpkg-deb", "-x", str(deb), str(into)])
        (into / ".done").touch()
    return into


def candidates(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, kind) for every file under ``root`` whose content is audio, module or MIDI."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size < 2000:
            continue
        with path.open("rb") as f:
            kind = sniff_kind(f.read(1084))
        if kind is not None:
            yield path, kind


def _probe(path: Path) -> tuple[float, dict[str, str]]:
    """Duration (s) and lower-cased tags of an audio file, via ffprobe."""
    out = _run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]
    )
    info = json.loads(out.stdout)
    tags = {k.lower(): str(v) for k, v in info.get("format", {}).get("tags", {}).items()}
    for stream in info.get("streams", []):
        tags.update({k.lower(): str(v) for k, v in stream.get("tags", {}).items()})
    return float(info.get("format", {}).get("duration", 0.0) or 0.0), tags


def _sidecar_tags(path: Path) -> dict[str, str]:
    """``name.tags`` key=value files next to the audio (blobwars ships these)."""
    side = path.with_name(path.name + ".tags")
    if not side.is_file():
        return {}
    pairs = (line.split("=", 1) for line in side.read_text("utf-8", "replace").splitlines())
    return {k.strip().lower(): v.strip() for k, v in (p for p in pairs if len(p) == 2)}


def _render_midi(src: Path, dst: Path) -> None:
    import pretty_midi

    from linernotes.tools.demo.synth import render_instrument

    pm = pretty_midi.PrettyMIDI(str(src))
    n = int(min(pm.get_end_time() + 1.0, MAX_RENDER_S) * RENDER_SR)
    mix = np.zeros((n, 2), dtype=np.float32)
    for inst in pm.instruments:
        mix += render_instrument(inst, n, RENDER_SR)
    peak = float(np.max(np.abs(mix))) or 1.0
    sf.write(dst, mix / peak * 0.9, RENDER_SR, format="FLAC")


def to_audio(src: Path, kind: str, dst_stem: Path) -> Path:
    """Playable audio for one source file (rendered or linked); returns its path."""
    if kind in ("ogg", "flac", "wav", "mp3"):
        dst = dst_stem.with_suffix("." + kind)
        if not dst.exists():
            os.link(src, dst) if src.stat().st_dev == dst.parent.stat().st_dev else shutil.copy(
                src, dst
            )
        return dst
    dst = dst_stem.with_suffix(".flac")
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".part.flac")
    if kind in MODULE_KINDS:
        opts = ["--batch", "--quiet", "--subsong", "0", "--repeat", "0", "--no-float",
                "--end-time", str(MAX_RENDER_S), "--samplerate", str(RENDER_SR)]  # fmt: skip
        _run(["openmpt123", *opts, "--force", "-o", str(tmp), str(src)])
    elif kind == "midi":
        with _SYNTH_LOCK:
            _render_midi(src, tmp)
    else:  # wavpack
        _run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-f", "flac", str(tmp)])
    tmp.rename(dst)
    return dst


def _is_music(rel: str, kind: str, duration: float) -> bool:
    name_ok = not NOT_MUSIC.search(Path(rel).stem)
    if duration < MIN_MUSIC_S or not name_ok:
        return False
    return (
        kind in (*MODULE_KINDS, "midi")
        or bool(MUSIC_DIRS.search(rel))
        or (duration >= MIN_UNNAMED_MUSIC_S)
    )


def _labels(src: Path, kind: str) -> FileLabels:
    try:
        if kind in MODULE_KINDS:
            return module_labels(src, kind)
        if kind == "midi":
            return midi_labels(src)
    except Exception as e:  # a damaged header is a missing label, not a broken corpus
        print(f"no labels from {src.name}: {e}")
    return FileLabels("audio")


def _entry(pkg: str, root: Path, src: Path, kind: str, sha: str, out: Path) -> Entry | None:
    rel = str(src.relative_to(root))
    dst_dir = out / "audio" / pkg
    dst_dir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", rel.replace("/", "__"))
    try:
        if kind not in (*MODULE_KINDS, "midi"):  # decide before converting: most are effects
            duration, _ = _probe(src)
            if not _is_music(rel, kind, duration):
                return None
        audio = to_audio(src, kind, dst_dir / stem)
        duration, tags = _probe(audio)
    except (subprocess.CalledProcessError, OSError, RuntimeError, ValueError) as e:
        print(f"skipped {pkg}:{rel}: {e}")
        return None
    if not _is_music(rel, kind, duration):
        audio.unlink(missing_ok=True)  # a link or a render of a sound effect
        return None
    tags |= _sidecar_tags(src)
    labels = _labels(src, kind)
    words = sorted({t for k in ("genre", "comment", "description") for t in [tags.get(k, "")] if t})
    return Entry(
        path=str(audio.relative_to(out)),
        package=pkg,
        split=split_of(pkg),
        source=rel,
        kind=kind,
        title=tags.get("title") or labels.title or Path(rel).stem,
        artist=tags.get("artist", ""),
        album=tags.get("album", ""),
        genre=tags.get("genre", ""),
        tags="; ".join(words),
        duration_s=round(duration, 2),
        tempo_bpm=labels.tempo_bpm,
        key=labels.key,
        mode=labels.mode,
        voice=labels.voice,
        sha256=sha,
    )


def build(out: Path, packages: tuple[str, ...] = PACKAGES, jobs: int = 2) -> list[Entry]:
    """Run every step and write ``out/manifest.csv``; returns its rows."""
    ensure_tools()
    debs = download(packages, out / "debs")
    seen: set[str] = set()
    work: list[tuple[str, Path, Path, str, str]] = []
    for pkg in packages:
        if pkg not in debs:
            continue
        root = extract(debs[pkg], out / "extract" / pkg)
        for src, kind in candidates(root):
            sha = hashlib.sha256(src.read_bytes()).hexdigest()
            if sha not in seen:
                seen.add(sha)
                work.append((pkg, root, src, kind, sha))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        entries = pool.map(lambda w: _entry(w[0], w[1], w[2], w[3], w[4], out), work)
        rows = [e for e in entries if e is not None]
    write_manifest(out / "manifest.csv", rows)
    return rows


def write_manifest(path: Path, rows: list[Entry]) -> None:
    """Write the manifest CSV (MANIFEST_FIELDS order; empty cells for unknown labels)."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in asdict(row).items()})


def read_manifest(out: Path) -> list[dict[str, str]]:
    """The manifest rows of a built corpus, each with its package's current split.

    Raises:
        ConfigError: no manifest there (run ``make real-corpus`` first).
    """
    path = out / "manifest.csv"
    if not path.is_file():
        raise ConfigError(
            f"no real-music corpus at {out} (missing manifest.csv): run `make real-corpus` "
            "or `python -m linernotes.tools.realcorpus --out DIR` first"
        )
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:  # the fixed lists in packages.py decide, whatever the corpus was built with
        r["split"] = split_of(r["package"])
    return rows
