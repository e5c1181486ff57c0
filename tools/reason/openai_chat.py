"""A small client for any OpenAI-compatible chat server (vLLM, hosted APIs), sync and async.

Every model-backed role (caption extraction, understanding, judging, audio listening)
talks to a chat-completions endpoint, so the transport lives here once: bounded retries
with exponential backoff on 429/5xx/timeouts/refused connections, ``BackendUnavailable``
naming the URL when the server is gone, and structured outputs validated through a
pydantic model with one repair round before ``LLMReplyError``.

Structured outputs are asked for the portable way (``response_format`` with a JSON
schema, understood by OpenAI and vLLM) and, with ``structured="vllm"`` or ``"both"``,
also through vLLM's own ``structured_outputs={"json": schema}`` extra parameter. The reply
is validated either way: a server that ignores the schema is caught, not trusted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from functools import lru_cache
from typing import Any, Literal, TypeVar, overload

import httpx
from pydantic import BaseModel, ValidationError, create_model

from linernotes.tools.errors import BackendUnavailable, LLMReplyError

StructuredMode = Literal["response_format", "vllm", "both", "none"]
M = TypeVar("M", bound=BaseModel)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
FATAL_STATUS = frozenset({401, 403, 404})  # wrong key, URL or model name: retrying won't help
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
log = logging.getLogger(__name__)


def reply_text(data: dict[str, Any], url: str) -> str:
    """The assistant text of a chat-completions response; reasoning blocks removed."""
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as e:
        raise LLMReplyError(f"{url} sent no choices[0].message: {str(data)[:200]}") from e
    if not isinstance(content, str) or not content.strip():
        raise LLMReplyError(f"{url} sent an empty reply: {str(data)[:200]}")
    return _THINK.sub("", content).strip()


def parse_json_reply(text: str, schema: type[M]) -> M:
    """Validate a reply as ``schema``, tolerating code fences and prose around the object."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start >= 0 and end > start:
        candidate = candidate[start : end + 1]
    return schema.model_validate_json(candidate)


def _retry_delay(response: httpx.Response | None, attempt: int, backoff_s: float) -> float:
    """Exponential backoff, or the server's Retry-After when it sends a sane one."""
    delay = backoff_s * (2**attempt)
    if response is not None:
        try:
            return min(float(response.headers.get("retry-after", "")), 30.0)
        except ValueError:
            pass
    return delay


