"""Caption cache keyed by (content hash, model, prompt version) and the recaption step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from factories import measurements

from linernotes.tools.listen.base import ListenResult
from linernotes.tools.listen.cache import CachedListener, CaptionCache
from linernotes.tools.listen.mir import MirListener
from linernotes.tools.listen.recaption import is_flagged, recaption
from linernotes.tools.schemas import Provenance, Tags, Track, TrackSummary

M = measurements(
    duration_s=100,
    tempo_bpm=170,
    tempo_confidence=0.9,
    loudness_db=-7,
    energy=0.93,
    brightness_hz=3400,
    percussiveness=0.75,
    dynamics_db=5,
    onset_rate=7,
    voice_probability=0.9,
)


class CountingListener:
    name = "fake"
    model = "fake-model"
    prompt_version = "v1"

    def __init__(self):
        self.calls = 0

    def listen(self, path, measurements, tags):
        self.calls += 1
        return MirListener().listen(path, measurements, tags)


def test_cache_reuses_by_content_hash_and_separates_versions(tmp_path):
    f = tmp_path / "a.wav"
    f.write_bytes(b"same bytes")
    g = tmp_path / "moved.wav"
    g.write_bytes(b"same bytes")
    cache = CaptionCache.for_catalog(tmp_path / "catalog")
    inner = CountingListener()
    cached = CachedListener(inner, cache)
    a = cached.listen(f, M, Tags())
    b = cached.listen(g, M, Tags())  # a moved copy: same content hash, no new caption
    assert inner.calls == 1 and cached.hits == 1 and a == b
    inner.prompt_version = "v2"
    CachedListener(inner, cache).listen(f, M, Tags())
    assert inner.calls == 2 and len(cache) == 2
    again = CaptionCache(tmp_path / "catalog" / "captions.sqlite")  # survives reopening
    r = again.get(next(iter([cached_id(f)])), "fake-model", "v2")
    assert isinstance(r, ListenResult) and isinstance(r.summary, TrackSummary)


def cached_id(path: Path) -> str:
    from linernotes.tools.audio import content_hash

    return content_hash(path)


class FakeCatalog:
    def __init__(self, tracks):
        self._tracks = {t.id: t for t in tracks}
        self.upserted = None

    def tracks(self):
        return list(self._tracks.values())

    def audio_vectors(self, ids):
        return np.ones((len(ids), 4), np.float32)

    def upsert(self, tracks, audio, text):
        self.upserted = (tracks, audio, text)


class FakeText:
    def embed(self, texts):
        return np.zeros((len(texts), 3), np.float32)


def track(i: int, caption: str, contradictions: list[str]) -> Track:
    return Track(
        id=f"{i:016x}",
        path=f"/music/{i}.wav",
        title=f"t{i}",
        format="WAV",
        sample_rate=44100,
        channels=2,
        measurements=M,
        summary=TrackSummary(description="x"),
        caption=caption,
        provenance=Provenance(
            listener="openai",
            listener_model="qwen2",
            embedder_space="a",
            text_space="b",
            consistency=0.5 if contradictions else 1.0,
            contradictions=contradictions,
        ),
    )


def test_recaption_flagged_only():
    bad = track(1, "A slow synth pop ballad.", ["tempo: caption says 'slow'..."])
    good = track(2, "A very fast punk song.", [])
    cat = FakeCatalog([bad, good])
    assert is_flagged(bad) and not is_flagged(good)
    report = recaption(cat, MirListener(), FakeText())
    assert (report.selected, report.recaptioned, report.still_flagged) == (1, 1, 0)
    (new,), audio, text_vecs = cat.upserted
    assert new.id == bad.id and new.provenance.listener == "mir"
    assert new.provenance.contradictions == [] and new.caption != bad.caption
    assert new.provenance.embedder_space == "a" and audio.shape == (1, 4)
    assert text_vecs.shape == (1, 3)
