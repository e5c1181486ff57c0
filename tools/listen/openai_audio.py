"""Listener for any OpenAI-compatible chat server that hears audio (vLLM in production).

Each track is cut into excerpts the model can hear (``presets.py``), each excerpt is
sent in its own request as a base64 WAV ``input_audio`` content part (or an ``audio_url``
data URL) at the model's sample rate, and the excerpt captions are merged into one
caption, labelled by excerpt. A text LLM then extracts the TrackSummary
(``tools.listen.extract``), and the result is fact-checked against the measurements.

Many tracks are captioned concurrently with a bound on requests in flight (an
``asyncio.Semaphore``), so a vLLM server gets a steady batch without being flooded.
Limits are checked before anything is sent: 25 MB of WAV and 600 s per clip.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from linernotes.tools.audio import to_wav_bytes
from linernotes.tools.errors import BackendUnavailable, InvalidAudioError, LinernotesError
from linernotes.tools.listen.base import ListenResult
from linernotes.tools.listen.excerpts import load_excerpts
from linernotes.tools.listen.extract import Extraction, aextract_summary
from linernotes.tools.listen.factcheck import check_result
from linernotes.tools.listen.presets import MAX_CLIP_BYTES, Preset, resolve_preset
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.schemas import Measurements, Tags

AudioPart = Literal["input_audio", "audio_url"]
T = TypeVar("T")


def audio_part(wav: bytes, kind: AudioPart = "input_audio") -> dict[str, Any]:
    """One audio content part in vLLM's documented OpenAI-compatible format."""
    b64 = base64.b64encode(wav).decode("ascii")
    if kind == "audio_url":
        return {"type": "audio_url", "audio_url": {"url": f"data:audio/wav;base64,{b64}"}}
    return {"type": "input_audio", "input_audio": {"data": b64, "format": "wav"}}


