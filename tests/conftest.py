"""Shared fixtures: an isolated environment per test and the ingested demo catalog.

The demo catalog (120 rendered tracks, ingested with the offline backends) is built once
per test session. Set ``LINERNOTES_TEST_CACHE=DIR`` to keep it between sessions while
developing; CI always builds it fresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# huggingface_hub reads these when it is first imported, before any fixture runs; set
# them at conftest import so no test can ever reach a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from linernotes.tools.settings import Settings, load_settings

DEMO_TRACKS = 120
HELDOUT_SEED = 1
"""Seed of the held-out demo: constants were fitted on seed 0, quality is judged on this."""
HELDOUT_TRACKS = 60
"""Five tracks per style: enough for every held-out expectation, half the ingest time."""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests off the user's catalog, config file and any network model hub."""
    for key in list(os.environ):
        if key.startswith("LINERNOTES_") and key != "LINERNOTES_TEST_CACHE":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LINERNOTES_CATALOG", str(tmp_path / "catalog"))
    monkeypatch.setenv("LINERNOTES_CONFIG", str(tmp_path / "linernotes.toml"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@dataclass(frozen=True)
class DemoCatalog:
    """The ingested demo: settings pointing at it and the manifest rows (absolute paths)."""

    settings: Settings
    rows: list[dict[str, str]]
    manifest: Path

    def row_for(self, path: str) -> dict[str, str]:
        """The manifest row of the track at ``path``."""
        resolved = str(Path(path).resolve())
        for row in self.rows:
            if row["path"] == resolved:
                return row
        raise KeyError(path)


@pytest.fixture(scope="session")
def demo_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to the manifest of the rendered 120-track demo (not ingested)."""
    from linernotes.tools.demo import build_demo

    cache = os.environ.get("LINERNOTES_TEST_CACHE")
    root = Path(cache) if cache else tmp_path_factory.mktemp("demo")
    return build_demo(root / "demo-audio", n_tracks=DEMO_TRACKS, seed=0, progress=False)


@pytest.fixture(scope="session")
def demo_catalog(demo_manifest: Path) -> DemoCatalog:
    """The demo rendered and ingested with the offline backends, built once per session."""
    from linernotes.tools.ingest.pipeline import ingest

    settings = load_settings(catalog=demo_manifest.parent.parent / "catalog", workers=2)
    ingest([demo_manifest.parent], settings, progress=False)
    from linernotes.tools.demo import read_manifest

    return DemoCatalog(settings, read_manifest(demo_manifest), demo_manifest)


@pytest.fixture(scope="session")
def heldout_catalog(tmp_path_factory: pytest.TempPathFactory) -> DemoCatalog:
    """A second demo (seed ``HELDOUT_SEED``), rendered and ingested once per session.

    Rules and thresholds were fitted on the seed-0 demo; tests that judge the *quality*
    of answers (do the picks satisfy what was asked?) run here, on tracks nothing was
    tuned on.
    """
    from linernotes.tools.demo import build_demo, read_manifest
    from linernotes.tools.ingest.pipeline import ingest

    cache = os.environ.get("LINERNOTES_TEST_CACHE")
    base = Path(cache) if cache else tmp_path_factory.mktemp("heldout")
    root = base / f"seed{HELDOUT_SEED}-{HELDOUT_TRACKS}"
    manifest = build_demo(
        root / "demo-audio", n_tracks=HELDOUT_TRACKS, seed=HELDOUT_SEED, progress=False
    )
    settings = load_settings(catalog=root / "catalog", workers=2)
    ingest([manifest.parent], settings, progress=False)
    return DemoCatalog(settings, read_manifest(manifest), manifest)
