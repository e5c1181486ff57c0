"""The OpenAI-compatible chat client every model-backed role uses, over the ``openai`` SDK.

Caption extraction, turn understanding, judging and audio listening all talk to a
chat-completions endpoint (vLLM or a hosted API). The SDK does the transport: bounded
retries with exponential backoff (honouring Retry-After) on 408/409/429/5xx, timeouts and
refused connections. This module adds what the project promises on top: errors that
name the server (``BackendUnavailable`` when it is gone or refuses the key, URL or model;
``LLMReplyError`` for a reply that is empty or refused), and structured outputs
validated through a pydantic model with one repair round.

Structured outputs are asked for the portable way (``response_format`` with a JSON
schema, understood by OpenAI and vLLM) and, with ``structured="vllm"`` or ``"both"``,
also through vLLM's own ``structured_outputs={"json": schema}`` (sent as ``extra_body``).
The reply is validated either way: a server that ignores the schema is caught, not
trusted. See ARCHITECTURE.md ("Backends").
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal, TypeVar, overload

import openai
from pydantic import BaseModel, ValidationError, create_model

from linernotes.tools.errors import BackendUnavailable, LLMReplyError
from linernotes.tools.reason.sdk_http import sdk_http, sdk_transport

StructuredMode = Literal["response_format", "vllm", "both", "none"]
M = TypeVar("M", bound=BaseModel)

FATAL_STATUS = frozenset({401, 403, 404})  # wrong key, URL or model name: retrying won't help
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_SDK_ARGS = frozenset({"tools", "tool_choice", "stop", "seed", "top_p", "n", "logprobs"})
log = logging.getLogger(__name__)


def strip_think(text: str) -> str:
    """Assistant text without reasoning blocks (Qwen3 on a server with no reasoning parser)."""
    return _THINK.sub("", text).strip()


def parse_json_reply(text: str, schema: type[M]) -> M:
    """Validate a reply as ``schema``, tolerating code fences and prose around the object."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start >= 0 and end > start:
        candidate = candidate[start : end + 1]
    return schema.model_validate_json(candidate)


