"""The catalog: tracks, their audio and caption vectors in Chroma, side records in SQLite.

One catalog folder holds one embedded Chroma store (or points at a Chroma server),
``records.sqlite`` (skips, verdicts, feedback, the spaces it was built with) and, for the
demo, the audio itself. Vectors from different embedding spaces never share a collection:
each collection is named after its space, and opening a catalog with another space than
the one it was built with raises ``SpaceMismatchError`` naming both.

Embedding adapters (``tools/feedback/adapter_store.py``) add spaces
(``acoustic-v1+adapter-v2``), each in its own collection; the catalog state's meta
``spaces`` names the active one, and the catalog owns it: ``open_catalog`` reads it (no
model weights loaded), and embedder factories receive ``catalog.audio_space``.

Nothing is loaded whole at open: Chroma answers every query (``tools.catalog.planner``),
track records are fetched by id for the candidates (and kept in a small cache), stats
come from counts, and lookups by title go through Chroma (``tools.catalog.lookup``).
Every read first checks the catalog generation (``tools.catalog.state``), so a write
committed by another process is seen at the latest on the next query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.catalog import lookup
from linernotes.tools.catalog.lexical import keep_in_step
from linernotes.tools.catalog.metadata import collection_name, stored_track, track_metadata
from linernotes.tools.catalog.records import Records
from linernotes.tools.catalog.state import CatalogState, SqliteState, make_state, read_active_spaces
from linernotes.tools.catalog.store import StoreHandle
from linernotes.tools.catalog.vectors import VectorCollection
from linernotes.tools.errors import CatalogError, SpaceMismatchError, TrackNotFoundError
from linernotes.tools.schemas import Candidate, Track, Verdict
from linernotes.tools.settings import Settings

CACHE = 4096
"""Track records a process keeps (the latest candidates'), dropped on every new generation."""


class Catalog:
    """Read and write one catalog. Build it with ``Catalog.open`` or ``open_catalog``."""

    def __init__(
        self,
        folder: Path,
        client: Any,
        audio_space: str,
        text_space: str,
        records: Records,
        *,
        state: CatalogState | None = None,
        handle: StoreHandle | None = None,
    ) -> None:
        self.folder = folder
        self.records = records
        self.state: CatalogState = state or SqliteState(records)
        self.handle = handle or StoreHandle(None, client, self.state)
        self.audio_space = audio_space
        self.text_space = text_space
        self._audio = VectorCollection(
            self.client, collection_name("audio", audio_space), audio_space, "audio", self.state
        )
        self._text = VectorCollection(
            self.client, collection_name("captions", text_space), text_space, "captions", self.state
        )
        self._cache: OrderedDict[str, Track] = OrderedDict()
        self._lock = threading.Lock()
        self.handle.on_change(self._stale)

    @property
    def client(self) -> Any:
        """The chromadb client (replaced when an embedded catalog is reopened)."""
        return self.handle.client

    def _forget(self, ids: Iterable[str]) -> None:
        """This process wrote these records: drop their cached copies, bump the generation."""
        with self._lock:
            for track_id in ids:
                self._cache.pop(track_id, None)
        self.handle.committed()

    def _stale(self) -> None:
        """Another process committed: rebind the collections and forget cached records."""
        self._audio.rebind(self.client)
        self._text.rebind(self.client)
        with self._lock:
            self._cache.clear()

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
        shared = settings.store == "http"  # the catalog lives on the server, not here
        if not create and not shared and not records_path.exists():
            raise CatalogError(
                f"no catalog at {folder}: run `linernotes ingest PATH` or `linernotes demo` "
                "first, or set LINERNOTES_CATALOG"
            )
        if client is None:
            from linernotes.tools.catalog.store import make_client

            client = make_client(settings)
        records = Records(records_path)
        state = make_state(settings, client, records)
        built = state.get_meta("spaces")
        if built is None and not create:
            records.close()
            raise CatalogError(
                f"no catalog on the Chroma server at {settings.store_url}: run "
                "`linernotes ingest PATH` with LINERNOTES_STORE=http first"
            )
        wanted = {"audio": audio_space, "text": text_space}
        if built is None:
            state.set_meta("spaces", wanted)
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
        handle = StoreHandle(settings, client, state)
        return cls(folder, client, audio_space, text_space, records, state=state, handle=handle)

    # -- spaces (embedding adapters) -----------------------------------------------------
    def space_view(self, audio_space: str) -> Catalog:
        """This catalog seen through another audio space's collection (created if absent).

        For re-indexing and training only: it shares the folder, client and records, does
        not change the active space, and its queries answer in ``audio_space``.
        """
        if audio_space == self.audio_space:
            return self
        return Catalog(
            self.folder,
            self.client,
            audio_space,
            self.text_space,
            self.records,
            state=self.state,
            handle=self.handle,
        )

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
        self._forget([t.id for t in moved])

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
        self.handle.sync()
        self._text.upsert(ids, text_vecs, metas, [t.caption for t in tracks])
        self._audio.upsert(ids, audio_vecs, metas, [t.model_dump_json() for t in tracks])
        self._forget(ids)
        keep_in_step(self, tracks)  # the lexical index (titles, tags, captions) follows

    def delete(self, ids: Iterable[str]) -> list[str]:
        """Remove tracks (record, audio and caption vectors); returns the ids that existed."""
        wanted = list(dict.fromkeys(ids))
        found = sorted(self.existing_ids(wanted))
        # Audio first: existing_ids() reads it, so a kill in between leaves no half track.
        self._audio.delete(found)
        self._text.delete(found)
        self._forget(found)
        return found

    def update_records(self, tracks: list[Track]) -> None:
        """Replace stored track records (a moved or re-tagged file); vectors are kept."""
        ids = [t.id for t in tracks]
        metas = [track_metadata(t) for t in tracks]
        self._audio.update(ids, metas, [t.model_dump_json() for t in tracks])
        self._text.update(ids, metas)
        self._forget(ids)
        keep_in_step(self, tracks)  # a new title or artist is searched by its new name

    # -- reading ---------------------------------------------------------------------
    def __len__(self) -> int:
        self.handle.sync()
        return self._audio.count()

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already in the catalog."""
        self.handle.sync()
        return self._audio.existing(list(dict.fromkeys(ids)))

    def tracks(self) -> list[Track]:
        """Every track, ordered by title: a whole-catalog read for batch jobs (mining...)."""
        self.handle.sync()
        parsed = (stored_track(doc, self.folder) for doc in self._audio.documents())
        return sorted(parsed, key=lambda t: (t.title.lower(), t.id))

    def ids(self, where: dict[str, Any] | None = None) -> list[str]:
        """Ids of the tracks whose metadata passes ``where`` (all without one)."""
        self.handle.sync()
        return self._audio.ids(where)

    def genres(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored genre tag of each id ('' where untagged), read from metadata only."""
        self.handle.sync()
        return {i: str(m.get("genre_tag") or "") for i, m in self._audio.metadatas(ids).items()}

    def get_many(self, ids: Sequence[str]) -> dict[str, Track]:
        """The tracks with these ids that exist, fetched in one batch (cached)."""
        self.handle.sync()
        with self._lock:
            found = {i: self._cache[i] for i in ids if i in self._cache}
        todo = [i for i in dict.fromkeys(ids) if i not in found]
        if todo:
            fetched = {
                i: stored_track(doc, self.folder)
                for i, doc in self._audio.documents_by_id(todo).items()
            }
            with self._lock:
                for i, track in fetched.items():
                    self._cache[i] = track
                while len(self._cache) > CACHE:
                    self._cache.popitem(last=False)
            found.update(fetched)
        return found

    def get(self, track_id: str) -> Track:
        """The track with this id; ``TrackNotFoundError`` otherwise."""
        track = self.get_many([track_id]).get(track_id)
        if track is None:
            raise TrackNotFoundError(f"no track with id {track_id!r} in {self.folder}")
        return track

    def resolve(self, ref: str) -> Track:
        """Find a track by id, id prefix (>= 6 chars), file path, title or artist.

        Raises:
            TrackNotFoundError: nothing matches; near titles are offered, never used.
        """
        self.handle.sync()
        return lookup.resolve(self, ref)

    def audio_vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Audio vectors for ``ids`` in that order."""
        self.handle.sync()
        by_id = self._audio.vectors(ids)
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise TrackNotFoundError(f"no audio vector for {missing[:5]} in {self.folder}")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def audio_vector(self, track_id: str) -> np.ndarray:
        """The audio vector of one track."""
        return self.audio_vectors([track_id])[0]

    def _query(
        self,
        vectors: VectorCollection,
        vec: np.ndarray,
        k: int,
        where: dict[str, Any] | None,
        exclude: Iterable[str],
        source: str,
    ) -> list[Candidate]:
        exclude = set(exclude)
        try:
            hits = vectors.query(vec, k, where, exclude, self.handle.sync())
        except ValueError:
            raise
        except Exception:  # an embedded graph behind a concurrent write: reopen, once
            self.handle.refresh()
            hits = vectors.query(vec, k, where, exclude, self.handle.sync())
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
        self.state.record_skip(path, reason)

    def clear_skip(self, path: str) -> None:
        """Forget an earlier skip of ``path``."""
        self.state.clear_skip(path)

    def skipped(self) -> list[dict[str, str]]:
        """Every skipped file with its reason."""
        return self.state.skipped()

    def add_verdicts(self, verdicts: list[Verdict], mode: str) -> None:
        """Store judge verdicts for explanations and mining."""
        self.records.add_verdicts(verdicts, mode)

    def verdicts(self, anchor_id: str | None = None, mode: str | None = None) -> list[Verdict]:
        """Stored verdicts, optionally for one anchor and/or mode."""
        return self.records.verdicts(anchor_id, mode)

    def overview(self) -> dict[str, Any]:
        """What the catalog holds, for a listener: tracks, genres, sung / instrumental."""
        counts = self._audio.counts(self.handle.sync())
        return {
            "tracks": counts.total,
            "genres": counts.values("genre_tag"),
            "voice": counts.values("has_voice"),
        }

    def typical_length(self, sample: int = 500) -> float | None:
        """Median track length in seconds over up to ``sample`` tracks; None when empty.

        How many picks "an hour of music" takes: an estimate, so a sample does (a whole
        read of a large catalog for one request would not).
        """
        self.handle.sync()
        lengths = sorted(
            float(m["duration_s"])
            for m in self._audio.first_metadatas(sample)
            if isinstance(m.get("duration_s"), int | float) and m["duration_s"] > 0
        )
        return lengths[len(lengths) // 2] if lengths else None

    def stats(self) -> dict[str, Any]:
        """Counts, spaces and the backends that produced the records (from counts only)."""
        counts = self._audio.counts(self.handle.sync())
        return {
            "folder": str(self.folder),
            "tracks": counts.total,
            "skipped": self.state.skip_count(),
            "verdicts": self.records.count("verdicts"),
            "feedback": self.records.count("feedback"),
            "pair_verdicts": self.records.count("pair_verdicts"),
            "triplets": self.records.count("triplets"),
            "mining_rounds": self.records.mining_rounds(),
            "audio_space": self.audio_space,
            "text_space": self.text_space,
            "listeners": counts.values("listened_by") or counts.values("listener"),
        }


def open_catalog(settings: Settings, *, create: bool = True) -> Catalog:
    """Open the catalog in the spaces it was built with (the one way to open one).

    No model weights are loaded: the spaces come from the catalog state, checked against
    the names of the configured backends. The active adapter's space is followed, unless
    ``settings.adapter`` pins a version (a pin other than the active one is refused with
    ``SpaceMismatchError``) or ``"none"`` (the bare base space).
    """
    from linernotes.tools.embed.factory import audio_space_name, text_space_name
    from linernotes.tools.feedback.adapter_store import wanted_audio_space

    active = read_active_spaces(settings)
    audio = wanted_audio_space(settings, audio_space_name(settings), active)
    return Catalog.open(settings, audio, text_space_name(settings), create=create)
