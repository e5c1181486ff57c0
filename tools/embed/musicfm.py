"""MusicFM (25 Hz): a self-supervised music encoder as an audio-only embedding space.

MusicFM (Won, Hung and Le, ICASSP 2024; github.com/minzwon/musicfm) is a BEST-RQ style
model: 24 kHz mono audio -> a 128-band power mel spectrogram in dB (n_fft 2048, hop 240,
i.e. 100 frames/s), normalised with the training set's mean and std -> two residual 2-D
conv blocks that halve frequency and time twice (25 frames/s) and a linear projection to
1024 -> a 12-layer wav2vec2-conformer encoder (rotary positions) from transformers, as
MusicFM itself uses. Its authors read sequence-level features from an inner layer (the
README's example takes hidden state 7) and mean-pool them over time; that is what is done
here, per 30 s clip (the length it was trained on), with the clip vectors averaged.

Written from that architecture, not imported (MusicFM is no package, and downloads a
conformer config when built); parameter names follow the published checkpoint so it loads
as is. The mel filters and window (HTK mel, unnormalised, periodic Hann: torchaudio's
defaults, which MusicFM used) are computed, then replaced by the checkpoint's own buffers.

Weights are never downloaded: ``settings.embedder_weights`` names a folder with
``pretrained_msd.pt`` + ``msd_stats.json`` (or the FMA pair), and optionally a
``config.json`` of ``MusicFMConfig`` fields for other sizes. MusicFM has no text tower:
``joint_text`` is False and text search goes through captions.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linernotes.tools.embed.clips import clip_options, l2_normalise, load_clips
from linernotes.tools.errors import BackendUnavailable, ConfigError
from linernotes.tools.settings import Settings

if TYPE_CHECKING:
    import torch

    from linernotes.tools.analysis.measure import Analysis

HOW_TO_GET = (
    "On a machine with internet access run `hf download minzwon/MusicFM msd_stats.json "
    "pretrained_msd.pt --local-dir W` (or fma_stats.json + pretrained_fma.pt), copy W here "
    "and set LINERNOTES_EMBEDDER_WEIGHTS=W"
)
VARIANTS = ("msd", "fma")  # preference order when a folder holds both (MSD is the better one)
_MEL = "preprocessor_melspec_2048.mel_stft."  # checkpoint buffer -> this module's buffer
MEL_KEYS = {_MEL + "spectrogram.window": "mel.window", _MEL + "mel_scale.fb": "mel.fb"}
TRAINING_ONLY = ("quantizer_", "linear.", "cls_token", "preprocessor_")


class MusicFMConfig(BaseModel):
    """Sizes of a MusicFM model; the defaults are the published 25 Hz model."""

    model_config = ConfigDict(extra="forbid")

    sample_rate: int = 24_000
    n_fft: int = 2048
    hop_length: int = 240
    n_mels: int = Field(128, description="Mel bands; a multiple of 4 (two stride-2 blocks).")
    conv_dim: int = 512
    encoder_dim: int = 1024
    encoder_depth: int = 12
    attention_heads: int = 16
    intermediate_size: int = 4096
    conv_kernel: int = Field(31, description="Conformer depthwise convolution kernel.")
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16
    layer: int = Field(7, description="Hidden state pooled: 0 = conv output, depth = last.")
    clip_s: float = Field(30.0, gt=0, description="Seconds per clip (training length: 30).")

    def conformer(self) -> Any:
        """The wav2vec2-conformer config MusicFM builds its encoder from (rotary, swish)."""
        from transformers import Wav2Vec2ConformerConfig

        return Wav2Vec2ConformerConfig(
            hidden_size=self.encoder_dim,
            num_hidden_layers=self.encoder_depth,
            num_attention_heads=self.attention_heads,
            intermediate_size=self.intermediate_size,
            hidden_act="swish",
            position_embeddings_type="rotary",
            rotary_embedding_base=10000,
            conv_depthwise_kernel_size=self.conv_kernel,
            num_conv_pos_embeddings=self.pos_conv_kernel,
            num_conv_pos_embedding_groups=self.pos_conv_groups,
            layer_norm_eps=1e-5,
            max_source_positions=5000,
            layerdrop=0.0,
        )


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_fft // 2 + 1, n_mels) triangular HTK-mel filters, unnormalised, 0 Hz to Nyquist."""
    freqs = np.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    top_mel = 2595.0 * np.log10(1.0 + (sample_rate // 2) / 700.0)
    edges = 700.0 * (10.0 ** (np.linspace(0.0, top_mel, n_mels + 2) / 2595.0) - 1.0)
    width = np.diff(edges)
    rising = (freqs[:, None] - edges[None, :-2]) / width[None, :-1]
    falling = (edges[None, 2:] - freqs[:, None]) / width[None, 1:]
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


@cache
def _modules() -> dict[str, Any]:
    """The torch modules, built on first use (torch is imported only when MusicFM is used)."""
    import torch
    from torch import nn

    class MelFrontEnd(nn.Module):
        """Power mel spectrogram in dB (10 log10, floor 1e-10), last frame dropped."""

        window: torch.Tensor
        fb: torch.Tensor

        def __init__(self, c: MusicFMConfig) -> None:
            super().__init__()
            self.n_fft, self.hop = c.n_fft, c.hop_length
            self.register_buffer("window", torch.hann_window(c.n_fft))
            fb = mel_filterbank(c.sample_rate, c.n_fft, c.n_mels)
            self.register_buffer("fb", torch.from_numpy(fb))

        def forward(self, wav: torch.Tensor) -> torch.Tensor:
            spec = torch.stft(wav.float(), self.n_fft, self.hop, window=self.window,
                              center=True, pad_mode="reflect", return_complex=True)  # fmt: skip
            mel = torch.matmul(spec.abs().pow(2).transpose(-1, -2), self.fb).transpose(-1, -2)
            return (10.0 * torch.log10(mel.clamp(min=1e-10)))[..., :-1]

    class ResBlock(nn.Module):
        """Two 3x3 convs with batch norm and a strided 3x3 shortcut (MusicFM's Res2d)."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=(2, 2))
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(cout)
            self.conv3 = nn.Conv2d(cin, cout, 3, padding=1, stride=(2, 2))
            self.bn3 = nn.BatchNorm2d(cout)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(self.bn3(self.conv3(x)) + out)

    class Subsampling(nn.Module):
        """(batch, mels, frames) -> (batch, frames / 4, encoder_dim)."""

        def __init__(self, c: MusicFMConfig) -> None:
            super().__init__()
            self.conv = nn.Sequential(ResBlock(1, c.conv_dim), ResBlock(c.conv_dim, c.conv_dim))
            self.linear = nn.Linear(c.conv_dim * (c.n_mels // 4), c.encoder_dim)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv(x.unsqueeze(1))  # (b, channels, mels/4, frames/4)
            b, ch, f, t = x.shape
            return self.linear(x.permute(0, 3, 1, 2).reshape(b, t, ch * f))

    class MusicFM(nn.Module):
        """Front end, subsampling and conformer; ``forward`` gives pooled hidden states."""

        def __init__(self, c: MusicFMConfig, mean: float, std: float) -> None:
            super().__init__()
            from linernotes.tools.embed import compat

            compat.ensure_torchaudio()  # transformers imports torchaudio when installed
            from transformers.models.wav2vec2_conformer import modeling_wav2vec2_conformer as m

            self.config, self.mean, self.std = c, float(mean), float(std)
            self.mel = MelFrontEnd(c)
            self.conv = Subsampling(c)
            conformer_config = c.conformer()
            conformer_config._attn_implementation = "sdpa"
            self.conformer = m.Wav2Vec2ConformerEncoder(conformer_config)

        def hidden(self, wav: torch.Tensor, layer: int) -> torch.Tensor:
            """Hidden state ``layer`` (batch, frames), running no conformer layer after it.

            That is the input of conformer layer ``layer`` (0: the conv output), or the
            encoder's final normed output when ``layer`` is its depth.
            """
            x = (self.mel(wav) - self.mean) / self.std
            x = self.conv(x)
            if layer >= len(self.conformer.layers):
                return self.conformer(x)["last_hidden_state"]
            if layer == 0:
                return x
            box: dict[str, torch.Tensor] = {}

            def grab(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
                box["h"] = args[0] if args else kwargs["hidden_states"]
                raise _Reached

            hook = self.conformer.layers[layer].register_forward_pre_hook(grab, with_kwargs=True)
            try:
                self.conformer(x)
            except _Reached:
                pass
            finally:
                hook.remove()
            return box["h"]

        def forward(self, wav: torch.Tensor, layer: int) -> torch.Tensor:
            return self.hidden(wav, layer).mean(dim=1)

    return {"MusicFM": MusicFM}


class _Reached(Exception):
    """Raised by the hook that read the wanted layer, to skip the layers after it."""


def build_model(config: MusicFMConfig, mean: float = 0.0, std: float = 1.0) -> Any:
    """A MusicFM with random weights from ``config`` (the shape the checkpoints load into)."""
    if config.n_mels % 4:
        raise ConfigError(f"MusicFM n_mels must be a multiple of 4, got {config.n_mels}")
    if not 0 <= config.layer <= config.encoder_depth:
        raise ConfigError(f"MusicFM layer must be 0..{config.encoder_depth}, got {config.layer}")
    return _modules()["MusicFM"](config, mean, std)


def find_checkpoint(folder: Path) -> tuple[str, Path, Path]:
    """The (variant, checkpoint, stats) in a weights folder: MSD before FMA, then others.

    Raises:
        BackendUnavailable: no ``pretrained_<variant>.pt`` with its ``<variant>_stats.json``.
    """
    if not folder.is_dir():
        raise BackendUnavailable(f"MusicFM weights folder {folder} does not exist. {HOW_TO_GET}")
    found = {p.stem.removeprefix("pretrained_"): p for p in folder.glob("pretrained_*.pt")}
    order = [v for v in VARIANTS if v in found] + sorted(set(found) - set(VARIANTS))
    for variant in order:
        stats = folder / f"{variant}_stats.json"
        if stats.is_file():
            return variant, found[variant], stats
    missing = f"{order[0]}_stats.json beside pretrained_{order[0]}.pt" if order else (
        "pretrained_msd.pt and msd_stats.json")  # fmt: skip
    raise BackendUnavailable(f"MusicFM weights folder {folder} has no {missing}. {HOW_TO_GET}")


def read_state(checkpoint: Path) -> dict[str, Any]:
    """The model's tensors from a MusicFM checkpoint, keys without the ``model.`` prefix.

    The file is read with ``weights_only=True``: a checkpoint that needs arbitrary
    pickled objects is refused rather than executed.
    """
    import torch

    try:
        raw = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as e:
        raise BackendUnavailable(
            f"cannot read MusicFM checkpoint {checkpoint} as plain tensors "
            f"({type(e).__name__}: {str(e)[:120]}). If you trust the file, keep only its "
            f"tensors once: python -c \"import torch; p='{checkpoint}'; torch.save({{'state_dict':"
            " torch.load(p, weights_only=False)['state_dict']}, p)\""
        ) from e
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict) or not state:
        raise BackendUnavailable(f"{checkpoint} holds no state_dict of tensors. {HOW_TO_GET}")
    return {k.removeprefix("model."): v for k, v in state.items()}


def load_weights(model: Any, state: dict[str, Any], checkpoint: Path) -> None:
    """Load a checkpoint's tensors into ``model``; every tensor the model uses must be there.

    Training-only parts (the random quantisers, the token head, the CLS token) are
    dropped; the checkpoint's mel buffers replace the computed ones; legacy weight-norm
    names (``weight_g``/``weight_v``) are mapped to torch's parametrization names.
    """
    mapped: dict[str, Any] = {}
    for key, value in state.items():
        if key in MEL_KEYS:
            mapped[MEL_KEYS[key]] = value
        elif not key.startswith(TRAINING_ONLY):
            key = key.replace(".weight_g", ".parametrizations.weight.original0")
            mapped[key.replace(".weight_v", ".parametrizations.weight.original1")] = value
    own = model.state_dict()
    for name in (*MEL_KEYS.values(), "conformer.embed_positions.inv_freq"):  # computable
        mapped.setdefault(name, own[name])
    bad = [k for k, v in mapped.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if bad:
        got, want = tuple(mapped[bad[0]].shape), tuple(own[bad[0]].shape)
        raise BackendUnavailable(f"{checkpoint} does not fit the MusicFM config: {bad[0]} "
                                 f"is {got}, expected {want} (config.json sets sizes)")  # fmt: skip
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    if missing or unexpected:
        first = (missing or unexpected)[0]
        raise BackendUnavailable(
            f"{checkpoint} does not fit the MusicFM config: {len(missing)} tensors missing, "
            f"{len(unexpected)} unexpected (first: {first}). {HOW_TO_GET}"
        )


def read_config(folder: Path) -> MusicFMConfig:
    """``config.json`` of the weights folder, or the published model's sizes."""
    path = folder / "config.json"
    if not path.is_file():
        return MusicFMConfig()
    try:
        return MusicFMConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as e:
        raise ConfigError(f"{path} is not a MusicFM config: {str(e).splitlines()[0]}") from e


class MusicFMEmbedder:
    """AudioEmbedder over MusicFM 25 Hz: mean-pooled hidden state, clips averaged.

    Args:
        settings: ``embedder_weights`` (folder), ``batch_size`` (clips per forward pass)
            and ``max_duration_s`` are used.
        device: Torch device; CUDA when available, else the CPU.
        max_clips: Most 30 s clips embedded per track.
    """

    joint_text = False

    def __init__(
        self, settings: Settings, *, device: str | None = None, max_clips: int = 3
    ) -> None:
        self.device, self.batch_size = clip_options(settings.batch_size, device, max_clips)
        if settings.embedder_weights is None:
            raise BackendUnavailable(f"MusicFM needs a local weights folder. {HOW_TO_GET}")
        self.settings, self.max_clips = settings, max_clips
        folder = Path(settings.embedder_weights).expanduser()
        self.variant, self.checkpoint, stats_path = find_checkpoint(folder)
        self.config = read_config(folder)
        try:
            stats = json.loads(stats_path.read_text(encoding="utf-8"))
            mean, std = float(stats["melspec_2048_mean"]), float(stats["melspec_2048_std"])
        except (ValueError, KeyError, TypeError) as e:
            raise BackendUnavailable(
                f"{stats_path} lacks melspec_2048_mean/std ({type(e).__name__}). {HOW_TO_GET}"
            ) from e
        if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
            raise BackendUnavailable(f"{stats_path} has unusable stats: mean {mean}, std {std}")
        self.model = build_model(self.config, mean, std)
        load_weights(self.model, read_state(self.checkpoint), self.checkpoint)
        self.model = self.model.eval().to(self.device)
        self.sample_rate, self.clip_s = self.config.sample_rate, self.config.clip_s
        self.dim = self.config.encoder_dim
        self.space = f"musicfm-{self.variant}-l{self.config.layer}"

    def describe(self) -> dict[str, Any]:
        """What produced the vectors, for ``Catalog.stats`` and traces."""
        return {"space": self.space, "weights": str(self.checkpoint), "device": self.device,
                "layer": self.config.layer, "max_clips": self.max_clips}  # fmt: skip

    def embed_clips(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Embed mono clips at ``sample_rate``, each cut to at most one clip length.

        Clips of equal length share forward passes; a shorter one (a short track) runs at
        its own length rather than padded, so silence never enters the mean.

        Returns:
            ``(dim,)`` L2-normalised float32: the mean of the clips' pooled hidden states.
        """
        import torch

        if not clips:
            raise ValueError("embed_clips needs at least one clip")
        length = int(self.sample_rate * self.clip_s)
        shortest = self.config.n_fft  # below one FFT window there is nothing to pool
        cut = [np.asarray(c, dtype=np.float32)[:length] for c in clips]
        if any(len(c) < shortest for c in cut):
            raise ValueError(f"MusicFM needs clips of at least {shortest} samples")
        by_length: dict[int, list[np.ndarray]] = {}
        for clip in cut:
            by_length.setdefault(len(clip), []).append(clip)
        pooled = []
        with torch.inference_mode():
            for group in by_length.values():
                batch = np.stack(group)
                for start in range(0, len(batch), self.batch_size):
                    x = torch.from_numpy(batch[start : start + self.batch_size]).to(self.device)
                    pooled.append(self.model(x, self.config.layer).float().cpu().numpy())
        return l2_normalise(np.concatenate(pooled).mean(axis=0))

    def embed_audio(self, path: Path, analysis: Analysis | None = None) -> np.ndarray:
        """Embed a track: up to ``max_clips`` clips at 24 kHz mono, pooled, averaged."""
        clips = load_clips(
            path, self.sample_rate, self.clip_s, self.max_clips, self.settings.max_duration_s
        )
        return self.embed_clips(clips)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """MusicFM has no text tower; text search uses the caption space."""
        raise ConfigError(
            "embedder 'musicfm' has no text tower: search text through captions, or use "
            "'muq-mulan' or 'clap' for joint audio-text search"
        )
