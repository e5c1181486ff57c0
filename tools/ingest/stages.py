"""The per-batch stages of ingest, shared by the local engine and the Ray engine.

Ingest is the same chain whichever engine runs it: analyse (``worker.analyse_path``) ->
embed the audio (``embed_stage``) -> caption (``listen_stage``) -> embed the captions and
write the catalog (``pipeline._Run.commit``). The local engine calls these in one process
batch by batch; the Ray engine (``ray_engine``) calls the very same functions inside Ray
Data tasks and actors. Keeping each stage a plain function of (backend, items) is what
makes "same results on either engine" true by construction rather than by copying code.

Every stage passes a ``Failed`` through untouched and turns its own per-file errors into
``Failed``, so a bad file travels to the end of the chain as a skip with its reason, on
either engine, exactly as the local engine has always reported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from linernotes.tools.audio import clean_tag
from linernotes.tools.embed.base import checked_vector
from linernotes.tools.errors import InvalidAudioError, LinernotesError, LLMReplyError
from linernotes.tools.ingest.worker import Analysed, Failed
from linernotes.tools.schemas import Provenance, Tags, Track

if TYPE_CHECKING:
    from linernotes.tools.listen.base import ListenResult

PER_FILE_ERRORS = (InvalidAudioError, LLMReplyError)
"""Errors from embedding or captioning that concern one file (skip it, go on). Others,
such as ``BackendUnavailable`` or ``ConfigError``, concern the whole run and stop it."""


@dataclass(frozen=True)
class Embedded:
    """An analysed file with its content id and audio vector."""

    track_id: str
    item: Analysed
    vector: np.ndarray


@dataclass(frozen=True)
class Heard:
    """An embedded file with the listener's caption: everything a catalog row needs."""

    track_id: str
    item: Analysed
    vector: np.ndarray
    heard: ListenResult


def ingest_audio_embedder(settings: Any, space: str) -> Any:
    """The audio embedder ingest uses: the one search uses, in the catalog's ``space``."""
    from linernotes.tools.embed.factory import make_audio_embedder

    return make_audio_embedder(settings, space)


def embed_stage(
    embedder: Any, items: Sequence[tuple[str, Analysed | Failed]]
) -> list[Embedded | Failed]:
    """Embed the audio of each ``(track id, analysed file)``; one outcome per item, in order.

    Args:
        embedder: an ``AudioEmbedder`` (``embed_audio(path, analysis)``).
        items: content ids with what the analysis stage returned (``Failed`` passes through).
    """
    out: list[Embedded | Failed] = []
    for track_id, item in items:
        if isinstance(item, Failed):
            out.append(item)
            continue
        try:
            vec = checked_vector(embedder.embed_audio(Path(item.path), item.analysis), item.path)
        except PER_FILE_ERRORS as e:
            out.append(Failed(item.path, str(e)))
            continue
        out.append(Embedded(track_id, item, vec))
    return out


def listen_stage(listener: Any, items: Sequence[Embedded | Failed]) -> list[Heard | Failed]:
    """Caption the embedded files in one ``listen_batch`` call; one outcome per item, in order.

    Args:
        listener: the ingest listener (``listen.fallback.FallbackListener``): per-file
            errors come back in place, a dead server switches it to the offline captioner.
        items: what ``embed_stage`` returned.
    """
    todo = [e for e in items if isinstance(e, Embedded)]
    heard_all = listener.listen_batch(
        [(e.track_id, Path(e.item.path), e.item.analysis.measurements, e.item.tags) for e in todo]
    )
    heard_by_path: dict[str, Heard | Failed] = {}
    for e, heard in zip(todo, heard_all, strict=True):
        if isinstance(heard, LinernotesError):
            heard_by_path[e.item.path] = Failed(e.item.path, str(heard))
        else:
            heard_by_path[e.item.path] = Heard(e.track_id, e.item, e.vector, heard)
    return [heard_by_path[e.item.path] if isinstance(e, Embedded) else e for e in items]


def title_for(tags: Tags, path: Path) -> str:
    """The title tag verbatim, else the file name stem with underscores as spaces.

    A name is cleaned like a tag: a file name may hold an escape sequence too.
    """
    if tags.title:
        return tags.title
    return clean_tag(path.stem.replace("_", " ")) or clean_tag(path.name) or "untitled"


def track_record(
    track_id: str, item: Analysed, heard: ListenResult, *, embedder_space: str, text_space: str
) -> Track:
    """The ``Track`` of one analysed, captioned file (ingest, and files outside the catalog).

    Args:
        track_id: the file's content id.
        item: what the ingest worker measured and read from the file.
        heard: the listener's summary and caption of it.
        embedder_space: the audio embedder's space, recorded in the provenance.
        text_space: the text embedder's space, recorded in the provenance.
    """
    path = Path(item.path)
    return Track(
        id=track_id,
        path=item.path,
        title=title_for(item.tags, path),
        artist=item.tags.artist,
        album=item.tags.album,
        genre_tag=item.tags.genre,
        format=item.format,
        sample_rate=item.sample_rate,
        channels=item.channels,
        measurements=item.analysis.measurements,
        summary=heard.summary,
        caption=heard.caption,
        provenance=Provenance(
            listener=heard.listener,
            listener_model=heard.model,
            prompt_version=heard.prompt_version,
            embedder_space=embedder_space,
            text_space=text_space,
            consistency=heard.consistency,
            contradictions=list(heard.contradictions),
            notes=list(heard.notes),
        ),
    )
