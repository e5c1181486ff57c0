"""CLAP: a second production music-text embedder, through transformers' ``ClapModel``.

``laion/clap-htsat-fused`` maps 48 kHz audio (an HTSAT tower) and text (a RoBERTa tower)
into one L2-normalised 512-d space. Its feature extractor, in "fusion" mode, stacks random
crops of inputs longer than 10 s and, when no input in a batch is longer, marks one at
random as longer (a training trick): both would make a track's vector change from run to
run. So tracks are embedded, like MuQ-MuLan's, as up to ``max_clips`` clips of at most
10 s spread over the track, with ``is_longer`` set to the truth (never), and the clip
vectors averaged: deterministic, and what LAION's own inference code does for short input.

Weights come from ``settings.embedder_weights`` (a folder as ``hf download`` writes it) or
the Hugging Face cache, never from the network at run time (``HF_HUB_OFFLINE`` respected).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from linernotes.tools.embed import compat
from linernotes.tools.embed.clips import clip_options, l2_normalise, load_clips
from linernotes.tools.errors import BackendUnavailable
from linernotes.tools.settings import Settings

if TYPE_CHECKING:
    from linernotes.tools.analysis.measure import Analysis

MODEL_ID = "laion/clap-htsat-fused"
SAMPLE_RATE = 48_000
CLIP_S = 10.0
HOW_TO_GET = (
    f"On a machine with internet access run `hf download {MODEL_ID} --local-dir W` "
    "(older hubs: `huggingface-cli download ...`), copy W here and set "
    "LINERNOTES_EMBEDDER_WEIGHTS=W"
)


def _offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "") or os.environ.get("TRANSFORMERS_OFFLINE", "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def space_name(source: str | Path) -> str:
    """The embedding space of a CLAP checkpoint: named after its repository or folder."""
    name = Path(str(source)).name.lower()
    return name if name.startswith("clap") else f"clap-{name}"


def load_clap(source: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """Load ``ClapModel`` and ``ClapProcessor`` from a folder or the cache, offline.

    Raises:
        BackendUnavailable: the weights or the processor files are not available locally.
    """
    compat.ensure_torchaudio()  # transformers imports torchaudio when it is installed
    from transformers import ClapModel, ClapProcessor

    local_only = _offline() or Path(str(source)).is_dir()
    try:
        processor = ClapProcessor.from_pretrained(str(source), local_files_only=local_only)
        model = ClapModel.from_pretrained(str(source), local_files_only=local_only)
    except (OSError, ValueError) as e:
        raise BackendUnavailable(
            f"CLAP weights are not available from {source} ({type(e).__name__}: "
            f"{str(e)[:160]}). {HOW_TO_GET}"
        ) from e
    return model.eval().to(device), processor


def _features(out: Any) -> Any:
    """Take the features: a ModelOutput's ``pooler_output`` (transformers 5) or a tensor."""
    return getattr(out, "pooler_output", out)


class ClapEmbedder:
    """AudioEmbedder over a CLAP checkpoint: audio and text in one space.

    Args:
        settings: ``embedder_weights`` (folder; else the cached ``laion/clap-htsat-fused``),
            ``batch_size`` (clips per forward pass) and ``max_duration_s`` are used.
        device: Torch device; CUDA when available, else the CPU.
        max_clips: Most 10 s clips embedded per track.
    """

    joint_text = True

    def __init__(
        self, settings: Settings, *, device: str | None = None, max_clips: int = 3
    ) -> None:
        self.settings = settings
        self.device, self.batch_size = clip_options(settings.batch_size, device, max_clips)
        self.max_clips = max_clips
        self.source: str | Path = settings.embedder_weights or MODEL_ID
        if settings.embedder_weights is not None and not Path(self.source).is_dir():
            raise BackendUnavailable(
                f"embedder_weights={self.source} is not a folder. {HOW_TO_GET}"
            )
        self.model, self.processor = load_clap(self.source, self.device)
        self.space = space_name(self.source)
        self.dim = int(self.model.config.projection_dim)
        self.sample_rate = int(self.processor.feature_extractor.sampling_rate)
        self.clip_s = min(CLIP_S, float(self.processor.feature_extractor.max_length_s))

    def describe(self) -> dict[str, Any]:
        """What produced the vectors, for ``Catalog.stats`` and traces."""
        return {"space": self.space, "weights": str(self.source), "device": self.device,
                "max_clips": self.max_clips}  # fmt: skip

    def embed_clips(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Embed mono clips at ``sample_rate`` (each cut to 10 s at most) and average.

        Returns:
            ``(dim,)`` L2-normalised float32.
        """
        import torch

        if not clips:
            raise ValueError("embed_clips needs at least one clip")
        limit = int(self.sample_rate * self.clip_s)
        clips = [np.asarray(c, dtype=np.float32)[:limit] for c in clips]
        out = []
        extractor = self.processor.feature_extractor
        with torch.inference_mode():
            for start in range(0, len(clips), self.batch_size):
                chunk = clips[start : start + self.batch_size]
                inputs = extractor(chunk, sampling_rate=self.sample_rate, return_tensors="pt")
                is_longer = torch.zeros((len(chunk), 1), dtype=torch.bool)  # none is > 10 s
                feats = self.model.get_audio_features(
                    input_features=inputs["input_features"].to(self.device),
                    is_longer=is_longer.to(self.device),
                )
                out.append(_features(feats).float().cpu().numpy())
        return l2_normalise(l2_normalise(np.concatenate(out)).mean(axis=0))

    def embed_audio(self, path: Path, analysis: Analysis | None = None) -> np.ndarray:
        """Embed a track: up to ``max_clips`` clips of 10 s at 48 kHz mono, averaged."""
        clips = load_clips(
            path, self.sample_rate, self.clip_s, self.max_clips, self.settings.max_duration_s
        )
        return self.embed_clips(clips)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Embed texts into the audio space: ``(len(texts), dim)`` L2-normalised float32."""
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer = self.processor.tokenizer
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), 32):
                chunk = [str(t) for t in texts[start : start + 32]]
                enc = tokenizer(chunk, padding=True, truncation=True, return_tensors="pt")
                feats = self.model.get_text_features(
                    input_ids=enc["input_ids"].to(self.device),
                    attention_mask=enc["attention_mask"].to(self.device),
                )
                out.append(_features(feats).float().cpu().numpy())
        return l2_normalise(np.concatenate(out))
