"""The embedding adapter: training, versions and spaces, switching, and no mixing of spaces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from linernotes.tools.catalog.catalog import collection_name, open_catalog
from linernotes.tools.errors import CatalogError, ConfigError, SpaceMismatchError
from linernotes.tools.feedback.adapter import (
    AdapterWeights,
    TrainConfig,
    l2_normalise,
    split_by_anchor,
    train_adapter,
    triplet_accuracy,
)
from linernotes.tools.feedback.adapter_store import (
    AdapterEmbedder,
    list_cards,
    load_adapter,
    rollback,
    split_space,
    use_version,
)
from linernotes.tools.feedback.adapter_train import train_catalog_adapter
from linernotes.tools.feedback.mining import MiningConfig, mine
from linernotes.tools.judge.base import RulesJudge
from linernotes.tools.reason.contexts import get_context
from linernotes.tools.settings import Settings, load_settings
from linernotes.ui.cli import main

FAST = TrainConfig(epochs=40, patience=8)


def synthetic(n: int = 300, d: int = 16, m: int = 3000, seed: int = 0):
    """Vectors where relevance lives in 2 of 16 dims, with triplets labelled by it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    a, p, q = (rng.integers(0, n, m) for _ in range(3))
    key = x[:, :2]
    closer = ((key[a] - key[p]) ** 2).sum(1) < ((key[a] - key[q]) ** 2).sum(1)
    return x, np.stack([a, np.where(closer, p, q), np.where(closer, q, p)], 1)


@pytest.fixture
def catalog_copy(demo_catalog, tmp_path: Path) -> Settings:
    """A private copy of the demo catalog, with one round of triplets mined."""
    dest = tmp_path / "catalog"
    shutil.copytree(demo_catalog.settings.catalog, dest)
    settings = demo_catalog.settings.model_copy(update={"catalog": dest})
    mine(open_catalog(settings, create=False), RulesJudge(), MiningConfig(anchors=40))
    return settings


# -- the model -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_adapter_starts_as_identity(kind: str) -> None:
    x, t = synthetic(m=50)
    result = train_adapter(x, t, TrainConfig(kind=kind, epochs=0))
    assert np.allclose(result.weights.apply(x), l2_normalise(x), atol=1e-6)


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_adapter_learns_the_relevant_dimensions(kind: str) -> None:
    x, t = synthetic()
    result = train_adapter(x, t, TrainConfig(kind=kind, lr=0.03, epochs=60, patience=60))
    assert result.val_acc_after > result.val_acc_before + 0.1
    assert result.n_train + result.n_val == len(t)


def test_no_triplets_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no triplets"):
        train_adapter(np.eye(3, dtype=np.float32), np.zeros((0, 3), dtype=np.int64))


def test_split_by_anchor_keeps_each_anchor_on_one_side() -> None:
    anchors = np.repeat(np.arange(20), 5)
    tr, va = split_by_anchor(anchors, 0.2, seed=1)
    assert set(anchors[tr]).isdisjoint(anchors[va]) and len(set(anchors[va])) == 4
    assert len(tr) + len(va) == len(anchors)


def test_weights_roundtrip(tmp_path: Path) -> None:
    x, t = synthetic(m=200)
    w = train_adapter(x, t, TrainConfig(kind="mlp", epochs=3)).weights
    w.save(tmp_path / "w.npz")
    back = AdapterWeights.load(tmp_path / "w.npz")
    assert back.kind == "mlp" and np.allclose(back.apply(x), w.apply(x))
    assert triplet_accuracy(back.apply(x), t) == triplet_accuracy(w.apply(x), t)


# -- versions, spaces, switching --------------------------------------------------------
def test_train_adapter_makes_a_new_active_space(catalog_copy: Settings) -> None:
    catalog = open_catalog(catalog_copy, create=False)
    mine(catalog, RulesJudge(), MiningConfig(anchors=5), get_context("studying"))
    card, active = train_catalog_adapter(catalog, catalog_copy, FAST, judge=RulesJudge())
    assert card.contexts == [""]  # context-free by default: studying triplets stay out
    assert card.version == "v1" and card.space == "acoustic-v3+adapter-v1"
    assert card.base_space == "acoustic-v3" and card.rounds == 1 and card.triplets > 0
    assert card.metrics["val_triplet_acc_after"] > card.metrics["val_triplet_acc_before"]
    assert {"val_judge_at_10_before", "val_judge_at_10_after"} <= set(card.metrics)
    folder = catalog_copy.catalog / "adapters" / "v1"
    assert (folder / "weights.npz").is_file()
    assert json.loads((folder / "card.json").read_text())["space"] == card.space
    # Normal commands keep working: the factory wraps the embedder in the active adapter.
    reopened = open_catalog(catalog_copy, create=False)
    assert reopened.audio_space == active.audio_space == card.space
    assert len(reopened) == len(catalog) == 120
    names = {c.name for c in reopened.client.list_collections()}
    assert {collection_name("audio", "acoustic-v3"), collection_name("audio", card.space)} <= names
    track = reopened.tracks()[0]
    assert track.provenance.embedder_space == card.space
    hits = reopened.query_audio(reopened.audio_vector(track.id), 5, exclude=[track.id])
    assert len(hits) == 5 and track.id not in {h.track_id for h in hits}