class OpenAIChat:
    """Chat-completions client for one server and one model.

    Args:
        base_url: Server root including ``/v1`` (e.g. ``http://127.0.0.1:8001/v1``).
        model: Model name the server knows it by.
        api_key: Sent as a Bearer token ("EMPTY" for a local vLLM).
        timeout_s: Per-request timeout; audio captioning needs more than text.
        max_retries: Retries after the first try on 429/5xx/timeouts/refused connections.
        backoff_s: First backoff delay; doubled on each retry.
        structured: How to ask for JSON-schema output (see module docstring).
        transport: httpx transport override (tests).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        timeout_s: float = 120.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        structured: StructuredMode = "response_format",
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.structured = structured
        self._transport = transport
        self._client: httpx.Client | None = None

    @classmethod
    def from_settings(cls, settings: Any, role: Literal["reasoner", "listener"] = "reasoner"):
        """The reasoner's (or listener's) server and model from ``Settings``."""
        url = settings.reasoner_url if role == "reasoner" else settings.listener_url
        model = settings.reasoner_model if role == "reasoner" else settings.listener_model
        return cls(url, model, api_key=settings.api_key)

    @property
    def headers(self) -> dict[str, str]:
        """Auth header for every request."""
        return {"Authorization": f"Bearer {self.api_key}"}

    # --- request bodies ------------------------------------------------------------
    def build_body(
        self,
        messages: list[dict[str, Any]],
        *,
        schema: type[BaseModel] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The JSON body of one chat-completions request (public so tests can inspect it)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if schema is not None and self.structured != "none":
            js = schema.model_json_schema()
            if self.structured in ("response_format", "both"):
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": js, "strict": False},
                }
            if self.structured in ("vllm", "both"):
                body["structured_outputs"] = {"json": js}
        body.update(extra or {})
        return body

    # --- transport with retries ----------------------------------------------------
    def _check(self, r: httpx.Response) -> dict[str, Any] | None:
        """Return the JSON of a good response, None if retryable, raise if fatal."""
        if r.status_code in RETRY_STATUS:
            return None
        if r.status_code in FATAL_STATUS:
            raise BackendUnavailable(
                f"{self.url} answered {r.status_code} for model {self.model!r}: {r.text[:200]}"
            )
        if r.status_code >= 400:
            raise LLMReplyError(f"{self.url} refused the request: {r.status_code} {r.text[:300]}")
        try:
            return r.json()
        except ValueError as e:
            raise LLMReplyError(f"{self.url} sent invalid JSON: {r.text[:200]}") from e

    def _give_up(self, last: str) -> BackendUnavailable:
        """The error raised once retries are spent, naming the URL and the last failure."""
        return BackendUnavailable(
            f"chat server at {self.url} unavailable after {self.max_retries + 1} tries: {last}"
        )

    def post(self, body: dict[str, Any], client: httpx.Client | None = None) -> dict[str, Any]:
        """POST ``body`` with retries; returns the response JSON."""
        if client is None:
            if self._client is None:  # one pooled client per instance: reuse connections
                self._client = httpx.Client(timeout=self.timeout_s, transport=self._transport)
            client = self._client
        last = ""
        for attempt in range(self.max_retries + 1):
            response = None
            try:
                response = client.post(self.url, json=body, headers=self.headers)
                data = self._check(response)
                if data is not None:
                    return data
                last = f"HTTP {response.status_code}"
            except (httpx.TimeoutException, httpx.TransportError) as e:
                last = f"{type(e).__name__}: {e}"
            if attempt < self.max_retries:
                time.sleep(_retry_delay(response, attempt, self.backoff_s))
        raise self._give_up(last)

    def close(self) -> None:
        """Close the pooled sync client (a later call opens a new one)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def apost(
        self, body: dict[str, Any], client: httpx.AsyncClient | None = None
    ) -> dict[str, Any]:
        """Async ``post``: the same retries, without blocking the event loop."""
        own = client is None
        aclient = client or httpx.AsyncClient(timeout=self.timeout_s)
        last = ""
        try:
            for attempt in range(self.max_retries + 1):
                response = None
                try:
                    response = await aclient.post(self.url, json=body, headers=self.headers)
                    data = self._check(response)
                    if data is not None:
                        return data
                    last = f"HTTP {response.status_code}"
                except (httpx.TimeoutException, httpx.TransportError) as e:
                    last = f"{type(e).__name__}: {e}"
                if attempt < self.max_retries:
                    await asyncio.sleep(_retry_delay(response, attempt, self.backoff_s))
        finally:
            if own:
                await aclient.aclose()
        raise self._give_up(last)

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
        body = self.build_body(
            messages, schema=schema, temperature=temperature, max_tokens=max_tokens, extra=extra
        )
        text = reply_text(self.post(body), self.url)
        if schema is None:
            return text
        try:
            return parse_json_reply(text, schema)
        except ValidationError as e:
            body["messages"] = self._repair_messages(messages, text, e)
            return self._parse_repaired(reply_text(self.post(body), self.url), schema)

    async def achat(
        self,
        messages,
        *,
        schema=None,
        temperature=0.0,
        max_tokens=1024,
        extra=None,
        client: httpx.AsyncClient | None = None,
    ):
        """Async ``chat``; pass a shared ``client`` to reuse connections across calls."""
        body = self.build_body(
            messages, schema=schema, temperature=temperature, max_tokens=max_tokens, extra=extra
        )
        text = reply_text(await self.apost(body, client), self.url)
        if schema is None:
            return text
        try:
            return parse_json_reply(text, schema)
        except ValidationError as e:
            body["messages"] = self._repair_messages(messages, text, e)
            return self._parse_repaired(
                reply_text(await self.apost(body, client), self.url), schema
            )

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
        safe = text.replace("</message>", "</ message>")
        prompt = load_prompt("extract_request").render(message=safe)
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