def merge_captions(captions: Sequence[str], starts: Sequence[float]) -> str:
    """One caption from per-excerpt captions, each labelled with where it was heard."""
    if len(captions) == 1:
        return captions[0].strip()
    parts = []
    for i, (text, start) in enumerate(zip(captions, starts, strict=True), 1):
        mm, ss = divmod(int(start), 60)
        parts.append(f"Excerpt {i} (from {mm}:{ss:02d}): {text.strip()}")
    return "\n".join(parts)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, even when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as e:  # re-raised in the caller's thread below
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class OpenAIAudioListener:
    """Captions tracks with an audio LLM behind an OpenAI-compatible chat API.

    Args:
        chat: Client for the audio model's server (its ``model`` is the served model).
        preset: What that model hears and how it is prompted.
        extractor: Text LLM client for caption -> TrackSummary; None: rule-based extraction
            (recorded in the result's notes).
        concurrency: Requests in flight at most, across all tracks of a batch.
        audio: Content-part kind: ``input_audio`` (default) or ``audio_url`` data URLs.
    """

    name = "openai"

    def __init__(
        self,
        chat: OpenAIChat,
        preset: Preset,
        *,
        extractor: OpenAIChat | None = None,
        concurrency: int = 8,
        audio: AudioPart = "input_audio",
    ):
        self.chat = chat
        self.preset = preset
        self.model: str | None = chat.model
        self.extractor = extractor
        self.concurrency = concurrency
        self.audio = audio

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAIAudioListener:
        """Listener at ``listener_url``; extraction by the reasoner when it is 'openai'."""
        preset = resolve_preset(settings.listener_model)
        chat = OpenAIChat(
            settings.listener_url, preset.model, api_key=settings.api_key, timeout_s=300.0
        )
        extractor = None
        if settings.reasoner == "openai":
            extractor = OpenAIChat.from_settings(settings, "reasoner")
        return cls(chat, preset, extractor=extractor, concurrency=2 * settings.batch_size)

    @property
    def prompt_version(self) -> str:
        """Listening prompt version plus extraction version: the caption cache key part."""
        extract = "extract-llm" if self.extractor is not None else "extract-rules"
        return f"{self.preset.prompt_version}+{extract}"

    # --- request building (sync, CPU) ------------------------------------------------
    def clips(self, path: Path) -> tuple[list[bytes], list[float]]:
        """The excerpts this model will hear, as WAV bytes at its sample rate.

        Raises:
            InvalidAudioError: undecodable audio, or a clip over the size/length limits.
        """
        arrays, starts = load_excerpts(path, self.preset)
        wavs = []
        for y in arrays:
            wav = to_wav_bytes(y, self.preset.sample_rate)
            if len(wav) > MAX_CLIP_BYTES:
                raise InvalidAudioError(
                    f"cannot send {path}: a {len(wav) / 2**20:.1f} MB clip exceeds "
                    f"{MAX_CLIP_BYTES / 2**20:.0f} MB"
                )
            wavs.append(wav)
        return wavs, starts

    def messages(self, wav: bytes, index: int, count: int) -> list[dict[str, Any]]:
        """Chat messages for one excerpt: the audio, plus the prompt unless audio-only."""
        content: list[dict[str, Any]] = [audio_part(wav, self.audio)]
        if self.preset.prompt is not None:
            from linernotes.prompts import load_prompt

            prompt = load_prompt(self.preset.prompt)
            values = {"excerpt": index + 1, "excerpts": count}
            text = prompt.render(**{k: v for k, v in values.items() if k in prompt.variables})
            content.append({"type": "text", "text": text.strip()})
        return [{"role": "user", "content": content}]

    # --- async core ------------------------------------------------------------------
    async def alisten(
        self,
        path: Path,
        m: Measurements,
        tags: Tags,
        *,
        client: Any,
        limit: asyncio.Semaphore,
    ) -> ListenResult:
        """Caption one track: excerpts in parallel (bounded), merge, extract, fact-check."""
        wavs, starts = await asyncio.to_thread(self.clips, Path(path))

        async def one(i: int, wav: bytes) -> str:
            async with limit:
                return await self.chat.achat(
                    self.messages(wav, i, len(wavs)),
                    max_tokens=self.preset.max_tokens,
                    client=client,
                )

        captions = await asyncio.gather(*(one(i, w) for i, w in enumerate(wavs)))
        caption = merge_captions(captions, starts)
        async with limit:
            ex: Extraction = await aextract_summary(caption, m, tags, self.extractor, client)
        result = ListenResult(
            summary=ex.summary,
            caption=caption,
            listener=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            notes=list(ex.notes),
        )
        return check_result(result, m)

    async def alisten_many(
        self, items: Sequence[tuple[Path, Measurements, Tags]]
    ) -> list[ListenResult | LinernotesError]:
        """Caption many tracks concurrently; per-file errors are returned in place.

        Raises:
            BackendUnavailable: the server is down (no point trying the other tracks).
        """
        limit = asyncio.Semaphore(self.concurrency)
        async with self.chat.async_pool(self.concurrency) as client:
            tasks = [self.alisten(p, m, t, client=client, limit=limit) for p, m, t in items]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        out: list[ListenResult | LinernotesError] = []
        for r in results:
            if isinstance(r, BackendUnavailable):
                raise r
            if isinstance(r, BaseException) and not isinstance(r, LinernotesError):
                raise r  # a real bug: never swallowed
            out.append(r)
        return out

    # --- sync API (the Listener protocol) --------------------------------------------
    def listen_many(
        self, items: Sequence[tuple[Path, Measurements, Tags]]
    ) -> list[ListenResult | LinernotesError]:
        """Sync ``alisten_many``: what a batch ingest should call."""
        return run_sync(self.alisten_many(items))

    def listen(self, path: Path, measurements: Measurements, tags: Tags) -> ListenResult:
        """Caption one track (a batch of one); per-file errors are raised."""
        (result,) = self.listen_many([(path, measurements, tags)])
        if isinstance(result, LinernotesError):
            raise result
        return result
