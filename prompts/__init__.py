"""Every prompt as a file in this package, loaded by name and rendered strictly.

Prompts are Jinja templates (``NAME.md``). Rendering uses ``StrictUndefined`` so a
missing variable fails loudly instead of sending a half-empty prompt to a model.
Each file may start with a front-matter block declaring its variables and version::

    ---
    version: 1
    variables: [anchor, candidates]
    trusted: [schema]
    ---

Every variable is data (titles, captions, messages, tool results) and goes through
``tools.fence.neutral`` when rendered, so nothing in it can close the prompt's fences;
only the variables listed as ``trusted`` (text this program wrote, such as a JSON
schema) are inserted as they are.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel, Field

__all__ = ["Prompt", "list_prompts", "load_prompt", "render_prompt"]


class Prompt(BaseModel):
    """A prompt file: its name, version, declared variables and template text."""

    name: str
    version: str = Field(description="Bumped whenever the wording changes (cache key).")
    variables: list[str] = Field(default_factory=list)
    trusted: list[str] = Field(
        default_factory=list, description="Variables written by this program, not data."
    )
    template: str

    def render(self, **values: Any) -> str:
        """Render with exactly the declared variables (fenced as data); a missing one raises."""
        from linernotes.tools.fence import neutral

        missing = [v for v in self.variables if v not in values]
        if missing:
            raise KeyError(f"prompt {self.name!r} needs variables {missing}")
        safe = {k: v if k in self.trusted else neutral(v) for k, v in values.items()}
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        return env.from_string(self.template).render(**safe)


def list_prompts() -> list[str]:
    """Return the names of every shipped prompt."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name[:-3] for f in files if f.name.endswith(".md"))


@cache
def load_prompt(name: str) -> Prompt:
    """Load ``prompts/NAME.md`` and parse its front matter."""
    path = resources.files(__name__) / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt named {name!r}; known: {', '.join(list_prompts())}")
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {}
    if text.startswith("---\n"):
        head, _, text = text[4:].partition("\n---\n")
        meta = yaml.safe_load(head) or {}
    return Prompt(
        name=name,
        version=str(meta.get("version", "1")),
        variables=list(meta.get("variables", [])),
        trusted=list(meta.get("trusted", [])),
        template=text,
    )


def render_prompt(name: str, **values: Any) -> str:
    """Load and render a prompt in one call."""
    return load_prompt(name).render(**values)
