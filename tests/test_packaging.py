"""The install layout: one ``linernotes`` package, every subpackage listed, no bare imports."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("agent", "tools", "ui", "prompts")


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "linernotes." + ".".join(p.parent.relative_to(ROOT).parts)
        for top in TOP
        for p in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "folders with __init__.py missing from pyproject packages"
    assert listed - found == set(), "pyproject lists packages that have no folder"


def test_no_module_imports_the_bare_top_level_names():
    bare = re.compile(r"^\s*(from|import)\s+(agent|tools|ui|prompts)\b", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for top in (*TOP, "tests", "bench")
        for p in (ROOT / top).rglob("*.py")
        if bare.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_installed_package_resolves_to_this_checkout():
    import linernotes.tools.settings as settings

    assert Path(settings.__file__).resolve().parent == ROOT / "tools"
