"""MuQ-MuLan: the production music-text embedder (one 512-d space for audio and text).

MuQ-MuLan (``OpenMuQ/MuQ-MuLan-large``, the ``muq`` package) is a CLIP-style model: a
MuQ audio tower and an XLM-RoBERTa text tower projected into one L2-normalised 512-d
space, so "calm piano for studying" can be searched against the tracks' audio vectors.
Following the model card, audio is 24 kHz mono cut into 10 s clips whose embeddings are
averaged; here at most ``max_clips`` clips spread over the track (skipping intros and
fade-outs, as ``tools.audio.excerpt_starts`` does), batched in one forward pass.

Weights are never downloaded at run time. They come from ``settings.embedder_weights``
(a folder holding the MuQ-MuLan files, optionally with the two towers it is built from in
sub-folders named after their repositories) or from the Hugging Face cache, and
``HF_HUB_OFFLINE`` is respected. When they are missing, ``BackendUnavailable`` says how to
get them. ``muq`` 0.1.0 is made to work with torch 2.13 and transformers 5 by
``tools.embed.compat`` (no edit of site-packages).
"""

from __future__ import annotations

import json
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

SPACE = "muq-mulan-large"
DIM = 512
SAMPLE_RATE = 24_000
CLIP_S = 10.0
MODEL_ID = "OpenMuQ/MuQ-MuLan-large"
TOWERS = {"audio_model": "OpenMuQ/MuQ-large-msd-iter", "text_model": "xlm-roberta-base"}
HOW_TO_GET = (
    "On a machine with internet access run `hf download OpenMuQ/MuQ-MuLan-large --local-dir W`, "
    "`hf download OpenMuQ/MuQ-large-msd-iter --local-dir W/MuQ-large-msd-iter` and "
    "`hf download FacebookAI/xlm-roberta-base --local-dir W/xlm-roberta-base` "
    "(older hubs: `huggingface-cli download ...`), copy W here and set "
    "LINERNOTES_EMBEDDER_WEIGHTS=W"
)
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def resolve_weights(weights: Path | None) -> Path:
    """Find the folder holding MuQ-MuLan's ``config.json`` and weights, without downloading.

    Raises:
        BackendUnavailable: no usable folder; the message says how to get one.
    """
    if weights is not None:
        folder = Path(weights).expanduser()
        if not (folder / "config.json").is_file():
            raise BackendUnavailable(
                f"embedder_weights={folder} holds no MuQ-MuLan config.json. {HOW_TO_GET}"
            )
        return folder
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(MODEL_ID, local_files_only=_offline()))
    except Exception as e:  # hub errors vary by version; every one means "not available"
        raise BackendUnavailable(
            f"MuQ-MuLan weights ({MODEL_ID}) are not in the Hugging Face cache "
            f"({type(e).__name__}). {HOW_TO_GET}"
        ) from e


