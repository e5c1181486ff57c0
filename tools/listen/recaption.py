"""Re-caption catalog tracks whose captions failed the fact-check or are stale.

``linernotes recaption --flagged`` calls this: tracks whose caption contradicted the
measurements (or whose consistency is below a threshold) are heard again, possibly by a
better listener, and their summary, caption, caption vector and provenance replaced. The
audio vectors are kept (the audio did not change), so no embedding space changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes.tools.errors import LinernotesError
from linernotes.tools.listen.base import Listener, ListenResult
from linernotes.tools.listen.cache import CachedListener
from linernotes.tools.schemas import Tags, Track


class RecaptionReport(BaseModel):
    """What a recaption run did."""

    selected: int = 0
    recaptioned: int = 0
    still_flagged: int = 0
    errors: list[str] = Field(default_factory=list)


def is_flagged(track: Track, threshold: float = 0.75) -> bool:
    """True when the caption contradicted the measurements or scored below ``threshold``."""
    p = track.provenance
    return bool(p.contradictions) or (p.consistency is not None and p.consistency < threshold)


def is_stale(track: Track, listener: Any) -> bool:
    """True when another listener model or prompt version wrote the caption."""
    p = track.provenance
    version = getattr(listener, "prompt_version", None)
    return (p.listener, p.listener_model, p.prompt_version) != (
        listener.name,
        listener.model,
        version,
    )


def _updated(track: Track, heard: ListenResult) -> Track:
    """The track with the new caption, summary and provenance."""
    prov = track.provenance.model_copy(
        update={
            "listener": heard.listener,
            "listener_model": heard.model,
            "prompt_version": heard.prompt_version,
            "consistency": heard.consistency,
            "contradictions": list(heard.contradictions),
        }
    )
    return track.model_copy(
        update={"summary": heard.summary, "caption": heard.caption, "provenance": prov}
    )


def hear_again(listener: Listener, tracks: list[Track]) -> list[Track | str]:
    """The recaption stage: each track heard again, or ``"path: why"`` when that failed.

    Both engines call this: ``recaption`` on the whole selection, and the Ray engine
    (``tools.ingest.ray_batch``) on one batch per actor.
    """
    out: list[Track | str] = []
    for t in tracks:
        tags = Tags(title=t.title, artist=t.artist, album=t.album, genre=t.genre_tag)
        try:
            if isinstance(listener, CachedListener):
                heard = listener.listen_id(t.id, Path(t.path), t.measurements, tags)
            else:
                heard = listener.listen(Path(t.path), t.measurements, tags)
        except LinernotesError as e:
            out.append(f"{t.path}: {e}")
            continue
        out.append(_updated(t, heard))
    return out


def recaption(
    catalog: Any,
    listener: Listener,
    text_embedder: Any,
    *,
    flagged: bool = True,
    stale: bool = False,
    threshold: float = 0.75,
    ids: list[str] | None = None,
    hear: Callable[[list[Track]], Iterable[list[Track | str]]] | None = None,
) -> RecaptionReport:
    """Hear again the selected tracks and write their new captions into ``catalog``.

    Args:
        catalog: A ``tools.catalog.catalog.Catalog`` (needs tracks(), audio_vectors(), upsert()).
        listener: The listener to use (wrap it in ``CachedListener`` to reuse captions).
        text_embedder: Embeds the new captions into the catalog's text space.
        flagged: Select tracks whose caption failed the fact-check.
        stale: Select tracks captioned by another listener model or prompt version.
        threshold: Consistency below which a caption counts as flagged.
        ids: Restrict to these track ids.
        hear: Runs ``hear_again`` over the selection and yields its results batch by
            batch (the Ray engine); default: ``hear_again`` here, in one batch.
    """
    report = RecaptionReport()
    chosen = [
        t
        for t in catalog.tracks()
        if (ids is None or t.id in ids)
        and ((flagged and is_flagged(t, threshold)) or (stale and is_stale(t, listener)))
    ]
    report.selected = len(chosen)
    batches = hear(chosen) if hear is not None else [hear_again(listener, chosen)]
    for batch in batches:
        new_tracks = [t for t in batch if isinstance(t, Track)]
        report.errors += [e for e in batch if isinstance(e, str)]
        report.still_flagged += sum(is_flagged(t, threshold) for t in new_tracks)
        if new_tracks:
            audio = catalog.audio_vectors([t.id for t in new_tracks])
            text = text_embedder.embed([t.caption for t in new_tracks])
            catalog.upsert(new_tracks, audio, text)
        report.recaptioned += len(new_tracks)
    return report