class OpenAIChat:
    """Chat-completions client for one server and one model (an ``openai.OpenAI`` inside).

    Args:
        base_url: Server root including ``/v1`` (e.g. ``http://127.0.0.1:8001/v1``).
        model: Model name the server knows it by.
        api_key: Sent as a Bearer token ("EMPTY" for a local vLLM).
        timeout_s: Per-request timeout; audio captioning needs more than text.
        max_retries: Retries after the first try (the SDK's backoff and Retry-After).
        structured: How to ask for JSON-schema output (see module docstring).
        transport: HTTP transport override (tests); plain ``httpx`` ones are bridged.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        timeout_s: float = 120.0,
        max_retries: int = 3,
        structured: StructuredMode = "response_format",
        transport: Any = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.structured = structured
        self.transport = transport
        self._sdk: openai.OpenAI | None = None
        self._sdk_retries = max_retries
        self._async: tuple[Any, openai.AsyncOpenAI] | None = None

    @classmethod
    def from_settings(cls, settings: Any, role: Literal["reasoner", "listener"] = "reasoner"):
        """The reasoner's (or listener's) server and model from ``Settings``."""
        url = settings.reasoner_url if role == "reasoner" else settings.listener_url
        model = settings.reasoner_model if role == "reasoner" else settings.listener_model
        return cls(url, model, api_key=settings.api_key)

    # --- SDK clients -----------------------------------------------------------------
    def http_client(self) -> Any:
        """A sync HTTP client for the SDK (with the transport override, if any)."""
        return openai.DefaultHttpxClient(
            timeout=self.timeout_s, transport=sdk_transport(self.transport)
        )

    def sdk(self) -> openai.OpenAI:
        """The pooled sync SDK client (rebuilt when ``max_retries`` was changed)."""
        if self._sdk is None or self._sdk_retries != self.max_retries:
            self._sdk = openai.OpenAI(
                base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s,
                max_retries=self.max_retries, http_client=self.http_client(),
            )  # fmt: skip
            self._sdk_retries = self.max_retries
        return self._sdk

    def async_pool(self, max_connections: int = 100) -> Any:
        """An async HTTP connection pool to share across ``achat`` calls (any server)."""
        limits = sdk_http().Limits(max_connections=max_connections)
        return openai.DefaultAsyncHttpxClient(timeout=self.timeout_s, limits=limits)

    def _async_sdk(self, pool: Any) -> openai.AsyncOpenAI:
        """The async SDK client over ``pool`` (kept while the caller keeps that pool)."""
        if self._async is None or self._async[0] is not pool:
            sdk = openai.AsyncOpenAI(
                base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s,
                max_retries=self.max_retries, http_client=pool,
            )  # fmt: skip
            self._async = (pool, sdk)
        return self._async[1]

    def close(self) -> None:
        """Close the pooled sync client (a later call opens a new one)."""
        if self._sdk is not None:
            self._sdk.close()
            self._sdk = None

    # --- requests --------------------------------------------------------------------
    def request_args(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: type[BaseModel] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments of ``chat.completions.create`` for one request."""
        args: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        body: dict[str, Any] = {}
        if schema is not None and self.structured != "none":
            js = schema.model_json_schema()
            if self.structured in ("response_format", "both"):
                args["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": js, "strict": False},
                }
            if self.structured in ("vllm", "both"):
                body["structured_outputs"] = {"json": js}
        for key, value in (extra or {}).items():
            (args if key in _SDK_ARGS else body)[key] = value
        if body:
            args["extra_body"] = body
        return args

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn the SDK's errors into the project's, naming the server and the model."""
        try:
            yield
        except openai.APIStatusError as e:
            code, text = e.status_code, e.message[:300]
            if code in FATAL_STATUS:
                raise BackendUnavailable(
                    f"{self.url} answered {code} for model {self.model!r}: {text}"
                ) from e
            if code in (408, 409, 429) or code >= 500:
                raise self.gone(f"HTTP {code}") from e
            raise LLMReplyError(f"{self.url} refused the request: {code} {text}") from e
        except openai.APIConnectionError as e:  # includes timeouts
            raise self.gone(f"{type(e).__name__}: {e}") from e
        except openai.APIError as e:  # a body that is not a chat completion
            raise LLMReplyError(f"{self.url} sent an unreadable reply: {e}") from e

    def gone(self, last: str) -> BackendUnavailable:
        """The error once retries are spent, naming the URL and the last failure."""
        return BackendUnavailable(
            f"chat server at {self.url} unavailable after {self.max_retries + 1} tries: {last}"
        )

    def reply_text(self, completion: Any) -> str:
        """The assistant text of a completion; reasoning blocks removed.

        Raises:
            LLMReplyError: no choices, or empty content.
        """
        choices = getattr(completion, "choices", None)
        if not choices:
            raise LLMReplyError(f"{self.url} sent no choices[0].message: {str(completion)[:200]}")
        content = choices[0].message.content
        if not isinstance(content, str) or not content.strip():
            raise LLMReplyError(f"{self.url} sent an empty reply: {str(completion)[:200]}")
        return strip_think(content)

    def complete(self, args: dict[str, Any]) -> str:
        """Send one request (SDK retries); the reply text."""
        with self.errors():
            return self.reply_text(self.sdk().chat.completions.create(**args))

    async def acomplete(self, args: dict[str, Any], pool: Any = None) -> str:
        """Async ``complete``; ``pool`` (``async_pool``) shares connections across calls."""
        own = pool is None
        pool = pool if pool is not None else self.async_pool()
        try:
            with self.errors():
                completion = await self._async_sdk(pool).chat.completions.create(**args)
                return self.reply_text(completion)
        finally:
            if own:
                await pool.aclose()

    # --- chat ------------------------------------------------------------------------
    def _repair_messages(self, messages, text: str, error: Exception) -> list[dict[str, Any]]:
        """The conversation plus the invalid reply and a request to fix it."""
        problem = str(error).splitlines()[:8]
        return [
            *messages,
            {"role": "assistant", "content": text[:4000]},
            {
                "role": "user",
                "content": "That reply did not validate against the JSON schema:\n"
                + "\n".join(problem)
                + "\nReply again with only one JSON object that matches the schema.",
            },
        ]

    def _first_reply(
        self, text: str, schema: type[BaseModel] | None, messages: list[Any], args: dict
    ) -> tuple[Any, dict[str, Any] | None]:
        """(the answer, None) when ``text`` will do; else (None, the repair request)."""
        if schema is None:
            return text, None
        try:
            return parse_json_reply(text, schema), None
        except ValidationError as e:
            return None, {**args, "messages": self._repair_messages(messages, text, e)}

    def _parse_repaired(self, text: str, schema: type[M]) -> M:
        """Validate the reply to the repair request; a second invalid reply is final."""
        try:
            return parse_json_reply(text, schema)
        except ValidationError as e2:
            raise LLMReplyError(
                f"{self.model} at {self.url}: reply is not a valid {schema.__name__} after "
                f"one repair: {str(e2).splitlines()[0]}; reply was {text[:200]!r}"
            ) from e2

    @overload
    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: None = None,
        temperature: float = ...,
        max_tokens: int = ...,
        extra: dict[str, Any] | None = ...,
    ) -> str: ...
    @overload
    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: type[M],
        temperature: float = ...,
        max_tokens: int = ...,
        extra: dict[str, Any] | None = ...,
    ) -> M: ...
    def chat(self, messages, *, schema=None, temperature=0.0, max_tokens=1024, extra=None):
        """Send ``messages``; return the text, or a validated ``schema`` instance.

        Raises:
            BackendUnavailable: the server cannot be reached (after retries).
            LLMReplyError: the reply is empty, or does not validate even after one repair.
        """
        args = self.request_args(
            messages, schema=schema, temperature=temperature, max_tokens=max_tokens, extra=extra
        )
        done, repair = self._first_reply(self.complete(args), schema, messages, args)
        return done if repair is None else self._parse_repaired(self.complete(repair), schema)

    async def achat(
        self,
        messages,
        *,
        schema=None,
        temperature=0.0,
        max_tokens=1024,
        extra=None,
        client: Any = None,
    ):
        """Async ``chat``; pass a shared ``client`` (``async_pool()``) to reuse connections."""
        args = self.request_args(
            messages, schema=schema, temperature=temperature, max_tokens=max_tokens, extra=extra
        )
        reply = await self.acomplete(args, client)
        done, repair = self._first_reply(reply, schema, messages, args)
        if repair is None:
            return done
        return self._parse_repaired(await self.acomplete(repair, client), schema)

    def describe(self) -> dict[str, Any]:
        """What a trace records about this backend."""
        return {"backend": "openai", "url": self.base_url, "model": self.model}


class ChatReasoner:
    """The 'openai' reasoner: a chat turn -> ``Request`` by a text LLM, rules as safety net.

    The rules reasoner runs first (it is cheap and resolves titles against the catalog);
    the LLM's reading then decides intent, context, query, constraints and count. If the
    LLM fails, the rules' reading is used and a warning is logged (never silently).
    """

    name = "openai"

    def __init__(self, chat: OpenAIChat, text_embedder: Any = None):
        from linernotes.tools.reason.rules import RulesReasoner

        self.chat = chat
        self.text_embedder = text_embedder
        self.rules = RulesReasoner(text_embedder)

    def understand(self, text: str, *, catalog: Any = None) -> Any:
        """Understand one message; same contract as ``RulesReasoner.understand``."""
        from linernotes.prompts import load_prompt
        from linernotes.tools.errors import CatalogError
        from linernotes.tools.reason.contexts import match_context
        from linernotes.tools.schemas import Request

        base = self.rules.understand(text, catalog=catalog)
        reading_model = _turn_reading()
        prompt = load_prompt("extract_request").render(message=text)  # fenced by render
        try:
            got: Any = self.chat.chat([{"role": "user", "content": prompt}], schema=reading_model)
        except (BackendUnavailable, LLMReplyError) as e:
            log.warning("openai reasoner failed, using the rules reading: %s", e)
            return base
        anchor = base.anchor
        if got.anchor:
            anchor = got.anchor
            if catalog is not None and not got.anchor.startswith("#"):
                try:
                    anchor = catalog.resolve(got.anchor).id
                except CatalogError:
                    anchor = base.anchor or got.anchor
        match = match_context(got.context, self.text_embedder) if got.context else None
        return Request(
            text=text,
            intent=got.intent,
            anchor=anchor,
            context=got.context or base.context,
            context_name=match.name if match else base.context_name,
            text_query=got.text_query if anchor is None else None,
            constraints=got.constraints,
            count=got.count or base.count,
        )


@lru_cache(maxsize=1)
def _turn_reading() -> type[BaseModel]:
    """``Request`` without the fields the LLM must not write (text, context_name)."""
    from linernotes.tools.schemas import Record, Request

    fields = {n: (f.annotation, f) for n, f in Request.model_fields.items()
              if n not in ("text", "context_name")}  # fmt: skip
    return create_model("TurnReading", __base__=Record, **fields)  # type: ignore[call-overload]


def make_chat_reasoner(settings: Any, text_embedder: Any = None) -> ChatReasoner:
    """The 'openai' reasoner at ``settings.reasoner_url`` (what agent/run.py imports)."""
    return ChatReasoner(OpenAIChat.from_settings(settings, "reasoner"), text_embedder)


def dumps_schema(schema: type[BaseModel]) -> str:
    """The JSON schema of ``schema`` as compact text, for prompts that quote it."""
    return json.dumps(schema.model_json_schema(), separators=(",", ":"))