def localise_config(config: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Point the two towers at sub-folders of ``folder`` when they are there.

    ``muq`` builds its towers with ``from_pretrained(name)``; a local folder named after the
    repository (``W/MuQ-large-msd-iter``, ``W/xlm-roberta-base``) keeps the model offline
    and independent of how the cache names repositories.
    """
    config = json.loads(json.dumps(config))
    for key in TOWERS:
        name = str(config.get(key, {}).get("name") or "")
        local = folder / Path(name).name if name else None
        if local is not None and local.is_dir():
            config[key]["name"] = str(local)
    return config


def _read_state(folder: Path) -> dict[str, Any]:
    for name in _WEIGHT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if name.endswith(".safetensors"):
            from safetensors.torch import load_file

            return load_file(str(path))
        import torch

        return torch.load(str(path), map_location="cpu", weights_only=True)
    raise BackendUnavailable(f"no {' or '.join(_WEIGHT_FILES)} in {folder}. {HOW_TO_GET}")


def load_mulan(weights: Path | None, device: str = "cpu") -> tuple[Any, Path]:
    """Build MuQ-MuLan from local files, adapted to this stack, in eval mode on ``device``.

    Raises:
        ModuleNotFoundError: the 'muq' extra is missing (with the pip command).
        BackendUnavailable: weights, a tower or its tokenizer cannot be found offline.
    """
    muq = compat.import_muq()
    folder = resolve_weights(weights)
    config = localise_config(json.loads((folder / "config.json").read_text()), folder)
    try:
        model = muq.MuQMuLan(config)
        model.mulan_module.text.tokenizer  # noqa: B018 - load it now, not on the first query
    except (OSError, ValueError, KeyError) as e:
        towers = ", ".join(str(config.get(k, {}).get("name")) for k in TOWERS)
        raise BackendUnavailable(
            f"cannot build MuQ-MuLan from {folder}: a tower ({towers}) is not available "
            f"offline ({type(e).__name__}: {str(e)[:200]}). {HOW_TO_GET}"
        ) from e
    missing, _unexpected = model.load_state_dict(_read_state(folder), strict=False)
    if missing:
        raise BackendUnavailable(
            f"the weights in {folder} do not fit its config: {len(missing)} tensors missing "
            f"(first: {missing[0]}). {HOW_TO_GET}"
        )
    compat.adapt_muq_model(model)
    return model.eval().to(device), folder


def fit_clip(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut or wrap-pad mono samples to exactly ``length`` (MuQ-MuLan pads by wrapping)."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) >= length:
        return samples[:length]
    return np.resize(samples, length).astype(np.float32)


class MuQMuLanEmbedder:
    """AudioEmbedder over MuQ-MuLan-large: audio and text in one 512-d space.

    Args:
        settings: ``embedder_weights`` (folder), ``batch_size`` (clips per forward pass)
            and ``max_duration_s`` are used.
        device: Torch device; CUDA when available, else the CPU.
        max_clips: Most 10 s clips embedded per track (the cost on a CPU is per clip).
    """

    space = SPACE
    dim = DIM
    joint_text = True

    def __init__(
        self, settings: Settings, *, device: str | None = None, max_clips: int = 6
    ) -> None:
        self.settings = settings
        self.device, self.batch_size = clip_options(settings.batch_size, device, max_clips)
        self.max_clips = max_clips
        self.model, self.weights = load_mulan(settings.embedder_weights, self.device)
        self.sample_rate = int(getattr(self.model, "sr", SAMPLE_RATE))
        self.clip_s = float(getattr(self.model, "clip_secs", CLIP_S))
        dim = int(self.model.mulan_module.dim_latent)
        if dim != DIM:
            raise BackendUnavailable(f"{self.weights} holds a {dim}-d MuQ-MuLan, expected {DIM}")

    def describe(self) -> dict[str, Any]:
        """What produced the vectors, for ``Catalog.stats`` and traces."""
        return {
            "space": self.space,
            "weights": str(self.weights),
            "device": self.device,
            "max_clips": self.max_clips,
            "compat_shims": list(compat.APPLIED),
        }

    def embed_clips(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Embed mono clips at ``sample_rate`` (each cut/padded to one clip) and average.

        Returns:
            ``(dim,)`` L2-normalised float32.
        """
        import torch

        if not clips:
            raise ValueError("embed_clips needs at least one clip")
        length = int(self.sample_rate * self.clip_s)
        batch = np.stack([fit_clip(c, length) for c in clips])
        latents = []
        with torch.inference_mode():
            for start in range(0, len(batch), self.batch_size):
                x = torch.from_numpy(batch[start : start + self.batch_size]).to(self.device)
                out = self.model.mulan_module.get_audio_latents(x)
                latents.append(out.float().cpu().numpy())
        return l2_normalise(np.concatenate(latents).mean(axis=0))

    def embed_audio(self, path: Path, analysis: Analysis | None = None) -> np.ndarray:
        """Embed a track: up to ``max_clips`` 10 s clips at 24 kHz mono, averaged."""
        clips = load_clips(
            path, self.sample_rate, self.clip_s, self.max_clips, self.settings.max_duration_s
        )
        return self.embed_clips(clips)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Embed texts into the audio space: ``(len(texts), dim)`` L2-normalised float32.

        One text per forward pass: MuQ-MuLan's text head averages over every position,
        padding included, so a padded batch would give a text a different vector
        depending on its neighbours in the batch.
        """
        import torch

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = []
        with torch.inference_mode():
            for text in texts:
                latents = self.model.mulan_module.get_text_latents(raw_texts=[str(text)])
                out.append(latents.float().cpu().numpy())
        return l2_normalise(np.concatenate(out))
