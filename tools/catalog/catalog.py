"""The catalog: tracks, their audio and caption vectors in Chroma, side records in SQLite.

One catalog folder holds one embedded Chroma store (or points at a Chroma server),
``records.sqlite`` (skips, verdicts, feedback, the spaces it was built with) and, for the
demo, the audio itself. Vectors from different embedding spaces never share a collection:
each collection is named after its space, and opening a catalog with another space than
the one it was built with raises ``SpaceMismatchError`` naming both.

Embedding adapters (``tools.feedback.adapter_store``) add spaces (``acoustic-v1+adapter-v2``),
each in its own collection; meta ``spaces`` names the active one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.analysis.scales import likely_voiced
from linernotes.tools.catalog.lexical import keep_in_step
from linernotes.tools.catalog.records import Records
from linernotes.tools.catalog.vectors import VectorCollection
from linernotes.tools.errors import CatalogError, SpaceMismatchError, TrackNotFoundError
from linernotes.tools.schemas import Candidate, Track, Verdict
from linernotes.tools.settings import Settings


def collection_name(kind: str, space: str) -> str:
    """Chroma collection name for vectors of ``kind`` ('audio'/'captions') in ``space``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", space).strip("-.")
    return f"{kind}-{slug}"


def track_metadata(track: Track) -> dict[str, Any]:
    """Scalar metadata stored with each vector so searches can filter on it."""
    m, s = track.measurements, track.summary
    return {
        "title": track.title,
        "energy_level": s.energy_level or "",
        "energy": float(m.energy),
        "tempo_bpm": float(m.tempo_bpm),
        "has_voice": likely_voiced(m.voice_probability),
        "voice_probability": float(m.voice_probability),
        "mode": m.mode,
        "key": m.key,
        "genre_tag": (track.genre_tag or "").lower(),
        "duration_s": float(m.duration_s),
        "listener": track.provenance.listener,
    }


