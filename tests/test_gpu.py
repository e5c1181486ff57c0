"""The CUDA paths of the model code, run where a GPU is present (``pytest -m gpu``).

The default suite proves the model code on the CPU; these tests prove what only a GPU
exercises: the Qwen2-Audio listener loaded as production loads it (``from_settings`` picks
CUDA and bf16 weights, while the processor hands it float32 features) and MusicFM's
vectors on CUDA against the same model's on the CPU (a catalog made on a GPU must be
searchable with queries embedded on a laptop, and the other way round). Tiny random
models built from configs, as in the CPU tests: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_embed_musicfm import _save, _tone
from test_listen_hf import M, tiny_model, tiny_processor, tone

from linernotes.tools.embed.musicfm import MusicFMEmbedder
from linernotes.tools.listen.hf_audio import HFAudioListener
from linernotes.tools.schemas import Tags
from linernotes.tools.settings import Settings

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_hf_listener_loads_bf16_on_cuda_and_captions(tmp_path: Path) -> None:
    processor, n = tiny_processor()
    folder = tmp_path / "tiny-qwen2-audio"
    tiny_model(n, processor.audio_token_id).save_pretrained(folder)
    processor.save_pretrained(folder)
    listener = HFAudioListener.from_settings(
        Settings(listener_model=str(folder), batch_size=2, reasoner="rules")
    )
    assert listener.device == "cuda"
    assert next(listener.hf_model.parameters()).dtype == torch.bfloat16
    listener.max_new_tokens = 6
    a, b = tone(tmp_path / "a.wav", 9.0), tone(tmp_path / "b.wav", 1.5, 440.0)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"nope")
    ra, rb, rbad = listener.listen_many([(a, M, Tags()), (b, M, Tags()), (bad, M, Tags())])
    # the preset hears one 30 s excerpt of a 9 s track: one caption, written by generate
    assert ra.listener == "hf" and ra.model == str(folder)
    assert len(ra.caption.split()) >= 3 and len(rb.caption.split()) >= 3
    assert "cannot decode" in str(rbad)  # a broken file is still reported, not raised


def test_musicfm_vectors_on_cuda_match_the_cpu(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    _save(weights)
    settings = Settings(embedder_weights=weights, batch_size=2)
    cpu = MusicFMEmbedder(settings, device="cpu")
    gpu = MusicFMEmbedder(settings)
    assert gpu.device == "cuda"
    for i, freq in enumerate((220.0, 330.0, 550.0)):
        path = _tone(tmp_path / f"t{i}.wav", 25.0, freq)
        a, b = cpu.embed_audio(path), gpu.embed_audio(path)
        assert a.shape == b.shape and np.isfinite(b).all()
        assert float(a @ b) > 0.999, f"{path.name}: CUDA and CPU vectors differ ({a @ b:.4f})"
