"""Adapter versions on disk, the adapted embedding spaces, and switching between them.

A trained adapter turns the base space (say ``acoustic-v1``) into a new space named
``acoustic-v1+adapter-v2``. Each version lives in ``<catalog>/adapters/v2/`` as
``weights.npz`` plus ``card.json`` (base space, kind, metrics, seed, triplet count,
time), and its vectors live in their own Chroma collection, because the catalog never
lets two spaces share one. The catalog owns its active space (its state's meta
``spaces``); ``wanted_audio_space`` says which space a run must open (``settings.adapter``
pins a version, ``"none"`` the bare base) without loading anything, and
``AdapterEmbedder`` (built by ``wrap_in_space`` when the embedder factory is handed an
adapter's space) wraps the base embedder so new tracks and queries land in that space.

Switching never recomputes what it can copy: base vectors are kept in the base
collection, a version's collection is filled from them on first use, and only tracks
ingested while an adapter was active (so with no base vector yet) are re-analysed once.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from linernotes.tools.errors import CatalogError, ConfigError, SpaceMismatchError
from linernotes.tools.feedback.adapter import AdapterWeights
from linernotes.tools.schemas import Record, Track, utc_now

if TYPE_CHECKING:
    from linernotes.tools.analysis.measure import Analysis
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.embed.base import AudioEmbedder
    from linernotes.tools.settings import Settings

ADAPTER_MARK = "+adapter-"
_VERSION = re.compile(r"^v?(\d+)$")
HISTORY_KEY = "audio_space_history"
"""Records meta key of the spaces that were active before, for ``rollback``."""
BARE = ("none", "base")
"""``settings.adapter`` values that mean "the base embedder, no adapter"."""


class AdapterCard(Record):
    """What a trained adapter is, how it was trained and how well it did (``card.json``)."""

    version: str = Field(description="Version name, 'v1', 'v2', ...")
    space: str = Field(description="The embedding space it defines.")
    base_space: str = Field(description="The frozen embedding space it maps from.")
    kind: str = Field(description="'linear' or 'mlp'.")
    dim: int
    seed: int
    margin: float
    triplets: int = Field(description="Training triplets (held-out anchors excluded).")
    val_triplets: int = Field(description="Triplets of held-out anchors (early stopping).")
    anchors: int = Field(description="Distinct anchors in the training triplets.")
    rounds: int = Field(description="Mining rounds whose triplets it was trained on.")
    contexts: list[str] = Field(default_factory=list, description="Contexts mined ('' = none).")
    sources: dict[str, int] = Field(default_factory=dict, description="Triplets per source.")
    epochs_run: int
    best_epoch: int
    seconds: float = Field(description="Training wall time.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Held-out metrics.")
    config: dict[str, Any] = Field(default_factory=dict, description="All hyper-parameters.")
    created_at: str = Field(default_factory=utc_now)


def adapter_space(base_space: str, version: str) -> str:
    """Name of the space an adapter version defines over ``base_space``."""
    return f"{base_space}{ADAPTER_MARK}{version}"


def split_space(space: str) -> tuple[str, str | None]:
    """``'acoustic-v1+adapter-v2'`` -> ``('acoustic-v1', 'v2')``; a base -> ``(base, None)``."""
    base, mark, version = space.rpartition(ADAPTER_MARK)
    return (base, version) if mark else (space, None)


def normalise_version(name: str) -> str:
    """``'2'``, ``'v2'`` or ``'V2'`` -> ``'v2'``.

    Raises:
        ConfigError: not a version name.
    """
    m = _VERSION.match(name.strip().lower())
    if not m:
        raise ConfigError(f"adapter version {name!r} is not like 'v2' (or 'none' for no adapter)")
    return f"v{int(m.group(1))}"


def adapters_dir(folder: Path) -> Path:
    """Where a catalog keeps its adapter versions."""
    return Path(folder) / "adapters"


def list_cards(folder: Path) -> list[AdapterCard]:
    """Every saved adapter of a catalog, oldest version first."""
    root = adapters_dir(folder)
    cards = []
    for card in root.glob("v*/card.json") if root.is_dir() else []:
        cards.append(AdapterCard.model_validate_json(card.read_text()))
    return sorted(cards, key=lambda c: int(c.version[1:]))


def next_version(folder: Path) -> str:
    """The next free version name (versions are never reused, even after a delete)."""
    root = adapters_dir(folder)
    used = [int(m.group(1)) for p in root.glob("v*") if (m := _VERSION.match(p.name))]
    return f"v{max(used, default=0) + 1}"


def save_adapter(folder: Path, weights: AdapterWeights, card: AdapterCard) -> Path:
    """Write weights and card atomically (a crash leaves no half-written version)."""
    final = adapters_dir(folder) / card.version
    if final.exists():
        raise CatalogError(f"adapter {card.version} already exists in {final.parent}")
    tmp = final.with_name(f".{card.version}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights.save(tmp / "weights.npz")
    (tmp / "card.json").write_text(json.dumps(card.model_dump(mode="json"), indent=2) + "\n")
    tmp.rename(final)
    return final


def load_adapter(folder: Path, version: str) -> tuple[AdapterWeights, AdapterCard]:
    """Read one adapter version of a catalog.

    Raises:
        ConfigError: no such version.
    """
    version = normalise_version(version)
    path = adapters_dir(folder) / version
    if not (path / "card.json").is_file():
        known = ", ".join(c.version for c in list_cards(folder)) or "none"
        raise ConfigError(
            f"no adapter {version} in {adapters_dir(folder)} (saved versions: {known}); "
            "`linernotes adapter list` shows them"
        )
    card = AdapterCard.model_validate_json((path / "card.json").read_text())
    return AdapterWeights.load(path / "weights.npz"), card


class AdapterEmbedder:
    """A base embedder followed by a trained adapter: the space includes the version.

    ``embed_text`` goes through the same adapter, so a joint audio-text backend keeps
    answering text queries in the adapted space (the adapter was trained on audio
    triplets only; text queries are moved along with the audio around them).
    """

    def __init__(self, base: AudioEmbedder, weights: AdapterWeights, card: AdapterCard) -> None:
        """Wrap ``base``; refuse an adapter trained over another space or dimension.

        Raises:
            SpaceMismatchError: the adapter maps from another space than ``base.space``.
        """
        if card.base_space != base.space:
            raise SpaceMismatchError(
                f"adapter {card.version} maps from space {card.base_space!r}, but the "
                f"embedder produces {base.space!r}"
            )
        if weights.dim != base.dim:
            raise SpaceMismatchError(
                f"adapter {card.version} expects {weights.dim}-d vectors, "
                f"{base.space!r} has {base.dim}"
            )
        self.base = base
        self.weights = weights
        self.card = card
        self.version = card.version
        self.space = card.space
        self.dim = base.dim
        self.joint_text = base.joint_text

    def adapt(self, vecs: np.ndarray) -> np.ndarray:
        """Map base-space vectors into this space (L2-normalised)."""
        return self.weights.apply(vecs)

    def embed_audio(self, path: Path, analysis: Analysis) -> np.ndarray:
        """The base vector of a track, adapted."""
        return self.adapt(self.base.embed_audio(path, analysis))

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Text vectors in the adapted space (ConfigError when the base has no text tower)."""
        return self.adapt(self.base.embed_text(texts))


