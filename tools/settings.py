"""One settings object for every linernotes entry point.

Values come, strongest first, from explicit arguments, ``LINERNOTES_*`` environment
variables, an optional ``linernotes.toml`` (in the working directory, or the file named
by ``LINERNOTES_CONFIG``), then defaults. ``describe_sources`` reports where each
effective value came from, which is what ``linernotes config`` prints.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from linernotes.tools.registry import ROLES

StoreName = Literal["embedded", "http"]

ENV_PREFIX = "LINERNOTES_"


def default_catalog_dir() -> Path:
    """Return the default catalog folder under the user's data directory (XDG)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "linernotes" / "catalog"


def config_file() -> Path:
    """Return the TOML file settings are read from (it need not exist)."""
    return Path(os.environ.get(ENV_PREFIX + "CONFIG", "linernotes.toml"))


class Settings(BaseSettings):
    """Effective configuration: catalog location, one backend per role, URLs, sizes."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    catalog: Path = Field(
        default_factory=default_catalog_dir,
        description="Catalog folder: audio store, Chroma files, ingest ledger, threads.",
    )
    embedder: str = Field("acoustic-v3", description="Audio embedding backend (registry name).")
    adapter: str | None = Field(
        None,
        description="Embedding adapter version ('v2') to pin, 'none' for the bare "
        "embedder; unset follows the catalog's active space (`linernotes adapter use`).",
    )
    embedder_weights: Path | None = Field(
        None, description="Local folder with the embedder's weights (production backends)."
    )
    text_embedder: str = Field("minilm", description="Caption text embedder.")
    listener: str = Field("mir", description="Captioning backend ('listener').")
    listener_model: str = Field("qwen2-audio", description="Listener preset or model name.")
    listener_url: str = Field(
        "http://127.0.0.1:8000/v1", description="OpenAI-compatible server of the listener."
    )
    reasoner: str = Field("rules", description="Understanding and judging backend.")
    judge: str | None = Field(
        None, description="Judge backend; unset follows the reasoner ('rules' or 'openai')."
    )
    reasoner_model: str = Field("Qwen/Qwen3-8B", description="Text LLM served for reasoning.")
    reasoner_url: str = Field(
        "http://127.0.0.1:8001/v1", description="OpenAI-compatible server of the reasoner."
    )
    api_key: str = Field("EMPTY", description="API key sent to OpenAI-compatible servers.")
    store: StoreName = Field("embedded", description="Chroma in-process or a Chroma server.")
    store_url: str = Field("http://127.0.0.1:8765", description="Chroma server URL.")
    threads_url: str | None = Field(
        None,
        description="Postgres URL of a shared LangGraph checkpointer for conversation "
        "threads (many app servers); unset keeps them in CATALOG/threads.sqlite.",
    )
    top_k: int = Field(8, ge=1, le=100, description="Picks returned by default.")
    candidates_k: int = Field(60, ge=1, le=1000, description="Candidates retrieved to judge.")
    max_duration_s: float = Field(
        1200.0, gt=0, description="Longest audio accepted for ingest, in seconds."
    )
    workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=1,
        description="Worker processes for ingest.",
    )
    batch_size: int = Field(16, ge=1, description="Tracks per ingest batch.")
    ui_auth: SecretStr | None = Field(
        None,
        description="'user:password' the web UI asks for (`linernotes ui --auth`); unset: "
        "no login, which is only safe while it listens on 127.0.0.1.",
    )
    ui_hosts: str = Field(
        "",
        description="Comma-separated host names the web UI answers to besides its bind "
        "address and localhost (e.g. a reverse proxy's name); other Host headers get 400.",
    )

    @field_validator("embedder", "text_embedder", "listener", "reasoner", "judge")
    @classmethod
    def _registered(cls, value: str | None, info: Any) -> str | None:
        """Refuse a backend name its role's registry does not know, listing the known ones."""
        if value is None:
            return None
        return ROLES[info.field_name].check(value)

    @property
    def judge_name(self) -> str:
        """The judge backend in effect: ``judge`` when set, else the reasoner's name."""
        return self.judge or self.reasoner

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: arguments, environment, linernotes.toml."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; ``None`` overrides are dropped so CLI defaults never win."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def describe_sources(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Say where each field's effective value came from: argument, env, toml or default."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    path = config_file()
    toml_values: dict[str, Any] = {}
    if path.is_file():
        with path.open("rb") as fh:
            toml_values = tomllib.load(fh)
    sources: dict[str, str] = {}
    for name in type(settings).model_fields:
        env_name = ENV_PREFIX + name.upper()
        if name in overrides:
            sources[name] = "argument"
        elif env_name in os.environ:
            sources[name] = f"env {env_name}"
        elif name in toml_values:
            sources[name] = f"toml {path}"
        else:
            sources[name] = "default"
    return sources
