"""A one-shot ``linernotes ask`` stays light: what a text request must not load.

bench/ask.py measures the cold ask (target <= 2.5 s on a 2-core laptop); this test keeps
the reasons it is fast from silently regressing, without timing anything: a free-text
ask answers without importing torch, sentence-transformers, transformers or scipy, and
the text model is loaded by the warm-up thread the command starts before its imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from linernotes.tools.embed.factory import warm_text_embedder

PROBE = """
import json, sys, threading
from linernotes.ui.cli import main
import io, contextlib
out = io.StringIO()
with contextlib.redirect_stdout(out):
    rc = main(["ask", sys.argv[1], "--json"])
answer = json.loads(out.getvalue())
warm = [t for t in threading.enumerate() if t.name.startswith("linernotes-warm")]
for t in warm:
    t.join(timeout=30)  # it may still be returning after the ask took the loaded model
heavy = ["torch", "sentence_transformers", "transformers", "scipy", "librosa"]
print(json.dumps({
    "rc": rc,
    "picks": len(answer["picks"]),
    "loaded": [m for m in heavy if m in sys.modules],
    "warm_threads": [t.name for t in warm if t.is_alive()],
}))
"""


def test_free_text_ask_loads_no_heavy_library(demo_catalog):
    env = {**os.environ, "LINERNOTES_CATALOG": str(demo_catalog.settings.catalog)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "something calm to read to"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rc"] == 0 and report["picks"] >= 5
    assert report["loaded"] == [], f"a text ask imported {report['loaded']}"
    assert report["warm_threads"] == []  # the warm-up finished; nothing left running


def test_warm_up_loads_the_text_model_and_swallows_failures(monkeypatch):
    from linernotes.tools.embed import minilm_onnx
    from linernotes.tools.settings import load_settings

    monkeypatch.setattr(minilm_onnx, "_model", None)
    settings = load_settings()
    warm_text_embedder(settings).join(timeout=120)
    assert minilm_onnx._model is not None
    broken = settings.model_copy(update={"text_embedder": "no-such-embedder"})
    thread = warm_text_embedder(broken)  # the real embed call reports the unknown name
    thread.join(timeout=10)
    assert not thread.is_alive()