def wanted_audio_space(settings: Settings, base_space: str, active: dict[str, str] | None) -> str:
    """The audio space a run must open the catalog in (no weights are loaded).

    ``settings.adapter`` unset: the catalog's active space when it is ``base_space`` or
    an adapter of it (another base is left for ``Catalog.open`` to refuse, naming both).
    ``"none"``: ``base_space``. ``"v2"``: that version's space, active or not, so
    opening a catalog whose active space is another one fails loudly.

    Raises:
        ConfigError: the pinned version does not exist.
    """
    pin = getattr(settings, "adapter", None)
    if pin is not None and pin.strip().lower() in BARE:
        return base_space
    if pin is not None:
        _, card = load_adapter(Path(settings.catalog).expanduser(), pin)
        if card.base_space != base_space:
            raise SpaceMismatchError(
                f"adapter {card.version} maps from space {card.base_space!r}, but the "
                f"embedder produces {base_space!r}"
            )
        return card.space
    if active and split_space(active["audio"])[0] == base_space:
        return active["audio"]
    return base_space


def wrap_in_space(base: AudioEmbedder, space: str, settings: Settings) -> AudioEmbedder:
    """``base`` wrapped in the adapter that defines ``space`` (weights from the catalog).

    Raises:
        SpaceMismatchError: ``space`` is not an adapter over ``base.space``.
        ConfigError: the adapter version does not exist.
    """
    base_space, version = split_space(space)
    if version is None or base_space != base.space:
        raise SpaceMismatchError(
            f"the catalog's audio space is {space!r}, but the configured embedder produces "
            f"{base.space!r}; use the embedder the catalog was built with"
        )
    weights, card = load_adapter(Path(settings.catalog).expanduser(), version)
    return AdapterEmbedder(base, weights, card)


def bare_settings(settings: Settings) -> Settings:
    """The same settings pinned to the bare base embedder."""
    return settings.model_copy(update={"adapter": "none"})


