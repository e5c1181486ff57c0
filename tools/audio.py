"""Decode, validate, downmix, resample and excerpt audio; read file tags.

Everything that touches an audio file goes through here, so every caller gets the
same checks and the same clear ``InvalidAudioError`` naming the file and the problem.
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from linernotes.tools.errors import InvalidAudioError
from linernotes.tools.schemas import Tags

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".opus"})
MIN_DURATION_S = 1.0
MIN_SAMPLE_RATE = 4000
"""Lowest sample rate taken as audio (telephone speech is 8 kHz, old 'low' WAVs 5.5 kHz).

Below it a header is broken or the file is not sound: an 8 Hz "WAV" analysed as music gave
a tempo of 211 BPM from numbers that were never audio."""
SILENCE_PEAK = 1e-4  # -80 dBFS: below this everywhere, a file holds no music
TAG_MAX_CHARS = 300


@dataclass(frozen=True)
class AudioInfo:
    """Header facts of an audio file, read without decoding the samples."""

    path: Path
    format: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class AudioClip:
    """Decoded, validated mono samples plus the facts of the source they came from."""

    samples: np.ndarray  # float32, shape (n,), mono
    sample_rate: int
    source: AudioInfo | None = None

    @property
    def duration_s(self) -> float:
        """Length of these samples in seconds."""
        return len(self.samples) / self.sample_rate


def broken_link(p: Path) -> str | None:
    """What is wrong with ``p`` as a symlink (dangling, or a loop); None if it is none."""
    if not p.is_symlink():
        return None
    try:
        p.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "it is a symlink loop (it leads back to itself)"
        return f"it links to {os.readlink(p)}, which does not exist"
    return None


def probe(path: str | Path) -> AudioInfo:
    """Read an audio file's header; raise ``InvalidAudioError`` if it is not audio."""
    p = Path(path)
    if p.is_dir():
        raise InvalidAudioError(f"cannot decode {p}: it is a folder, not an audio file")
    broken = broken_link(p)
    if broken:
        raise InvalidAudioError(f"cannot decode {p}: {broken}")
    if not p.is_file():
        raise InvalidAudioError(f"cannot decode {p}: no such file")
    if p.stat().st_size == 0:
        raise InvalidAudioError(f"cannot decode {p}: the file is empty (0 bytes)")
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        reason = str(e)
        if "does not exist" in reason or "not a regular file" in reason:
            # libsndfile's wording for bytes it cannot parse (e.g. a corrupt MP3 frame)
            reason = "not a readable audio file (unknown format or corrupt data)"
        raise InvalidAudioError(f"cannot decode {p}: {reason}") from e
    frames = int(info.frames)
    if frames <= 0 or info.samplerate <= 0:
        raise InvalidAudioError(f"cannot decode {p}: the file holds no audio frames")
    if info.samplerate < MIN_SAMPLE_RATE:
        raise InvalidAudioError(
            f"cannot decode {p}: its sample rate is {info.samplerate} Hz, too low for sound "
            f"(audio files use {MIN_SAMPLE_RATE:,} Hz or more; is the header damaged?)"
        )
    return AudioInfo(p, str(info.format), int(info.samplerate), int(info.channels), frames)


def downmix(y: np.ndarray) -> np.ndarray:
    """Average channels to mono; accepts (n,) or (n, channels)."""
    if y.ndim == 1:
        return y
    if y.ndim != 2:
        raise InvalidAudioError(f"expected mono or multichannel frames, got shape={y.shape}")
    return y.mean(axis=1, dtype=np.float32)


