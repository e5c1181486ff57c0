"""The LLM planner's chat model (langchain-openai's ChatOpenAI) against local servers."""

from __future__ import annotations

import pytest
from fake_openai_server import FakeOpenAIServer, Reply, dead_url
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from linernotes.agent.chat_model import OpenAICompatibleChat
from linernotes.tools.errors import BackendUnavailable, LLMReplyError
from linernotes.tools.reason.openai_chat import OpenAIChat
from linernotes.tools.settings import load_settings

pytestmark = pytest.mark.server


@tool
def get_track(track: str) -> str:
    """Look up one track."""
    return track


def model(url: str, **kw) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(client=OpenAIChat(url, "qwen", max_retries=1, timeout_s=5, **kw))


def test_reply_without_reasoning_and_the_wire_format():
    with FakeOpenAIServer(default="<think>plan it</think>\nHello there") as srv:
        ai = model(srv.url).bind_tools([get_track]).invoke([HumanMessage("hi")])
    assert ai.content == "Hello there"
    body = srv.requests[0]
    assert body["model"] == "qwen" and body["temperature"] == 0.0
    assert [t["function"]["name"] for t in body["tools"]] == ["get_track"]
    assert srv.paths == ["/v1/chat/completions"]


def test_from_settings_uses_the_reasoner_server():
    s = load_settings(reasoner="openai", reasoner_url="http://127.0.0.1:9/v1", reasoner_model="m")
    chat = OpenAICompatibleChat.from_settings(s)
    assert (chat.model_name, str(chat.openai_api_base)) == ("m", "http://127.0.0.1:9/v1")


def test_dead_server_is_backend_unavailable_naming_the_url():
    url = dead_url()
    with pytest.raises(BackendUnavailable, match=url.replace(".", r"\.")):
        model(url).invoke([HumanMessage("hi")])


def test_retries_then_refusals_are_named():
    with FakeOpenAIServer(script=[Reply(503, "loading")], default="ok") as srv:
        assert model(srv.url).invoke([HumanMessage("hi")]).content == "ok"
    assert srv.count == 2  # the SDK retried the 503
    with (
        FakeOpenAIServer(default=Reply(401, "bad key")) as srv,
        pytest.raises(BackendUnavailable, match="401"),
    ):
        model(srv.url).invoke([HumanMessage("hi")])
    with (
        FakeOpenAIServer(default=Reply(400, "context too long")) as srv,
        pytest.raises(LLMReplyError, match="context too long"),
    ):
        model(srv.url).invoke([HumanMessage("hi")])
