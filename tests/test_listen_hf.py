"""The in-process Qwen2-Audio listener, end to end on CPU with a tiny random model.

The model is built from a config (tiny sizes) and the processor from a Whisper feature
extractor plus a word-level tokenizer made in code: nothing is downloaded, yet the real
processor, chat template, audio-token expansion and ``generate`` path all run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from factories import measurements

from linernotes.tools.listen.hf_audio import HFAudioListener
from linernotes.tools.listen.presets import Preset
from linernotes.tools.schemas import Tags

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SPECIALS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|AUDIO|>",
    "<|audio_bos|>",
    "<|audio_eos|>",
    "[UNK]",
]
WORDS = [
    "system",
    "user",
    "assistant",
    "you",
    "are",
    "a",
    "helpful",
    "audio",
    "1",
    ":",
    "listen",
    "to",
    "this",
    "music",
    "excerpt",
    "fast",
    "slow",
    "calm",
    "loud",
    "piano",
    "drums",
    "guitar",
    "vocals",
    "instrumental",
    "song",
    "energetic",
    ".",
]
CLIP_S = 2.0  # the tiny encoder hears 2 s (the real one 30 s)
M = measurements(
    duration_s=5,
    tempo_bpm=100,
    key="C",
    mode="major",
    key_confidence=0.6,
    loudness_db=-12,
    voice_probability=0.5,
)


def tiny_processor():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2AudioProcessor, WhisperFeatureExtractor

    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="<|endoftext|>", eos_token="<|im_end|>"
    )
    fast.add_special_tokens({"additional_special_tokens": SPECIALS[1:6]})
    fe = WhisperFeatureExtractor(
        feature_size=16, sampling_rate=16000, hop_length=160, chunk_length=int(CLIP_S), n_fft=400
    )
    return Qwen2AudioProcessor(feature_extractor=fe, tokenizer=fast), len(vocab)


def tiny_model(vocab_size: int, audio_token_id: int):
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioEncoderConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2Config,
    )

    torch.manual_seed(0)
    frames = int(CLIP_S * 100)  # 10 ms hop
    audio = Qwen2AudioEncoderConfig(
        d_model=32,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        num_mel_bins=16,
        max_source_positions=frames // 2,
    )
    text = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=2,
        pad_token_id=0,
    )
    cfg = Qwen2AudioConfig(audio_config=audio, text_config=text, audio_token_index=audio_token_id)
    return Qwen2AudioForConditionalGeneration(cfg)


@pytest.fixture(scope="module")
def tiny_listener() -> HFAudioListener:
    processor, n = tiny_processor()
    model = tiny_model(n, processor.audio_token_id)
    preset = Preset(
        "qwen2-audio", "tiny-qwen2-audio", clip_s=CLIP_S, excerpts=3, prompt="listen_qwen2_audio"
    )
    return HFAudioListener(
        model,
        processor,
        model_name="tiny-qwen2-audio",
        preset=preset,
        device="cpu",
        batch_size=4,
        max_new_tokens=6,
    )


def tone(path: Path, seconds: float, freq: float = 330.0) -> Path:
    sr = 44100
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr)
    return path


def test_generate_end_to_end_on_cpu(tiny_listener, tmp_path):
    a = tone(tmp_path / "a.wav", 9.0)
    b = tone(tmp_path / "b.wav", 1.5, 440.0)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"nope")
    out = tiny_listener.listen_many([(a, M, Tags()), (b, M, Tags()), (bad, M, Tags())])
    ra, rb, rbad = out
    assert ra.listener == "hf" and ra.model == "tiny-qwen2-audio"
    assert ra.caption.count("Excerpt ") == 3  # 9 s track heard as three 2 s excerpts
    assert isinstance(rb.caption, str) and "Excerpt" not in rb.caption
    assert ra.prompt_version == "qwen2-audio-v1+extract-rules"
    assert ra.notes and ra.notes[0].startswith("extraction fell back to rules")
    assert ra.summary.tempo_bpm == 100
    assert ra.consistency is None or 0 <= ra.consistency <= 1
    assert all(len(c) > 12 for c in ra.caption.split("Excerpt ")[1:])  # generate wrote text
    assert "cannot decode" in str(rbad)


def test_prompt_expands_one_audio_placeholder(tiny_listener):
    text = tiny_listener._prompt_text(0, 3)
    assert text.count("<|AUDIO|>") == 1 and "excerpt" in text
    assert text.rstrip().endswith("<|im_start|>assistant")


def test_missing_weights_are_backend_unavailable_with_a_hint():
    from linernotes.tools.errors import BackendUnavailable
    from linernotes.tools.listen import make_listener
    from linernotes.tools.settings import load_settings

    with pytest.raises(BackendUnavailable, match=r"(?s)Qwen/Qwen2-Audio-7B-Instruct.*hf download"):
        make_listener(load_settings(listener="hf", listener_model="qwen2-audio"))
