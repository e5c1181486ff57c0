"""Every shipped prompt renders with its declared variables, and fails without one."""

import re

import jinja2
import pytest

from linernotes.prompts import list_prompts, load_prompt


def test_prompts_exist():
    assert list_prompts(), "prompts/ ships no prompt files"


@pytest.mark.parametrize("name", list_prompts())
def test_prompt_renders_with_declared_variables(name):
    prompt = load_prompt(name)
    values = {v: f"@@{v}@@" for v in prompt.variables}  # markers the fence keeps as they are
    text = prompt.render(**values)
    for v in prompt.variables:
        assert f"@@{v}@@" in text, f"{name}: declared variable {v!r} is never used"
    assert not re.search(r"{{|{%", text)


@pytest.mark.parametrize("name", [n for n in list_prompts() if load_prompt(n).variables])
def test_prompt_fails_on_missing_variable(name):
    prompt = load_prompt(name)
    values = {v: "x" for v in prompt.variables[1:]}
    with pytest.raises(KeyError, match=prompt.variables[0]):
        prompt.render(**values)


def test_undeclared_variable_is_an_error():
    prompt = load_prompt(list_prompts()[0]).model_copy(
        update={"template": "{{ nowhere }}", "variables": []}
    )
    with pytest.raises(jinja2.UndefinedError):
        prompt.render()
