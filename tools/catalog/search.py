"""Fast retrieval shared by the agent and ``linernotes search``: neighbours, text, fusion.

Retrieval only proposes candidates; the judge decides. So the functions here are cheap
(one Chroma query each), return ``Candidate`` lists with cosine similarities, and know
nothing about listening contexts beyond turning them into metadata filters
(``tools.catalog.filters``). A query track may be a catalog track or any audio file on
disk: a file outside the catalog is analysed on the fly with the very backends that
built the catalog (same embedder space, same listener) into an in-memory ``Track``
that is never added to the catalog.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.analysis.same_audio import same_audio_score
from linernotes.tools.audio import AUDIO_EXTENSIONS, broken_link
from linernotes.tools.embed.base import checked_vector
from linernotes.tools.errors import CatalogError, InvalidAudioError, TrackNotFoundError
from linernotes.tools.ingest.discover import is_audio_like
from linernotes.tools.schemas import Candidate, SearchHit, Track
from linernotes.tools.settings import Settings

QUERY_CACHE = 256
"""Query texts whose vectors ``Backends.text_vector`` keeps (oldest dropped first)."""

RRF_K = 60
"""Rank offset of reciprocal rank fusion (Cormack et al. 2009): a list's item at rank r
adds ``weight / (RRF_K + r)``. 60 keeps a rank-1 hit from drowning everything else."""

HYBRID_WEIGHTS: dict[str, float] = {
    "audio": 1.0, "filtered": 1.0, "text": 0.8, "lexical": 1.0, "context": 0.5,
}  # fmt: skip
"""Weight of each candidate list in fusion, by list name (lists not named weigh 1.0).

