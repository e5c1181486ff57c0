"""Backends by name: one registry per role, settings refuse names no registry knows."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from linernotes.tools.embed.factory import make_base_audio_embedder
from linernotes.tools.judge.base import make_judge
from linernotes.tools.registry import EMBEDDERS, JUDGES, ROLES, Registry, UnknownBackend
from linernotes.tools.settings import load_settings


def test_settings_refuse_an_unregistered_name_listing_known_ones(monkeypatch):
    monkeypatch.setenv("LINERNOTES_LISTENER", "gramophone")
    with pytest.raises(ValidationError, match=r"Unknown listener 'gramophone'.*mir, openai, hf"):
        load_settings()
    with pytest.raises(ValidationError, match=r"Unknown judge 'oracle'.*rules, openai"):
        load_settings(listener="mir", judge="oracle")


def test_a_new_backend_is_one_registration(monkeypatch):
    class Tiny:
        space, dim = "tiny", 2

        def __init__(self, settings):
            self.settings = settings

    EMBEDDERS.register("tiny", Tiny)
    try:
        settings = load_settings(embedder="tiny")  # settings now accept the name
        built = make_base_audio_embedder(settings)
        assert isinstance(built, Tiny) and built.settings is settings
    finally:
        EMBEDDERS.unregister("tiny")
    with pytest.raises(ValidationError, match="Unknown embedder 'tiny'"):
        load_settings(embedder="tiny")


def test_judge_setting_overrides_the_reasoner():
    class Fixed:
        name = "fixed"

    JUDGES.register("fixed", lambda settings, chat=None: Fixed())
    try:
        assert make_judge(load_settings(reasoner="rules", judge="fixed")).name == "fixed"
        assert make_judge(load_settings(reasoner="rules")).name == "rules"
    finally:
        JUDGES.unregister("fixed")


def test_naming_backends_imports_no_backend_module():
    code = (
        "import sys; from linernotes.tools.settings import load_settings;"
        "s = load_settings(embedder='clap', listener='hf', reasoner='openai');"
        "print(sorted(m for m in sys.modules if m.startswith(('torch', 'linernotes.tools.embed.',"
        " 'linernotes.tools.listen.', 'linernotes.tools.judge.', 'openai'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_entries_resolve_and_bad_entries_are_refused():
    reg: Registry[object] = Registry("widget")
    reg.register("path", "pathlib:Path")
    assert str(reg.build("path", "a")) == "a"
    with pytest.raises(ValueError, match="already registered"):
        reg.register("path", "pathlib:Path")
    with pytest.raises(ValueError, match="module:attr"):
        reg.register("bad", "pathlib.Path")
    with pytest.raises(UnknownBackend, match=r"Unknown widget 'x'\. Expected one of: path$"):
        reg.build("x")
    for registry in ROLES.values():  # every built-in lazy entry points at a real callable
        for name in registry.names():
            if name in ("muq-mulan", "clap", "hf"):
                continue  # optional heavy extras; their modules import lazily too
            assert callable(registry.factory(name)), (registry.role, name)
