"""Capacity figures for bench/ingest.py: per-stage costs measured here, scaled to a cluster.

``stage_costs`` times each ingest stage on real files (one CPU, serial, after a warm-up):
analysis, audio embedding, captioning, caption embedding and the catalog write.
``capacity_table`` turns them, with the production budget (MuQ-MuLan embedding ~50 ms and
an audio-LLM caption ~2 s of GPU per track), into tracks/hour for N CPU workers and G
GPUs. ``chroma_footprint`` sizes the Chroma server at 1M and 10M tracks from the vector
dimensions and the metadata bytes per track of a catalog built here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

PRODUCTION_EMBED_S = 0.05
"""GPU seconds per track of the production audio embedder (MuQ-MuLan; the seeds' budget)."""
PRODUCTION_CAPTION_S = 2.0
"""GPU seconds per track of an audio-LLM caption (the seeds' budget)."""
PRODUCTION_DIMS = {"audio": 512, "text": 384}
"""MuQ-MuLan audio vectors and MiniLM caption vectors."""
CLUSTERS = [(2, 0), (16, 1), (64, 8), (256, 32)]
"""(CPU workers, GPUs) rows of the table: this machine, a workstation, two clusters."""
HNSW_LINKS_BYTES = 2 * 16 * 4 + 4 + 8
"""Per vector in an HNSW index with max_neighbors 16 (``BULK_HNSW``): level-0 links
(2 x M ints), their count, and the label; upper levels add a few percent."""


def _per_track(fn: Any, items: list[Any], repeats: int = 3) -> float:
    """Median over ``repeats`` of the seconds per item of ``fn(items)``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(items)
        times.append((time.perf_counter() - start) / len(items))
    return float(np.median(times))


def stage_costs(files: list[Path], settings: Any) -> dict[str, float]:
    """Seconds per track of each ingest stage on ``files``, one CPU, this machine."""
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.embed.factory import make_text_embedder
    from linernotes.tools.ingest.stages import (
        Embedded,
        embed_stage,
        ingest_audio_embedder,
        listen_stage,
        track_record,
    )
    from linernotes.tools.ingest.worker import Analysed, analyse_path
    from linernotes.tools.listen.fallback import make_ingest_listener

    analysed = [analyse_path(str(f)) for f in files]  # warm-up, and the inputs below
    items = [(f"id{i}", a) for i, a in enumerate(analysed) if isinstance(a, Analysed)]
    analysis = _per_track(lambda fs: [analyse_path(str(f)) for f in fs], files, repeats=1)
    embedder = ingest_audio_embedder(settings)
    text = make_text_embedder(settings)
    catalog = Catalog.open(settings, embedder.space, text.space)
    listener = make_ingest_listener(settings, catalog.folder)
    embedded = embed_stage(embedder, items)
    heard = listen_stage(listener, [e for e in embedded if isinstance(e, Embedded)])
    captions = [h.heard.caption for h in heard if not isinstance(h, str) and hasattr(h, "heard")]
    text.embed(captions)  # load the model
    tracks = [
        track_record(h.track_id, h.item, h.heard, embedder_space=embedder.space,
                     text_space=text.space)
        for h in heard if hasattr(h, "heard")
    ]  # fmt: skip
    audio = np.stack([h.vector for h in heard if hasattr(h, "vector")])
    text_vecs = np.asarray(text.embed(captions), np.float32)
    return {
        "analysis": round(analysis, 4),
        "embedding": round(_per_track(lambda xs: embed_stage(embedder, xs), items), 5),
        "caption": round(_per_track(lambda xs: listen_stage(listener, xs), embedded), 5),
        "caption_embedding": round(_per_track(text.embed, captions), 5),
        "write": round(
            _per_track(lambda ts: catalog.upsert(ts, audio, text_vecs), tracks, repeats=3), 5
        ),
    }


def capacity_table(costs: dict[str, float]) -> list[dict[str, Any]]:
    """Tracks/hour per stage for each (CPU workers, GPUs) of ``CLUSTERS``, and the bound.

    Analysis runs on CPU workers at the cost measured here. With GPUs, embedding and
    captioning use the production budget (one model per GPU); without, the offline
    backends measured here run on the CPUs. Caption embedding and the catalog write run
    on the one driver process, as ``ingest_ray`` does.
    """
    rows = []
    for cpus, gpus in CLUSTERS:
        if gpus:
            embed = gpus * 3600 / PRODUCTION_EMBED_S
            caption = gpus * 3600 / PRODUCTION_CAPTION_S
        else:
            embed = cpus * 3600 / max(costs["embedding"], 1e-6)
            caption = cpus * 3600 / max(costs["caption"], 1e-6)
        stages = {
            "analysis": cpus * 3600 / costs["analysis"],
            "embedding": embed,
            "caption": caption,
            "driver": 3600 / max(costs["caption_embedding"] + costs["write"], 1e-6),
        }
        bound = min(stages, key=lambda k: stages[k])
        rows.append(
            {
                "cpus": cpus,
                "gpus": gpus,
                **{k: round(v) for k, v in stages.items()},
                "bound": bound,
                "tracks_per_hour": round(stages[bound]),
                "hours_for_1M": round(1e6 / stages[bound], 1),
            }
        )
    return rows


def chroma_footprint(catalog_folder: Path) -> dict[str, Any]:
    """Vector RAM and metadata disk of a Chroma server at 1M and 10M tracks.

    Dimensions and the metadata + caption bytes per track come from the catalog built
    here; the production row uses MuQ-MuLan (512-d) and MiniLM (384-d) vectors.
    """
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.settings import load_settings

    catalog = open_catalog(load_settings(catalog=catalog_folder), create=False)
    tracks = catalog.tracks()
    ids = [t.id for t in tracks]
    dims = {
        "audio": int(catalog.audio_vectors(ids[:1]).shape[1]),
        "text": PRODUCTION_DIMS["text"],
    }
    per_track_meta = float(np.mean([len(json.dumps(t.model_dump(mode="json"))) for t in tracks]))
    out: dict[str, Any] = {"metadata_bytes_per_track": round(per_track_meta)}
    for name, d in (("here", dims), ("production", PRODUCTION_DIMS)):
        per_track_ram = sum(4 * v + HNSW_LINKS_BYTES for v in d.values())
        out[name] = {
            "dims": d,
            **{
                f"{n}": {
                    "index_ram_gb": round(per_track_ram * count / 1e9, 2),
                    # records.sqlite (records + metadata index) + Chroma's metadata: about 2x.
                    "metadata_disk_gb": round(2 * per_track_meta * count / 1e9, 2),
                }
                for n, count in (("1M", 1_000_000), ("10M", 10_000_000))
            },
        }
    return out