``audio`` (the anchor's unfiltered audio neighbours: sound alike) and ``filtered`` (its
neighbours among tracks that pass the context's metadata filter: sound alike *and* can
serve the context) weigh the same, so a context-compatible neighbour is never out-ranked
by an incompatible one merely for being closer. ``text`` (the listener's own words) weighs
a little less: offline captions are templated from measurements and say little about
timbre. ``lexical`` (BM25 over titles, artists, tags and captions) weighs like a filter:
a word the listener typed that names a track's genre tag is strong evidence.
``context`` (the context's description against the captions) fits the context but
ignores the anchor's sound, so it only fills in after the anchor's own neighbours.
"""


@dataclass
class Backends:
    """The embedders and listener one catalog was built with, loaded once per process.

    The listener is loaded lazily: only a query file outside the catalog needs it.
    """

    settings: Settings
    audio: Any
    text: Any
    _listener: Any = None
    _external: dict[tuple[str, float, str], tuple[Track, np.ndarray]] = field(default_factory=dict)
    _queries: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def text_vector(self, text: str) -> np.ndarray:
        """``text`` embedded for search (audio space if joint, else caption space), cached.

        Context descriptions recur in every request for that context; embedding one
        costs milliseconds on a CPU, a dict lookup nothing.
        """
        joint = getattr(self.audio, "joint_text", False)
        key = ("audio" if joint else "text", text)
        vec = self._queries.get(key)
        if vec is None:
            model = self.audio.embed_text if joint else self.text.embed
            vec = np.asarray(model([text]), dtype=np.float32)[0]
            if len(self._queries) >= QUERY_CACHE:
                self._queries.pop(next(iter(self._queries)))
            self._queries[key] = vec
        return vec

    @property
    def listener(self) -> Any:
        """The catalog's listener (built on first use)."""
        if self._listener is None:
            from linernotes.tools.listen.factory import make_listener

            self._listener = make_listener(self.settings)
        return self._listener


_BACKENDS: dict[tuple[Any, ...], Backends] = {}
_LOCK = threading.Lock()


def _backend_key(settings: Settings, space: str) -> tuple[Any, ...]:
    """Cache key of the backends: the settings that choose them and the catalog's space."""
    keys = ("embedder", "embedder_weights", "text_embedder", "listener", "listener_model")
    chosen = tuple(str(getattr(settings, k)) for k in (*keys, "listener_url", "adapter"))
    return (*chosen, str(settings.catalog), settings.store, settings.store_url, space)


def load_backends(settings: Settings, space: str) -> Backends:
    """The embedders for a catalog in audio ``space`` (an adapter's wraps it), cached.

    Embedders hold model weights (seconds to load), so every warm call must reuse them.
    """
    key = _backend_key(settings, space)
    with _LOCK:
        if key not in _BACKENDS:
            from linernotes.tools.embed.factory import make_audio_embedder, make_text_embedder

            _BACKENDS[key] = Backends(
                settings, make_audio_embedder(settings, space), make_text_embedder(settings)
            )
        return _BACKENDS[key]


def open_search(settings: Settings) -> tuple[Any, Backends]:
    """The existing catalog these settings name, with the backends it was built with.

    Raises:
        CatalogError: there is no catalog, or it holds no tracks yet.
        SpaceMismatchError: the catalog was built with other embedders.
    """
    from linernotes.tools.catalog.catalog import open_catalog

    catalog = open_catalog(settings, create=False)
    if len(catalog) == 0:
        raise CatalogError(
            f"catalog {catalog.folder} is empty: run `linernotes ingest PATH` or "
            "`linernotes demo` first"
        )
    return catalog, load_backends(settings, catalog.audio_space)


def is_audio_path(ref: str | Path) -> bool:
    """True if ``ref`` names an existing file with an audio extension (the ones ingest tries).

    Decoding then decides whether it really is audio: a ``.au``, ``.caf`` or ``.w64``
    that the UI's upload check had decoded was refused as "not an audio file".
    """
    p = Path(ref).expanduser()
    return is_audio_like(p) and p.is_file()


def local_file_problem(ref: str) -> str | None:
    """Why ``ref``, read as a path on this machine, is no audio file; None if not path-like.

    "no track matches 'album.mp3'" hid that it was a folder, a dangling link or a typo in
    a path. Only for references typed on this machine (command line, terminal chat),
    never for the web UI's text: the answer tells whether a path exists.
    """
    p = Path(ref).expanduser()
    if p.is_dir():
        return "it is a folder, not an audio file"
    broken = broken_link(p)
    if broken:
        return broken
    if p.is_file() and not is_audio_like(p):
        kinds = ", ".join(sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS))
        return f"not an audio file (expected one of: {kinds})"
    if not p.exists() and ("/" in ref or "\\" in ref or is_audio_like(p)):
        return "no such file"
    return None


def explain_missing(error: TrackNotFoundError, ref: str, folder: object) -> TrackNotFoundError:
    """``error``, or one naming what is wrong with ``ref`` as a file (``local_file_problem``)."""
    problem = local_file_problem(ref)
    if problem is None:
        return error
    return TrackNotFoundError(f"cannot use {ref}: {problem}; no track in {folder} has that path")


def analyse_external(path: str | Path, backends: Backends) -> tuple[Track, np.ndarray]:
    """Analyse an audio file outside the catalog into a ``Track`` and its audio vector.

    Uses the catalog's embedder and listener so the vector is comparable with the
    catalog's and the summary reads like theirs. Cached per (path, mtime, space).
    """
    from linernotes.tools.ingest.identity import audio_id
    from linernotes.tools.ingest.pipeline import track_record
    from linernotes.tools.ingest.worker import Failed, analyse_path

    given = Path(path).expanduser()
    p = given.resolve()
    key = (str(p), p.stat().st_mtime, backends.audio.space)
    if key in backends._external:
        return backends._external[key]
    # The ingest worker's own function, run in this process: one file, same checks.
    item = analyse_path(str(p), backends.settings.max_duration_s)
    if isinstance(item, Failed):  # named as given: "cannot decode /etc/passwd" alone puzzled
        linked = f" ({given} links to {p})" if given.is_symlink() else ""
        raise InvalidAudioError(item.reason + linked)
    analysis, tags = item.analysis, item.tags
    heard = backends.listener.listen(p, analysis.measurements, tags)
    vec = checked_vector(backends.audio.embed_audio(p, analysis), p)
    track = track_record(
        audio_id(p),  # the id ingest gives it: a copy of a catalog track is that track
        item,
        heard,
        embedder_space=backends.audio.space,
        text_space=backends.text.space,
    )
    backends._external[key] = (track, vec)
    return track, vec


NEAR_COPY_NEIGHBOURS = 3
"""Nearest catalog tracks by sound that are checked as possible sources of a file."""
NEAR_COPY_SECONDS = 0.25
"""Largest length difference of a re-encode (encoder padding is tens of milliseconds)."""
SAME_AUDIO_MIN = 0.8
"""Spectrogram correlation from which two files are one recording (``same_audio_score``).

Set on the real-music corpus's development packages (bench/near_copy.py): MP3 128 kb/s and
OGG Vorbis q1 mono re-encodes against their originals, other tracks of the same package
against each other; held-out packages reported by the same bench."""


def catalog_copy(catalog: Any, track: Track, vec: np.ndarray) -> Track | None:
    """The catalog track an outside file is a copy of: the same audio id, else a lossy copy."""
    if catalog.existing_ids([track.id]):  # renamed, re-tagged, re-encoded losslessly
        return catalog.get(track.id)
    return same_recording(catalog, track, vec)


def same_recording(catalog: Any, track: Track, vec: np.ndarray) -> Track | None:
    """The catalog track ``track`` is a lossy copy of, if any.

    A byte or sample hash misses a re-encode (an MP3 of a catalog FLAC decodes to other
    samples), and "more like this" then answered with the very song sent as pick #1. The
    audio vector only proposes (nearest tracks of the same length; different songs can sit
    closer than a song's own MP3); the two files' spectrograms decide.
    """
    length = track.measurements.duration_s
    for hit in catalog.query_audio(vec, NEAR_COPY_NEIGHBOURS):
        twin = catalog.get(hit.track_id)
        if abs(twin.measurements.duration_s - length) > NEAR_COPY_SECONDS:
            continue
        try:
            score = same_audio_score(
                track.path, twin.path, min(length, twin.measurements.duration_s)
            )
        except InvalidAudioError:  # the catalog's file moved or went: it cannot be compared
            continue
        if score >= SAME_AUDIO_MIN:
            return twin
    return None


def resolve_query(
    catalog: Any, ref: str | Path | Track, backends: Backends | None
) -> tuple[Track, np.ndarray, bool]:
    """A track reference -> (track, audio vector, in_catalog).

    ``ref`` may be a ``Track``, a track id or id prefix, a title, a catalog path, or an
    audio file outside the catalog (analysed on the fly; needs ``backends``).

    Raises:
        TrackNotFoundError: nothing in the catalog matches and it is not an audio file.
    """
    if isinstance(ref, Track):
        try:
            return ref, catalog.audio_vector(ref.id), True
        except TrackNotFoundError:
            if backends is None or not is_audio_path(ref.path):
                raise
            return _outside(catalog, ref.path, backends)
    if is_audio_path(ref):
        path = str(Path(ref).expanduser().resolve())
        with contextlib.suppress(TrackNotFoundError):  # not in the catalog: analysed below
            track = catalog.resolve(path)
            if track.path == path:
                return track, catalog.audio_vector(track.id), True
        if backends is None:
            raise TrackNotFoundError(f"{ref} is not in the catalog and no embedder was given")
        return _outside(catalog, ref, backends)
    track = catalog.resolve(str(ref))
    return track, catalog.audio_vector(track.id), True


def _outside(catalog: Any, path: str | Path, backends: Backends) -> tuple[Track, np.ndarray, bool]:
    """A file outside the catalog, analysed; the catalog track it is a copy of, if any."""
    track, vec = analyse_external(path, backends)
    twin = catalog_copy(catalog, track, vec)
    return (twin, vec, True) if twin is not None else (track, vec, False)


def similar_to_track(
    catalog: Any,
    track_or_path: str | Path | Track,
    k: int,
    where: dict[str, Any] | None = None,
    exclude: Iterable[str] = (),
    *,
    backends: Backends | None = None,
) -> list[Candidate]:
    """The ``k`` nearest catalog tracks to a track by audio embedding (itself excluded).

    Args:
        catalog: the catalog to search.
        track_or_path: a Track, id, title, or path (a file outside the catalog is
            analysed on the fly with ``backends``).
        k: how many neighbours.
        where: Chroma metadata filter (see ``constraints_to_where``).
        exclude: track ids never returned.
        backends: embedders/listener of the catalog; needed for files outside it.
    """
    track, vec, _ = resolve_query(catalog, track_or_path, backends)
    return catalog.query_audio(vec, k, where=where, exclude={track.id, *exclude})


def search_text(
    catalog: Any,
    text: str,
    k: int,
    where: dict[str, Any] | None = None,
    exclude: Iterable[str] = (),
    *,
    backends: Backends,
) -> list[Candidate]:
    """Tracks whose sound (joint music-text embedders) or caption best matches ``text``.

    Joint embedders (MuQ-MuLan, CLAP) put text in the audio space, which says more about
    the sound than a caption can; otherwise the text is compared with caption vectors.
    """
    vec = backends.text_vector(text)
    if getattr(backends.audio, "joint_text", False):
        hits = catalog.query_audio(vec, k, where=where, exclude=exclude)
    else:
        hits = catalog.query_text(vec, k, where=where, exclude=exclude)
    return [c.model_copy(update={"source": "text"}) for c in hits]


def lexical_search(catalog: Any, text: str, k: int, exclude: Iterable[str] = ()) -> list[Candidate]:
    """BM25 matches of ``text`` over titles, artists, albums, tags and captions.

    ``similarity`` is the BM25 score relative to the best hit (1.0 for the first), as
    BM25 has no fixed scale; fusion only uses the ranks.
    """
    from linernotes.tools.catalog.lexical import lexical_for

    skip = set(exclude)
    hits = [(i, s) for i, s in lexical_for(catalog).search(text, k + len(skip)) if i not in skip]
    top = hits[0][1] if hits and hits[0][1] > 0 else 1.0
    return [
        Candidate(track_id=i, similarity=round(s / top, 4), source="lexical") for i, s in hits[:k]
    ]


def fuse(
    lists: Mapping[str, list[Candidate]],
    k: int,
    weights: Mapping[str, float] | None = None,
) -> list[Candidate]:
    """Weighted reciprocal rank fusion of named candidate lists (see ``HYBRID_WEIGHTS``).

    RRF needs no score calibration, which matters because audio cosines and caption
    cosines live on different scales. For the same reason a fused candidate keeps the
    ``similarity`` of the *first* list (in ``lists`` order) it appears in, never a max
    across scales; ``source`` names every list it came from, first one first
    ("audio+filtered").
    """
    weights = {**HYBRID_WEIGHTS, **(weights or {})}
    score: dict[str, float] = {}
    best: dict[str, Candidate] = {}
    sources: dict[str, list[str]] = {}
    for name, cands in lists.items():
        w = weights.get(name, 1.0)
        for rank, c in enumerate(cands, start=1):
            score[c.track_id] = score.get(c.track_id, 0.0) + w / (RRF_K + rank)
            best.setdefault(c.track_id, c)
            sources.setdefault(c.track_id, []).append(name)
    order = sorted(score, key=lambda i: (-score[i], i))[:k]
    return [
        Candidate(track_id=i, similarity=best[i].similarity, source="+".join(sources[i]))
        for i in order
    ]


def search_words(
    catalog: Any,
    text: str,
    k: int,
    exclude: Iterable[str] = (),
    *,
    backends: Backends,
) -> list[Candidate]:
    """Text search for people: caption (or joint audio) vectors fused with BM25 (RRF).

    "punk rock" then finds the tracks tagged punk rock even where the captions' vectors
    rank other tracks closer; a similarity in the result is the first list's (vectors).
    """
    lists = {
        "text": search_text(catalog, text, k, exclude=exclude, backends=backends),
        "lexical": lexical_search(catalog, text, k, exclude=exclude),
    }
    return fuse(lists, k)


def to_hits(catalog: Any, candidates: list[Candidate]) -> list[SearchHit]:
    """Candidates -> ranked ``SearchHit`` records (one batch fetch; vanished ones dropped)."""
    found = catalog.get_many([c.track_id for c in candidates])
    kept = [(found[c.track_id], c) for c in candidates if c.track_id in found]
    return [
        SearchHit(rank=r, track_id=t.id, path=t.path, title=t.title, score=round(c.similarity, 4))
        for r, (t, c) in enumerate(kept, start=1)
    ]
