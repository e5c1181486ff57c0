"""Run the ``linernotes`` CLI in a subprocess, offline, from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m ui.cli ARGS`` with the Hugging Face hubs offline; output captured as text."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "linernotes.ui.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