def resample(y: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Resample with soxr (high quality, fast); a no-op when the rates match."""
    if sr_from == sr_to:
        return y.astype(np.float32, copy=False)
    return soxr.resample(y, sr_from, sr_to, quality="HQ").astype(np.float32, copy=False)


def validate_samples(y: np.ndarray, sr: int, name: str, min_duration_s: float = MIN_DURATION_S):
    """Refuse samples that are empty, non-finite, silent or too short, naming ``name``."""
    if y.size == 0:
        raise InvalidAudioError(f"cannot use {name}: no samples")
    if not np.all(np.isfinite(y)):
        bad = int(np.count_nonzero(~np.isfinite(y)))
        raise InvalidAudioError(f"cannot use {name}: {bad} samples are NaN or infinite")
    duration = y.shape[0] / sr
    if duration < min_duration_s:
        raise InvalidAudioError(
            f"cannot use {name}: {math.floor(duration * 100) / 100:.2f} s is shorter than the "
            f"minimum {min_duration_s:g} s"  # floored: "1.00 s is shorter than 1 s" read wrong
        )
    peak = float(np.max(np.abs(y)))
    if peak < SILENCE_PEAK:
        raise InvalidAudioError(f"cannot use {name}: the audio is silent (peak {peak:.1e})")


def full_scale(y: np.ndarray) -> np.ndarray:
    """Validated samples clipped to [-1, 1], as a player would play them.

    A float file may hold any finite value; one at 1e30 decoded fine, then overflowed
    the spectrum to inf, and its record (loudness ``inf``, stored as null) broke every
    later search of the catalog. Clipping keeps what is heard and bounds what is measured.
    """
    if y.size and float(np.max(np.abs(y))) > 1.0:
        return np.clip(y, -1.0, 1.0)
    return y


def load_audio(
    path: str | Path,
    sample_rate: int | None = 22050,
    *,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    max_duration_s: float | None = None,
) -> AudioClip:
    """Decode a file to validated mono float32 at ``sample_rate`` (None keeps the source rate).

    ``offset_s``/``duration_s`` read only a window, so callers that need an excerpt of a long
    file do not decode all of it. ``max_duration_s`` refuses files that are too long.
    """
    info = probe(path)
    if max_duration_s is not None and info.duration_s > max_duration_s:
        raise InvalidAudioError(
            f"cannot use {info.path}: {info.duration_s:.0f} s is longer than the limit "
            f"{max_duration_s:g} s"
        )
    start = int(offset_s * info.sample_rate)
    frames = -1 if duration_s is None else int(duration_s * info.sample_rate)
    try:
        y, sr = sf.read(str(info.path), start=start, frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise InvalidAudioError(f"cannot decode {info.path}: {e}") from e
    mono = downmix(y)
    name = str(info.path)
    validate_samples(mono, sr, name, min_duration_s=min(MIN_DURATION_S, duration_s or 1e9))
    target = sample_rate or sr
    return AudioClip(resample(full_scale(mono), sr, target), target, info)


def excerpt_starts(total_s: float, length_s: float, count: int) -> list[float]:
    """Start times of up to ``count`` non-overlapping excerpts spread over a track.

    A track no longer than ``length_s`` gives one excerpt from 0. Longer tracks skip the
    first and last 10 % (intros and fade-outs rarely represent a track) when they can.
    """
    if total_s <= length_s or count <= 1:
        return [max(0.0, (total_s - length_s) / 2) if count == 1 and total_s > length_s else 0.0]
    lo, hi = 0.1 * total_s, 0.9 * total_s - length_s
    if hi <= lo:
        lo, hi = 0.0, total_s - length_s
    n = min(count, max(1, int((hi - lo) // length_s) + 1))
    if n == 1:
        return [(lo + hi) / 2]
    return [lo + i * (hi - lo) / (n - 1) for i in range(n)]


def excerpts(clip: AudioClip, length_s: float = 30.0, count: int = 3) -> list[AudioClip]:
    """Cut up to ``count`` representative excerpts of at most ``length_s`` from a clip."""
    sr = clip.sample_rate
    out = []
    for start in excerpt_starts(clip.duration_s, length_s, count):
        a = int(start * sr)
        out.append(AudioClip(clip.samples[a : a + int(length_s * sr)], sr, clip.source))
    return out


def to_wav_bytes(y: np.ndarray, sample_rate: int) -> bytes:
    """Encode mono float samples as 16-bit PCM WAV bytes (what audio LLM APIs accept)."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(y, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def content_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the SHA-256 of the file's bytes (hex, 16 chars): a track's id.

    The id follows the content, so a renamed or moved file is recognised as the same track.
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()[:16]


def clean_tag(value: object) -> str | None:
    """Turn a raw tag into bounded plain text (tags are data, never instructions).

    Control characters become spaces and invisible format characters go: a tag with a
    terminal escape (ESC [2J) or a bell would act on the terminal that prints a pick
    list, and a right-to-left override would show a title reversed. The zero-width joiner
    of emoji sequences stays.
    """
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
        if value is None:
            return None
    text = "".join(_visible(ch) for ch in str(value))
    text = " ".join(text.split())
    return text[:TAG_MAX_CHARS] or None


def _visible(ch: str) -> str:
    kind = unicodedata.category(ch)
    if kind == "Cc":
        return " "
    if kind in ("Cf", "Cs", "Co", "Cn") and ch != "\u200d":
        return ""
    return ch


def read_tags(path: str | Path) -> Tags:
    """Read title, artist, album, genre and comment tags; missing ones stay None."""
    p = Path(path)
    values: dict[str, str | None] = {}
    import mutagen

    # Tags are optional and come from anywhere: a damaged tag block must cost the tags, never
    # the song. Mutagen's parsers raise what they meet (IndexError, struct.error, ...) on
    # fuzzed headers of files that still decode, hence the broad catch around them only.
    try:
        f = mutagen.File(str(p), easy=True)
    except Exception:  # see above
        f = None  # no readable tag block: fall back to libsndfile's RIFF/Vorbis metadata
    if f is not None and f.tags is not None:
        for key in ("title", "artist", "album", "genre", "comment"):
            try:
                values[key] = clean_tag(f.tags.get(key))
            except Exception:  # a malformed frame of one tag
                values[key] = None
    if not any(values.values()):
        try:
            with sf.SoundFile(str(p)) as s:
                meta = s.copy_metadata()
            for key in ("title", "artist", "album", "genre", "comment"):
                values[key] = clean_tag(meta.get(key))
        except (sf.LibsndfileError, RuntimeError, TypeError):
            pass
    return Tags(**values)
