"""In-process listener: Qwen2-Audio through ``transformers``, batched, on the best device.

For a machine with a GPU and the weights on disk, but no vLLM server. It hears the same
excerpts as the served listener (``excerpts.py``: 16 kHz, at most 30 s each, never two
tracks in one clip), captions them in batches with ``generate``, merges a track's excerpt
captions, then extracts and fact-checks like every other listener.

The loading code is the real one; tests run it on CPU with a tiny random Qwen2-Audio
built from a config and a tokenizer built in code (no download).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.prompts import load_prompt
from linernotes.tools.errors import BackendUnavailable, LinernotesError
from linernotes.tools.listen.base import ListenResult
from linernotes.tools.listen.excerpts import load_excerpts
from linernotes.tools.listen.extract import extract_summary
from linernotes.tools.listen.factcheck import check_result
from linernotes.tools.listen.openai_audio import merge_captions
from linernotes.tools.listen.presets import PRESETS, Preset, resolve_preset
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.schemas import Measurements, Tags


def pick_device() -> str:
    """CUDA if present, else Apple's MPS, else CPU."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class HFAudioListener:
    """Captions with a ``Qwen2AudioForConditionalGeneration`` held in this process.

    Args:
        model: The loaded model (moved to ``device``).
        processor: Its ``Qwen2AudioProcessor`` (feature extractor + tokenizer).
        model_name: Name recorded in provenance (Hub id or local folder).
        preset: Excerpt length, count, sample rate and prompt (Qwen2-Audio's by default).
        device: Torch device; chosen automatically when None.
        batch_size: Excerpts per ``generate`` call.
        max_new_tokens: Caption length budget.
        extractor: Text LLM for caption -> TrackSummary; None: rule-based (recorded).
    """

    name = "hf"

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        model_name: str,
        preset: Preset | None = None,
        device: str | None = None,
        batch_size: int = 4,
        max_new_tokens: int = 256,
        extractor: OpenAIChat | None = None,
    ):
        self.device = device or pick_device()
        self.hf_model = model.to(self.device).eval()
        self.processor = processor
        self.processor.tokenizer.padding_side = "left"  # decoder-only batched generation
        self.model: str | None = model_name
        self.preset = preset or PRESETS["qwen2-audio"]
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.extractor = extractor

    @classmethod
    def from_settings(cls, settings: Any) -> HFAudioListener:
        """Load Qwen2-Audio from a local folder or the local Hub cache; never downloads.

        ``local_files_only`` keeps ingest from stalling on (or reaching) a model hub:
        weights are fetched once, deliberately, with ``hf download``.

        ``settings.listener_model`` names a preset ("qwen2-audio"), a Hub id, or a folder.
        """
        try:
            import torch
            from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration
        except ImportError as e:  # pragma: no cover - transformers is a core dependency
            raise BackendUnavailable(f"the hf listener needs transformers and torch: {e}") from e
        name = settings.listener_model
        source = name if Path(name).is_dir() else resolve_preset(name).model
        device = pick_device()
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        try:
            processor = AutoProcessor.from_pretrained(source, local_files_only=True)
            model = Qwen2AudioForConditionalGeneration.from_pretrained(
                source, dtype=dtype, local_files_only=True
            )
        except OSError as e:
            raise BackendUnavailable(
                f"cannot load Qwen2-Audio weights from {source!r}: {e}. Download them first "
                f"(hf download {source}) or set listener_model to a local folder."
            ) from e
        extractor = None
        if settings.reasoner == "openai":
            extractor = OpenAIChat.from_settings(settings, "reasoner")
        return cls(
            model,
            processor,
            model_name=source,
            device=device,
            batch_size=settings.batch_size,
            extractor=extractor,
        )

    @property
    def prompt_version(self) -> str:
        """Listening prompt version plus extraction kind: the caption cache key part."""
        extract = "extract-llm" if self.extractor is not None else "extract-rules"
        return f"{self.preset.prompt_version}+{extract}"

    def _prompt_text(self, index: int, count: int) -> str:
        """The chat-formatted text for one excerpt: one audio placeholder plus the prompt."""
        content: list[dict[str, Any]] = [{"type": "audio", "audio_url": "excerpt.wav"}]
        if self.preset.prompt is not None:
            prompt = load_prompt(self.preset.prompt)
            values = {"excerpt": index + 1, "excerpts": count}
            text = prompt.render(**{k: v for k, v in values.items() if k in prompt.variables})
            content.append({"type": "text", "text": text.strip()})
        conversation = [{"role": "user", "content": content}]
        return self.processor.apply_chat_template(
            conversation, add_generation_prompt=True, tokenize=False
        )

    def caption_clips(self, clips: Sequence[np.ndarray], prompts: Sequence[str]) -> list[str]:
        """Caption clips in batches of ``batch_size``; returns only the generated text."""
        import torch

        out: list[str] = []
        for i in range(0, len(clips), self.batch_size):
            batch_clips = [np.asarray(c, dtype=np.float32) for c in clips[i : i + self.batch_size]]
            inputs = self.processor(
                text=list(prompts[i : i + self.batch_size]),
                audio=batch_clips,
                sampling_rate=self.preset.sample_rate,
                return_tensors="pt",
                padding=True,
            )
            inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
            if "input_features" in inputs:
                inputs["input_features"] = inputs["input_features"].to(self.hf_model.dtype)
            with torch.inference_mode():
                generated = self.hf_model.generate(
                    **inputs, max_new_tokens=self.max_new_tokens, do_sample=False
                )
            new = generated[:, inputs["input_ids"].shape[1] :]
            out.extend(self.processor.batch_decode(new, skip_special_tokens=True))
        return [t.strip() for t in out]

    def listen_many(
        self, items: Sequence[tuple[Path, Measurements, Tags]]
    ) -> list[ListenResult | LinernotesError]:
        """Caption many tracks, batching excerpts across tracks; per-file errors in place."""
        slots: list[tuple[list[np.ndarray], list[float]] | LinernotesError] = []
        for path, _, _ in items:
            try:
                slots.append(load_excerpts(Path(path), self.preset))
            except LinernotesError as e:
                slots.append(e)
        clips: list[np.ndarray] = []
        prompts: list[str] = []
        for slot in slots:
            if not isinstance(slot, LinernotesError):
                clips.extend(slot[0])
                prompts.extend(self._prompt_text(i, len(slot[0])) for i in range(len(slot[0])))
        captions = iter(self.caption_clips(clips, prompts))
        results: list[ListenResult | LinernotesError] = []
        for (_, m, tags), slot in zip(items, slots, strict=True):
            if isinstance(slot, LinernotesError):
                results.append(slot)
                continue
            caption = merge_captions([next(captions) for _ in slot[0]], slot[1])
            ex = extract_summary(caption, m, tags, self.extractor)
            result = ListenResult(
                ex.summary,
                caption,
                self.name,
                self.model,
                self.prompt_version,
                notes=list(ex.notes),
            )
            results.append(check_result(result, m))
        return results

    def listen(self, path: Path, measurements: Measurements, tags: Tags) -> ListenResult:
        """Caption one track; per-file errors are raised."""
        (result,) = self.listen_many([(path, measurements, tags)])
        if isinstance(result, LinernotesError):
            raise result
        return result
