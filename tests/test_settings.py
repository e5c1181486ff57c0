from pathlib import Path

import pytest
from pydantic import ValidationError

from linernotes.tools.settings import describe_sources, load_settings
from linernotes.ui.cli import main


def test_precedence_argument_env_toml_default(monkeypatch, tmp_path):
    toml = tmp_path / "linernotes.toml"
    toml.write_text('top_k = 3\nlistener_url = "http://127.0.0.1:9/v1"\nworkers = 1\n')
    monkeypatch.setenv("LINERNOTES_CONFIG", str(toml))
    monkeypatch.setenv("LINERNOTES_TOP_K", "5")
    s = load_settings(workers=2)
    assert s.top_k == 5  # env beats toml
    assert s.listener_url == "http://127.0.0.1:9/v1"  # toml beats default
    assert s.workers == 2  # argument beats toml
    sources = describe_sources(s, {"workers": 2})
    assert sources["workers"] == "argument"
    assert sources["top_k"] == "env LINERNOTES_TOP_K"
    assert sources["listener_url"].startswith("toml ")
    assert sources["reasoner"] == "default"


def test_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv("LINERNOTES_EMBEDDER", "word2vec")
    with pytest.raises(ValidationError, match="embedder"):
        load_settings()


def test_config_command_prints_sources(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LINERNOTES_LISTENER", "openai")
    assert main(["config", "--catalog", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "env LINERNOTES_LISTENER" in out
    assert str(Path(tmp_path / "c")) in out and "(argument)" in out