class Catalog:
    """Read and write one catalog. Build it with ``Catalog.open`` or ``open_catalog``."""

    def __init__(
        self, folder: Path, client: Any, audio_space: str, text_space: str, records: Records
    ) -> None:
        self.folder = folder
        self.client = client
        self.audio_space = audio_space
        self.text_space = text_space
        self.records = records
        self._audio = VectorCollection(
            client, collection_name("audio", audio_space), audio_space, "audio"
        )
        self._text = VectorCollection(
            client, collection_name("captions", text_space), text_space, "captions"
        )
        self._tracks: dict[str, Track] | None = None

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings,
        audio_space: str,
        text_space: str,
        *,
        create: bool = True,
        client: Any = None,
    ) -> Catalog:
        """Open (or create) the catalog in ``settings.catalog`` for the given spaces.

        Raises:
            CatalogError: the folder holds no catalog and ``create`` is False.
            SpaceMismatchError: the catalog was built with other embedding spaces.
        """
        folder = Path(settings.catalog).expanduser().resolve()
        records_path = folder / "records.sqlite"
        if not create and not records_path.exists():
            raise CatalogError(
                f"no catalog at {folder}: run `linernotes ingest PATH` or `linernotes demo` "
                "first, or set LINERNOTES_CATALOG"
            )
        records = Records(records_path)
        built = records.get_meta("spaces")
        wanted = {"audio": audio_space, "text": text_space}
        if built is None:
            records.set_meta("spaces", wanted)
        else:
            for kind in ("audio", "text"):
                if built[kind] != wanted[kind]:
                    records.close()
                    raise SpaceMismatchError(
                        f"catalog {folder} was built with {kind} embedding space "
                        f"{built[kind]!r}, but this run uses {wanted[kind]!r}; vectors from "
                        "different spaces cannot be compared. Use the embedder the catalog "
                        "was built with, or ingest into a new catalog folder."
                    )
        if client is None:
            from linernotes.tools.catalog.store import make_client

            client = make_client(settings)
        return cls(folder, client, audio_space, text_space, records)

    # -- spaces (embedding adapters) -----------------------------------------------------
    def space_view(self, audio_space: str) -> Catalog:
        """This catalog seen through another audio space's collection (created if absent).

        For re-indexing and training only: it shares the folder, client and records, does
        not change the active space, and its queries answer in ``audio_space``.
        """
        if audio_space == self.audio_space:
            return self
        return Catalog(self.folder, self.client, audio_space, self.text_space, self.records)

    def upsert_audio(self, tracks: list[Track], audio_vecs: np.ndarray) -> None:
        """Index existing tracks' audio vectors in this catalog's audio space (re-indexing).

        Captions are untouched; each record's ``provenance.embedder_space`` becomes this
        space, so a track record always names the space of the vector beside it.
        """
        space = {"embedder_space": self.audio_space}
        moved = [t.model_copy(update={"provenance": t.provenance.model_copy(update=space)})
                 for t in tracks]  # fmt: skip
        self._audio.upsert(
            [t.id for t in moved],
            audio_vecs,
            [track_metadata(t) for t in moved],
            [t.model_dump_json() for t in moved],
        )
        if self._tracks is not None:
            self._tracks.update({t.id: t for t in moved})

    # -- writing ---------------------------------------------------------------------
    def upsert(self, tracks: list[Track], audio_vecs: np.ndarray, text_vecs: np.ndarray) -> None:
        """Insert or replace tracks with their audio and caption vectors (same order)."""
        if not tracks:
            return
        if len(tracks) != len(audio_vecs) or len(tracks) != len(text_vecs):
            raise CatalogError(
                f"upsert needs one vector per track: {len(tracks)} tracks, "
                f"{len(audio_vecs)} audio vectors, {len(text_vecs)} caption vectors"
            )
        for t in tracks:
            if t.provenance.embedder_space != self.audio_space:
                raise SpaceMismatchError(
                    f"track {t.id} was embedded in {t.provenance.embedder_space!r}, "
                    f"but this catalog holds {self.audio_space!r}"
                )
        ids = [t.id for t in tracks]
        metas = [track_metadata(t) for t in tracks]
        # Captions first: existing_ids() reads the audio collection, so a kill between the
        # two writes leaves a track that is re-ingested, never one without its caption.
        self._text.upsert(ids, text_vecs, metas, [t.caption for t in tracks])
        self._audio.upsert(ids, audio_vecs, metas, [t.model_dump_json() for t in tracks])
        if self._tracks is not None:
            self._tracks.update({t.id: t for t in tracks})
        keep_in_step(self, tracks)  # the lexical index (titles, tags, captions) follows

    def delete(self, ids: Iterable[str]) -> list[str]:
        """Remove tracks (record, audio and caption vectors); returns the ids that existed."""
        wanted = list(dict.fromkeys(ids))
        found = sorted(self.existing_ids(wanted))
        # Audio first: existing_ids() reads it, so a kill in between leaves no half track.
        self._audio.delete(found)
        self._text.delete(found)
        if self._tracks is not None:
            for track_id in found:
                self._tracks.pop(track_id, None)
        return found

    def update_records(self, tracks: list[Track]) -> None:
        """Replace stored track records (a moved or re-tagged file); vectors are kept."""
        ids = [t.id for t in tracks]
        metas = [track_metadata(t) for t in tracks]
        self._audio.update(ids, metas, [t.model_dump_json() for t in tracks])
        self._text.update(ids, metas)
        if self._tracks is not None:
            self._tracks.update({t.id: t for t in tracks})

    # -- reading ---------------------------------------------------------------------
    def __len__(self) -> int:
        return self._audio.count()

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already in the catalog."""
        return self._audio.existing(list(dict.fromkeys(ids)))

    def _load_tracks(self) -> dict[str, Track]:
        if self._tracks is None:
            parsed = (Track.model_validate_json(doc) for doc in self._audio.documents())
            self._tracks = {t.id: t for t in parsed}
        return self._tracks

    def tracks(self) -> list[Track]:
        """Every track, ordered by title (loaded once per Catalog instance)."""
        return sorted(self._load_tracks().values(), key=lambda t: (t.title.lower(), t.id))

    def get(self, track_id: str) -> Track:
        """The track with this id; ``TrackNotFoundError`` otherwise."""
        track = self._load_tracks().get(track_id)
        if track is None:
            raise TrackNotFoundError(f"no track with id {track_id!r} in {self.folder}")
        return track

    def resolve(self, ref: str) -> Track:
        """Find a track by id, id prefix (>= 6 chars), file path, or (fuzzy) title."""
        ref = ref.strip().strip("\"'“”‘’")
        tracks = self._load_tracks()
        if ref in tracks:
            return tracks[ref]
        if len(ref) >= 6 and re.fullmatch(r"[0-9a-f]+", ref):
            hits = [t for i, t in tracks.items() if i.startswith(ref)]
            if len(hits) == 1:
                return hits[0]
        p = Path(ref).expanduser()
        if p.suffix:
            target = str(p.resolve())
            for t in tracks.values():
                if t.path == target:
                    return t
        by_title: dict[str, Track] = {}
        for t in tracks.values():
            by_title.setdefault(t.title.lower(), t)
        key = ref.lower()
        if key in by_title:
            return by_title[key]
        contained = [t for title, t in by_title.items() if key in title]
        if len(contained) == 1:
            return contained[0]
        close = difflib.get_close_matches(key, list(by_title), n=1, cutoff=0.6)
        if close:
            return by_title[close[0]]
        raise TrackNotFoundError(
            f"no track matches {ref!r} (tried id, id prefix, path and title) in {self.folder}"
        )

    def audio_vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Audio vectors for ``ids`` in that order."""
        by_id = self._audio.vectors(ids)
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise TrackNotFoundError(f"no audio vector for {missing[:5]} in {self.folder}")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def audio_vector(self, track_id: str) -> np.ndarray:
        """The audio vector of one track."""
        return self.audio_vectors([track_id])[0]

    @staticmethod
    def _query(
        vectors: VectorCollection,
        vec: np.ndarray,
        k: int,
        where: dict[str, Any] | None,
        exclude: Iterable[str],
        source: str,
    ) -> list[Candidate]:
        hits = vectors.query(vec, k, where, exclude)
        return [Candidate(track_id=i, similarity=s, source=source) for i, s in hits]

    def query_audio(
        self,
        vec: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        exclude: Iterable[str] = (),
        *,
        space: str | None = None,
    ) -> list[Candidate]:
        """Nearest tracks to an audio-space vector, optionally filtered on metadata.

        Pass ``space`` (the space of the embedder that made ``vec``) whenever ``vec`` did
        not come from this catalog: a vector from another space (say adapter v1 against
        an index built with v2) is refused instead of returning meaningless neighbours.

        Raises:
            SpaceMismatchError: ``space`` is given and is not this catalog's audio space.
        """
        if space is not None and space != self.audio_space:
            raise SpaceMismatchError(
                f"query vector is from space {space!r}, but this index of {self.folder} was "
                f"built with {self.audio_space!r}; embed the query with the catalog's "
                "embedder (or `linernotes adapter use` the other version)"
            )
        return self._query(self._audio, vec, k, where, exclude, "audio")

    def query_text(
        self,
        vec: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Candidate]:
        """Nearest tracks to a caption-space vector, optionally filtered on metadata."""
        return self._query(self._text, vec, k, where, exclude, "caption")

    # -- side records ----------------------------------------------------------------
    def record_skip(self, path: str, reason: str) -> None:
        """Remember a file that could not be ingested, and why."""
        self.records.record_skip(path, reason)

    def clear_skip(self, path: str) -> None:
        """Forget an earlier skip of ``path``."""
        self.records.clear_skip(path)

    def skipped(self) -> list[dict[str, str]]:
        """Every skipped file with its reason."""
        return self.records.skipped()

    def add_verdicts(self, verdicts: list[Verdict], mode: str) -> None:
        """Store judge verdicts for explanations and mining."""
        self.records.add_verdicts(verdicts, mode)

    def verdicts(self, anchor_id: str | None = None, mode: str | None = None) -> list[Verdict]:
        """Stored verdicts, optionally for one anchor and/or mode."""
        return self.records.verdicts(anchor_id, mode)

    def stats(self) -> dict[str, Any]:
        """Counts, spaces and the backends that produced the records."""
        listeners: dict[str, int] = {}
        for t in self._load_tracks().values():
            name = t.provenance.listener + (
                f" ({t.provenance.listener_model})" if t.provenance.listener_model else ""
            )
            listeners[name] = listeners.get(name, 0) + 1
        return {
            "folder": str(self.folder),
            "tracks": len(self),
            "skipped": self.records.count("skips"),
            "verdicts": self.records.count("verdicts"),
            "feedback": self.records.count("feedback"),
            "pair_verdicts": self.records.count("pair_verdicts"),
            "triplets": self.records.count("triplets"),
            "mining_rounds": self.records.mining_rounds(),
            "audio_space": self.audio_space,
            "text_space": self.text_space,
            "listeners": listeners,
        }


def open_catalog(settings: Settings, *, create: bool = True) -> Catalog:
    """Open the catalog with the spaces of the embedders these settings choose.

    The audio embedder is wrapped in the catalog's active adapter (or the version
    ``settings.adapter`` pins), so after ``linernotes train-adapter`` this keeps working
    and a pinned version other than the active one is refused (``SpaceMismatchError``).
    """
    from linernotes.tools.embed.factory import make_audio_embedder, make_text_embedder
    from linernotes.tools.feedback.adapter_store import with_active_adapter

    audio = with_active_adapter(make_audio_embedder(settings), settings)
    text = make_text_embedder(settings)
    return Catalog.open(settings, audio.space, text.space, create=create)
