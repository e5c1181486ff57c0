"""A LangChain chat model over any OpenAI-compatible server (vLLM, hosted APIs), with tools.

The LLM planner needs a LangChain ``BaseChatModel`` with ``bind_tools``; the project's
HTTP client (``tools/reason/openai_chat.py``) already handles retries, timeouts and
naming the server when it is down. This adapter puts the two together instead of
adding ``langchain-openai`` and the ``openai`` SDK as dependencies: messages and tool
schemas are converted with langchain-core's own OpenAI converters, the reply's
``tool_calls`` and token usage are read back into an ``AIMessage``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict

from linernotes.tools.errors import LLMReplyError
from linernotes.tools.reason.openai_chat import OpenAIChat

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


def parse_reply(data: dict[str, Any], url: str = "") -> AIMessage:
    """An OpenAI chat-completions response -> ``AIMessage`` with tool calls and usage.

    Raises:
        LLMReplyError: the response has no ``choices[0].message``.
    """
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError) as e:
        raise LLMReplyError(f"{url} sent no choices[0].message: {str(data)[:200]}") from e
    content = _THINK.sub("", message.get("content") or "").strip()
    calls, invalid = [], []
    for i, tc in enumerate(message.get("tool_calls") or []):
        fn = tc.get("function") or {}
        call_id = tc.get("id") or f"call_{i}"
        raw = fn.get("arguments") or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else dict(raw)
            calls.append(
                {"name": fn.get("name", ""), "args": args, "id": call_id, "type": "tool_call"}
            )
        except (json.JSONDecodeError, TypeError, ValueError) as e:
            error = f"arguments are not JSON: {e}"
            invalid.append(
                {"name": fn.get("name"), "args": str(raw), "id": call_id, "error": error}
            )
    usage = data.get("usage") or {}
    meta = None
    if usage:
        n_in, n_out = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
        total = int(usage.get("total_tokens", n_in + n_out))
        meta = {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": total}
    return AIMessage(
        content=content,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=meta,
        response_metadata={
            "model_name": data.get("model"),
            "finish_reason": data["choices"][0].get("finish_reason"),
        },
    )


class OpenAICompatibleChat(BaseChatModel):
    """Tool-calling chat model over ``OpenAIChat`` (the 'openai' reasoner's server).

    Args:
        client: the HTTP client for one server and model.
        temperature: sampling temperature (0: the most repeatable plans).
        max_tokens: longest reply.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any
    temperature: float = 0.0
    max_tokens: int = 1024

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAICompatibleChat:
        """The reasoner's server and model from ``Settings``."""
        return cls(client=OpenAIChat.from_settings(settings, "reasoner"))

    @property
    def model_name(self) -> str:
        """The model the server knows it by (what traces record)."""
        return str(self.client.model)

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        """Offer tools to the model (OpenAI ``tools`` schema); ``tool_choice`` as OpenAI's."""
        extra: dict[str, Any] = {"tools": [convert_to_openai_tool(t) for t in tools]}
        if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required"):
            tool_choice = {"type": "function", "function": {"name": tool_choice}}
        if tool_choice is not None:
            extra["tool_choice"] = tool_choice
        return self.bind(**extra, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        extra: dict[str, Any] = {k: kwargs[k] for k in ("tools", "tool_choice") if k in kwargs}
        if stop:
            extra["stop"] = stop
        body = self.client.build_body(
            convert_to_openai_messages(messages),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            extra=extra,
        )
        message = parse_reply(self.client.post(body), self.client.url)
        return ChatResult(generations=[ChatGeneration(message=message)])
