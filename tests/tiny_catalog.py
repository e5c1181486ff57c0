"""A tiny, hand-made catalog for agent and search unit tests (no audio, no models).

Fourteen tracks in four groups whose audio vectors cluster by sound: loud techno, calm
"dub techno" that shares techno's timbre, lo-fi, and sung pop. Summaries and captions
come from the real offline MIR listener over hand-set measurements, so the judge reads
exactly what it reads on a real catalog. Embedders are deterministic fakes: audio vectors
are fixed per group plus a per-track offset; text is a hashed bag of words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from factories import measurements

from linernotes.tools.schemas import Provenance, Tags, Track

AUDIO_SPACE = "fake-audio-v1"
TEXT_SPACE = "fake-text-v1"
DIM = 16


class FakeTextEmbedder:
    """Hashed bag of words, L2-normalised: same words -> close vectors; deterministic."""

    space = TEXT_SPACE
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
            out[i] /= max(np.linalg.norm(out[i]), 1e-9)
        return out


class FakeAudioEmbedder:
    """Stands in for the acoustic embedder; files outside the catalog are not supported."""

    space = AUDIO_SPACE
    dim = DIM
    joint_text = False

    def embed_audio(self, path: Path, analysis: object) -> np.ndarray:
        raise NotImplementedError("the tiny catalog has no audio")

    def embed_text(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError("not a joint embedder")


@dataclass(frozen=True)
class Group:
    name: str
    genre: str
    bpm: float
    energy: float
    voice: float
    percussive: float
    base: int  # which axis of the audio space the group sits on


GROUPS = (
    Group("techno", "techno", 128, 0.82, 0.05, 0.8, 0),
    Group("dub", "techno", 112, 0.34, 0.05, 0.5, 0),  # calm, same timbre axis as techno
    Group("lofi", "lo-fi hip hop", 78, 0.22, 0.08, 0.4, 1),
    Group("pop", "pop", 104, 0.6, 0.92, 0.5, 2),
)
COUNTS = {"techno": 4, "dub": 3, "lofi": 4, "pop": 3}


def _vector(group: Group, i: int) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[group.base] = 1.0
    if group.name == "dub":  # same axis as techno, a small step away from it
        v[3] = 0.45
    v[4 + (i % 8)] += 0.15 + 0.02 * i
    return v / np.linalg.norm(v)


def make_tracks(root: Path) -> tuple[list[Track], np.ndarray]:
    """The tracks (paths under ``root``; the files need not exist) and audio vectors."""
    from linernotes.tools.listen.mir import MirListener

    listener = MirListener()
    tracks, vecs = [], []
    for group in GROUPS:
        for i in range(COUNTS[group.name]):
            title = f"{group.name.title()} {i + 1}"
            energy = min(0.99, group.energy + 0.02 * i)
            m = measurements(
                tempo_bpm=group.bpm + i,
                key_confidence=0.6,
                loudness_db=-30 + 20 * energy,
                energy=energy,
                brightness_hz=1500 + 2000 * energy,
                percussiveness=group.percussive,
                dynamics_db=8.0,
                onset_rate=2 + 4 * energy,
                voice_probability=group.voice,
            )
            tags = Tags(title=title, genre=group.genre)
            path = root / f"{group.name}_{i + 1}.wav"
            heard = listener.listen(path, m, tags)
            tracks.append(
                Track(
                    id=hashlib.sha1(title.encode()).hexdigest()[:16],
                    path=str(path),
                    title=title,
                    genre_tag=group.genre,
                    format="WAV",
                    sample_rate=22050,
                    channels=1,
                    measurements=m,
                    summary=heard.summary,
                    caption=heard.caption,
                    provenance=Provenance(
                        listener=heard.listener,
                        embedder_space=AUDIO_SPACE,
                        text_space=TEXT_SPACE,
                    ),
                )
            )
            vecs.append(_vector(group, i))
    return tracks, np.stack(vecs)


def build(folder: Path):
    """Create the catalog in ``folder``; return (settings, catalog, backends, tracks)."""
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.catalog.search import Backends
    from linernotes.tools.settings import load_settings

    settings = load_settings(catalog=folder)
    catalog = Catalog.open(settings, AUDIO_SPACE, TEXT_SPACE)
    tracks, vecs = make_tracks(folder / "audio")
    text = FakeTextEmbedder()
    catalog.upsert(tracks, vecs, text.embed([t.caption for t in tracks]))
    backends = Backends(settings, FakeAudioEmbedder(), text)
    return settings, catalog, backends, tracks


def by_title(tracks: list[Track]) -> dict[str, Track]:
    """Tracks by title."""
    return {t.title: t for t in tracks}