def test_mixing_spaces_is_refused(catalog_copy: Settings) -> None:
    catalog = open_catalog(catalog_copy, create=False)
    _, catalog = train_catalog_adapter(catalog, catalog_copy, FAST)
    mine(catalog, RulesJudge(), MiningConfig(anchors=20))
    v2, catalog = train_catalog_adapter(catalog, catalog_copy, FAST)
    assert catalog.audio_space == v2.space
    # Opening the v2 index with v1 (pinned) is refused, naming both spaces.
    with pytest.raises(SpaceMismatchError, match=r"adapter-v2.*adapter-v1"):
        open_catalog(load_settings(catalog=catalog_copy.catalog, adapter="v1"), create=False)
    # A v1 query vector against the v2 index is refused too.
    base = catalog.space_view("acoustic-v3")
    track_id = catalog.tracks()[0].id
    weights, card = load_adapter(catalog.folder, "v1")
    v1_vec = weights.apply(base.audio_vector(track_id))
    with pytest.raises(SpaceMismatchError, match=r"adapter-v1.*adapter-v2"):
        catalog.query_audio(v1_vec, 5, space=card.space)
    assert catalog.query_audio(catalog.audio_vector(track_id), 5, space=v2.space)
    # An adapter trained over one base space never wraps another embedder.
    with pytest.raises(SpaceMismatchError, match="maps from space"):
        AdapterEmbedder(_Fake("clap-v1", weights.dim), weights, card)


class _Fake:
    """A stand-in base embedder of another space."""

    def __init__(self, space: str, dim: int) -> None:
        self.space, self.dim, self.joint_text = space, dim, False


def test_use_and_rollback_switch_spaces_in_one_command(catalog_copy: Settings) -> None:
    catalog = open_catalog(catalog_copy, create=False)
    _, catalog = train_catalog_adapter(catalog, catalog_copy, FAST)
    _, catalog = train_catalog_adapter(catalog, catalog_copy, FAST)
    assert [c.version for c in list_cards(catalog.folder)] == ["v1", "v2"]
    catalog = rollback(catalog, catalog_copy)
    assert open_catalog(catalog_copy).audio_space == "acoustic-v3+adapter-v1"
    catalog = rollback(catalog, catalog_copy)
    assert open_catalog(catalog_copy).audio_space == "acoustic-v3"
    with pytest.raises(CatalogError, match="no earlier embedding space"):
        rollback(catalog, catalog_copy)
    catalog = use_version(catalog, "2", catalog_copy)
    assert split_space(open_catalog(catalog_copy).audio_space) == ("acoustic-v3", "v2")
    with pytest.raises(ConfigError, match="no adapter v9"):
        use_version(catalog, "v9", catalog_copy)


def test_ingest_under_an_adapter_and_switch_back(catalog_copy: Settings, tmp_path: Path) -> None:
    from linernotes.tools.demo import build_demo
    from linernotes.tools.ingest.pipeline import ingest

    catalog = open_catalog(catalog_copy, create=False)
    card, catalog = train_catalog_adapter(catalog, catalog_copy, FAST)
    extra = build_demo(tmp_path / "extra", n_tracks=1, seed=123, progress=False).parent
    report = ingest([extra], catalog_copy, progress=False, in_process=True)
    assert report.added == 1 and not report.skipped
    catalog = open_catalog(catalog_copy, create=False)
    assert len(catalog) == 121 and catalog.audio_space == card.space
    base = catalog.space_view("acoustic-v3")
    assert len(base) == 120  # the new track has only its adapted vector so far
    catalog = use_version(catalog, "none", catalog_copy)  # fills the base gap by analysis
    assert len(catalog) == 121 and catalog.audio_space == "acoustic-v3"


def test_cli_train_adapter_list_use_rollback_and_report(
    catalog_copy: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = ["--catalog", str(catalog_copy.catalog)]
    assert main(["train-adapter", *cat, "--epochs", "20", "--seed", "1", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["version"] == "v1" and card["seed"] == 1
    assert main(["adapter", "list", *cat, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["active"] == card["space"] and listed["history"] == ["acoustic-v3"]
    assert main(["adapter", "rollback", *cat]) == 0
    assert "active space: acoustic-v3\n" in capsys.readouterr().out
    assert main(["adapter", "use", "v1", *cat]) == 0
    out = tmp_path / "report"
    args = ["mine-report", str(out), *cat, "--max-tracks", "60", "--cross-contexts", "studying"]
    assert main(args) == 0
    text = (out / "report.md").read_text()
    assert "gain" in text and "mined for" in text and "adapter v1" in text


def test_a_running_session_follows_a_newly_activated_adapter(catalog_copy: Settings) -> None:
    """The UI's warm session sees `train-adapter` (another writer) without a restart."""
    from linernotes.agent.run import ask, reset_sessions, session_for

    reset_sessions()
    try:
        title = open_catalog(catalog_copy, create=False).tracks()[0].title
        assert ask(f"more like {title}", catalog_copy, count=3).picks
        assert session_for(catalog_copy).catalog.audio_space == "acoustic-v3"
        card, _ = train_catalog_adapter(
            open_catalog(catalog_copy, create=False), catalog_copy, FAST
        )
        answer = ask(f"more like {title}", catalog_copy, count=3)
        session = session_for(catalog_copy)
        assert answer.picks and session.catalog.audio_space == card.space
        assert session.backends.audio.space == card.space  # queries embedded in the new space
    finally:
        reset_sessions()
