"""What each served audio model needs: sample rate, how much it hears, its prompt.

These facts shape the requests (see ARCHITECTURE.md): Qwen2-Audio hears at most 30 s, so
a track is heard as up to three separate excerpts whose captions are merged (two tracks,
or two excerpts, are never glued into one clip); the Qwen3-Omni Captioner takes audio
only, with no text prompt, so structured fields always come from a text extraction step.
Values marked "unverified" come from model cards as remembered, not from a test against
a served model; check them before relying on them in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from linernotes.prompts import load_prompt

MAX_CLIP_BYTES = 25 * 1024 * 1024  # per clip, WAV bytes before base64 (API request limits)
MAX_CLIP_S = 600.0  # longest decoded clip ever sent


@dataclass(frozen=True)
class Preset:
    """How to ask one audio model for a caption.

    Attributes:
        name: Preset name (``settings.listener_model`` may name it).
        model: Model name as served (the Hugging Face id vLLM was started with).
        sample_rate: Rate the model's audio encoder expects; clips are resampled to it.
        clip_s: Longest clip the model hears well; longer tracks are excerpted.
        excerpts: How many excerpts of a long track to caption separately and merge.
        prompt: Prompt file name, or None when the model takes audio only.
        max_tokens: Caption length budget per request.
    """

    name: str
    model: str
    sample_rate: int = 16000
    clip_s: float = 30.0
    excerpts: int = 3
    prompt: str | None = "listen_generic"
    max_tokens: int = 512

    @property
    def prompt_version(self) -> str:
        """Version of the listening prompt, part of the caption cache key."""
        if self.prompt is None:
            return f"{self.name}-noprompt-v1"
        return load_prompt(self.prompt).version


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        # Qwen2-Audio: Whisper front end at 16 kHz, 30 s of audio per clip (model card).
        Preset("qwen2-audio", "Qwen/Qwen2-Audio-7B-Instruct", prompt="listen_qwen2_audio"),
        # Captioner: audio in, caption out, no prompt. 30 s per clip is the model card's
        # recommendation as remembered (unverified).
        Preset(
            "qwen3-omni-captioner",
            "Qwen/Qwen3-Omni-30B-A3B-Captioner",
            prompt=None,
            max_tokens=1024,
        ),
        # Audio Flamingo 3 hears up to ~10 min at 16 kHz (unverified model id / vLLM support).
        Preset(
            "audio-flamingo",
            "nvidia/audio-flamingo-3-hf",
            clip_s=MAX_CLIP_S,
            excerpts=1,
            prompt="listen_audio_flamingo",
            max_tokens=1024,
        ),
        # Kimi-Audio: 16 kHz Whisper-derived features (unverified vLLM support upstream).
        Preset("kimi-audio", "moonshotai/Kimi-Audio-7B-Instruct", prompt="listen_kimi_audio"),
        Preset("generic", "generic", prompt="listen_generic"),
    )
}


def resolve_preset(name_or_model: str) -> Preset:
    """A preset by preset name or by served model name; anything else is 'generic'.

    An unknown model name keeps the generic preset's conservative choices (16 kHz,
    30 s excerpts, a text prompt) with that model name.
    """
    if name_or_model in PRESETS:
        return PRESETS[name_or_model]
    for p in PRESETS.values():
        if p.model == name_or_model:
            return p
    g = PRESETS["generic"]
    return Preset("generic", name_or_model, g.sample_rate, g.clip_s, g.excerpts, g.prompt)