def _analyse(track: Track, embedder: AudioEmbedder) -> np.ndarray:
    """Re-analyse one file for its base vector (tracks ingested under an adapter)."""
    from linernotes.tools.analysis.measure import analyse_file

    analysis, _ = analyse_file(track.path)
    return np.asarray(embedder.embed_audio(Path(track.path), analysis), dtype=np.float32)


def base_vectors(catalog: Catalog, tracks: list[Track], settings: Settings) -> np.ndarray:
    """Base-space vectors of ``tracks``, filling the base collection where it lacks some.

    Args:
        catalog: the catalog (any of its spaces).
        tracks: the tracks, in the order of the rows returned.
        settings: settings the base embedder is built from (for re-analysis only).
    """
    base_space, _ = split_space(catalog.audio_space)
    base = catalog.space_view(base_space)
    ids = [t.id for t in tracks]
    have = base.existing_ids(ids)
    missing = [t for t in tracks if t.id not in have]
    if missing:
        from linernotes.tools.registry import EMBEDDERS

        embedder = EMBEDDERS.build(settings.embedder, settings)  # the bare base embedder
        if embedder.space != base_space:
            raise SpaceMismatchError(
                f"catalog base space is {base_space!r}, but the configured embedder is "
                f"{embedder.space!r}: cannot compute base vectors for {len(missing)} tracks"
            )
        vecs = np.stack([_analyse(t, embedder) for t in missing])
        base.upsert_audio(missing, vecs)
    return base.audio_vectors(ids)


def ensure_index(catalog: Catalog, space: str, settings: Settings) -> Catalog:
    """The catalog's view of ``space``, with every track indexed there (fills the gaps).

    Raises:
        SpaceMismatchError: ``space`` is not the catalog's base space or an adapter of it.
        ConfigError: the adapter version does not exist.
    """
    base_space, version = split_space(space)
    if base_space != split_space(catalog.audio_space)[0]:
        raise SpaceMismatchError(
            f"cannot index {space!r} in catalog {catalog.folder}: its base space is "
            f"{split_space(catalog.audio_space)[0]!r}"
        )
    target = catalog.space_view(space)
    tracks = catalog.tracks()
    have = target.existing_ids([t.id for t in tracks])
    todo = [t for t in tracks if t.id not in have]
    if todo:
        vecs = base_vectors(catalog, todo, settings)
        if version is not None:
            weights, _ = load_adapter(catalog.folder, version)
            vecs = weights.apply(vecs)
        target.upsert_audio(todo, vecs)
    return target


def space_history(catalog: Catalog) -> list[str]:
    """Audio spaces that were active before the current one, oldest first."""
    return list(catalog.state.get_meta(HISTORY_KEY) or [])


def activate(catalog: Catalog, space: str, *, remember: bool = True) -> Catalog:
    """Record ``space`` as the audio space every later ``Catalog.open`` must use.

    Index the space first (``ensure_index``): this only records the switch, in the same
    meta ``spaces`` that ``Catalog.open`` checks. With ``remember`` the current space is
    pushed on the history; without, the history's last entry is dropped (a rollback).
    Returns the catalog seen through the new space.
    """
    history = space_history(catalog)
    spaces = catalog.state.get_meta("spaces") or {"text": catalog.text_space}
    current = spaces.get("audio", catalog.audio_space)
    if remember and current != space:
        history.append(current)
    elif not remember and history:
        history.pop()
    catalog.state.set_meta(HISTORY_KEY, history)
    catalog.state.set_meta("spaces", {**spaces, "audio": space})
    return catalog.space_view(space)


def use_space(catalog: Catalog, space: str, settings: Settings) -> Catalog:
    """Index ``space`` if needed and make it the catalog's active space (remembered)."""
    ensure_index(catalog, space, settings)
    return activate(catalog, space)


def use_version(catalog: Catalog, version: str, settings: Settings) -> Catalog:
    """Make adapter ``version`` (or ``'none'``: the base space) the active space."""
    base_space, _ = split_space(catalog.audio_space)
    if version.strip().lower() in BARE:
        return use_space(catalog, base_space, settings)
    _, card = load_adapter(catalog.folder, version)
    if card.base_space != base_space:
        raise SpaceMismatchError(
            f"adapter {card.version} maps from {card.base_space!r}, but catalog "
            f"{catalog.folder} is built on {base_space!r}"
        )
    return use_space(catalog, card.space, settings)


def rollback(catalog: Catalog, settings: Settings) -> Catalog:
    """Return to the space that was active before the current one.

    Raises:
        CatalogError: there is no earlier space to return to.
    """
    history = space_history(catalog)
    if not history:
        raise CatalogError(
            f"catalog {catalog.folder} has no earlier embedding space to roll back to "
            f"(active: {catalog.audio_space!r})"
        )
    previous = history[-1]
    ensure_index(catalog, previous, settings)
    return activate(catalog, previous, remember=False)
