"""``linernotes judge`` over a small catalog of hand-made tracks: modes, JSON, storage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_judge_rules import ANCHOR, POOL

from linernotes.tools.catalog.catalog import Catalog
from linernotes.tools.settings import load_settings
from linernotes.ui.cli import main


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """A catalog holding the anchor and pool, opened by the command through open_catalog."""
    settings = load_settings(catalog=tmp_path / "cat")
    cat = Catalog.open(settings, "acoustic-v1", "minilm-l6-v2")
    tracks = [ANCHOR, *POOL]
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((len(tracks), 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    cat.upsert(tracks, vecs, vecs.copy())
    monkeypatch.setattr("linernotes.tools.catalog.catalog.open_catalog", lambda s, create=True: cat)
    return cat


def test_pointwise_json_and_verdicts_stored(
    catalog: Catalog, capsys: pytest.CaptureFixture
) -> None:
    code = main(["judge", "--anchor", "anchor", "--candidates", "twin,loud,calm",
                 "--context", "late-night studying", "--json"])  # fmt: skip
    assert code == 0
    verdicts = json.loads(capsys.readouterr().out)
    assert verdicts[0]["track_id"] == "twin"
    assert verdicts[0]["context"] == "studying+sleep" and verdicts[0]["backend"] == "rules"
    assert len(catalog.verdicts(anchor_id="anchor")) == 3


def test_human_output_and_other_modes(catalog: Catalog, capsys: pytest.CaptureFixture) -> None:
    assert main(["judge", "--anchor", "Dusty Tape 3", "--context", "for a run"]) == 0
    out = capsys.readouterr().out
    assert "context: a run" in out and "Dusty Tape 3" in out
    assert main(["judge", "--anchor", "anchor", "--candidates", "loud,twin", "--mode",
                 "pairwise", "--context", "studying", "--no-store"]) == 0  # fmt: skip
    assert "winner: B (Track twin)" in capsys.readouterr().out
    assert main(["judge", "--anchor", "anchor", "--mode", "listwise", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ranking"]
    assert main(["judge", "--anchor", "anchor", "--mode", "attribute", "--dimensions",
                 "rhythm", "--json", "--no-store"]) == 0  # fmt: skip
    assert all(set(v["dimensions"]) == {"tempo"} for v in json.loads(capsys.readouterr().out))


def test_bad_input_exits_2(catalog: Catalog, capsys: pytest.CaptureFixture) -> None:
    assert main(["judge", "--anchor", "no-such-track"]) == 2
    assert main(["judge", "--anchor", "anchor", "--mode", "pairwise"]) == 2
    assert main(["judge", "--anchor", "anchor", "--mode", "attribute", "--dimensions", "x"]) == 2
    assert "unknown dimension 'x'" in capsys.readouterr().err


def test_pairwise_verdict_is_stored(catalog: Catalog, capsys: pytest.CaptureFixture) -> None:
    assert main(["judge", "--anchor", "anchor", "--candidates", "loud,twin", "--mode",
                 "pairwise", "--context", "studying", "--json"]) == 0  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    stored = catalog.records.pair_verdicts(anchor_id="anchor")
    assert len(stored) == 1 and stored[0]["winner"] == printed["winner"] == "B"
    assert stored[0]["a_id"] == "loud" and stored[0]["b_id"] == "twin"
    assert catalog.records.count("pair_verdicts") == 1
