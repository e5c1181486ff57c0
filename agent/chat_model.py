"""The LLM planner's chat model: ``langchain-openai``'s ``ChatOpenAI`` on the reasoner's server.

``ChatOpenAI`` does the protocol (``bind_tools``, tool-call parsing, token usage,
``base_url`` for vLLM). Two things are added for the servers this project runs against:
reasoning blocks (``<think>...</think>``, Qwen3 on vLLM without a reasoning parser) are
dropped from the reply, and the SDK's errors become the project's
(``BackendUnavailable`` naming the server, ``LLMReplyError``), which the planner turns
into a visible "could not reach the language model" answer. The connection settings
(URL, model, key, timeout, retries, a test transport) come from one ``OpenAIChat``, the
same client the reasoner, judge and listener use. See ARCHITECTURE.md ("Backends").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field, model_validator

from linernotes.tools.errors import LLMReplyError
from linernotes.tools.reason.openai_chat import OpenAIChat, strip_think


class OpenAICompatibleChat(ChatOpenAI):
    """``ChatOpenAI`` for an OpenAI-compatible server, built from an ``OpenAIChat``.

    ``OpenAICompatibleChat(client=OpenAIChat(url, model, ...))`` takes the server, model,
    key, timeout, retries and transport from that client; plain ``ChatOpenAI`` keywords
    (``model``, ``base_url``, ``api_key``...) work as well.
    """

    server: Any = Field(default=None, exclude=True)
    """The ``OpenAIChat`` the connection settings came from (names the server in errors)."""

    @model_validator(mode="before")
    @classmethod
    def _from_client(cls, values: Any) -> Any:
        """Expand ``client=OpenAIChat(...)`` into ChatOpenAI's connection keywords."""
        chat = values.get("client") if isinstance(values, dict) else None
        if not isinstance(chat, OpenAIChat):
            return values
        values = {k: v for k, v in values.items() if k != "client"}
        return {
            "model": chat.model,
            "base_url": chat.base_url,
            "api_key": chat.api_key,
            "timeout": chat.timeout_s,
            "max_retries": chat.max_retries,
            "http_client": chat.http_client(),
            "server": chat,
            "temperature": 0.0,
            "max_tokens": 1024,
            **values,
        }

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAICompatibleChat:
        """The reasoner's server and model from ``Settings``."""
        return cls(client=OpenAIChat.from_settings(settings, "reasoner"))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        """ChatOpenAI's request, with the SDK's errors named as the project's."""
        server = self.server or OpenAIChat(
            str(self.openai_api_base), self.model_name, max_retries=self.max_retries or 0
        )
        with server.errors():
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    def _create_chat_result(self, response: Any, generation_info: dict | None = None) -> ChatResult:
        """ChatOpenAI's reading of a completion, minus reasoning blocks."""
        result = super()._create_chat_result(response, generation_info)
        for generation in result.generations:
            message = generation.message
            if isinstance(message.content, str):
                message.content = strip_think(message.content)
        return result


@lru_cache(maxsize=1)
def _reader() -> OpenAICompatibleChat:
    return OpenAICompatibleChat(model="reader", base_url="http://127.0.0.1:9/v1", api_key="EMPTY")


def parse_reply(data: dict[str, Any], url: str = "") -> AIMessage:
    """A chat-completions response -> ``AIMessage`` exactly as the planner reads one.

    Raises:
        LLMReplyError: the response has no ``choices[0].message``.
    """
    try:
        choice = data["choices"][0]
        sent = {"role": "assistant", **choice["message"]}  # some servers omit the role
    except (KeyError, IndexError, TypeError) as e:
        raise LLMReplyError(f"{url} sent no choices[0].message: {str(data)[:200]}") from e
    data = {**data, "choices": [{**choice, "message": sent}]}
    message = _reader()._create_chat_result(data).generations[0].message
    assert isinstance(message, AIMessage)
    return message
