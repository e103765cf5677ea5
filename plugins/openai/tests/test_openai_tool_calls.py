"""Native tool calls over ``/chat/completions``: the ``tools`` request and ``tool_calls``
reply, on a strict scripted server (what OpenAI's API takes) and on llama-cpp-python's real
server with its function-calling chat format."""

from __future__ import annotations

import asyncio
import json

import pytest
from agentcore_openai.backend import OpenAIBackend

from agentcore.models import GenerationConfig, Message, RunStatus, ToolRequest
from agentcore.plugins import AgentcorePluginManager
from agentcore.tool_calling import FINISH_SPEC, ToolCallingAgent
from agentcore.tools import tool

OPENAI_FIELDS = {
    "model", "messages", "max_tokens", "temperature", "top_p", "seed", "stop", "tools",
    "tool_choice", "presence_penalty", "frequency_penalty", "stream", "n", "user",
}  # fmt: skip
QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


@tool
def search(entity: str) -> str:
    """Search an encyclopedia."""
    return {"Arthur's Magazine": "Arthur's Magazine (1844–1846) was a literary periodical."}.get(
        entity, f"Could not find {entity}."
    )


def tool_reply(name: str, arguments: str, content: str | None = None) -> dict:
    message = {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": f"srv-{name}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ],
    }
    return {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 14, "total_tokens": 134},
    }


@pytest.fixture
def api(fake_server):
    """A strict hosted API: 400 for a field outside OpenAI's; replies scripted per test."""
    Reply = fake_server.Reply
    replies: list[dict] = []

    def chat(request):
        unknown = set(request["body"]) - OPENAI_FIELDS
        if unknown:
            return Reply(status=400, body={"error": {"message": f"Unrecognized {sorted(unknown)}"}})
        return Reply(body=replies.pop(0) if len(replies) > 1 else replies[0])

    fake_server.script["/v1/models"] = lambda request: Reply(
        body={"data": [{"id": "hosted-chat", "object": "model", "owned_by": "openai"}]}
    )
    fake_server.script["/v1/chat/completions"] = chat
    fake_server.replies = replies
    return fake_server


def bodies(server) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"] == "/v1/chat/completions"]


def test_a_run_sends_tools_and_reads_tool_calls(api) -> None:
    api.replies += [
        tool_reply("search", json.dumps({"entity": "Arthur's Magazine"}), "I look it up."),
        tool_reply("finish", json.dumps({"answer": "Arthur's Magazine"})),
    ]
    agent = ToolCallingAgent(
        OpenAIBackend(base_url=api.base_url), tools=[search],
        plugin_manager=AgentcorePluginManager(allow=set()),
    )  # fmt: skip
    result = agent.run(QUESTION)
    assert result.status is RunStatus.FINISHED, result.error
    assert result.answer == "Arthur's Magazine"
    assert result.steps[0].thought == "I look it up."
    assert result.usage.prompt_tokens == 240  # as the server reported it
    first, second = bodies(api)
    assert [t["function"]["name"] for t in first["tools"]] == ["search", "finish"]
    assert first["tools"][0]["function"]["parameters"]["properties"] == {
        "entity": {"type": "string"}
    }
    assert first["tool_choice"] == "auto"
    said, answered = second["messages"][-2:]
    assert said["role"] == "assistant"
    assert said["tool_calls"][0]["function"] == {
        "name": "search", "arguments": json.dumps({"entity": "Arthur's Magazine"})
    }  # fmt: skip
    assert answered == {
        "role": "tool", "tool_call_id": said["tool_calls"][0]["id"],
        "content": "Arthur's Magazine (1844–1846) was a literary periodical.",
    }  # fmt: skip


def test_a_reply_in_words_is_asked_again_with_a_call_required(api) -> None:
    words = {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Arthur's."},
             "finish_reason": "stop"}
        ],
    }  # fmt: skip
    api.replies += [words, tool_reply("finish", '{"answer": "Arthur\'s Magazine"}')]
    agent = ToolCallingAgent(
        OpenAIBackend(base_url=api.base_url), tools=[search],
        plugin_manager=AgentcorePluginManager(allow=set()),
    )  # fmt: skip
    result = agent.run(QUESTION)
    assert result.answer == "Arthur's Magazine"
    assert [b["tool_choice"] for b in bodies(api)] == ["auto", "required"]
    assert result.steps[0].repaired_from == "Arthur's."


def test_arguments_that_are_not_json_are_told_to_the_model(api) -> None:
    api.replies += [
        tool_reply("search", '{"entity": "Arth'),
        tool_reply("finish", '{"answer": "x"}'),
    ]
    agent = ToolCallingAgent(
        OpenAIBackend(base_url=api.base_url), tools=[search], constrain=False,
        plugin_manager=AgentcorePluginManager(allow=set()),
    )  # fmt: skip
    result = agent.run(QUESTION)
    assert (
        "malformed" in result.steps[0].observation
        and "not valid JSON" in result.steps[0].observation
    )
    assert result.status is RunStatus.FINISHED


def test_async_tool_calls_use_the_async_client(api) -> None:
    api.replies += [tool_reply("finish", '{"answer": "x"}')]
    backend = OpenAIBackend(base_url=api.base_url)
    request = ToolRequest(
        messages=[Message(role="user", content="q")], tools=[FINISH_SPEC], required=True
    )
    reply = asyncio.run(backend.acomplete_tools(request, GenerationConfig(max_new_tokens=20)))
    assert reply.tool_calls[0].arguments == {"answer": "x"}
    assert backend._async_http is not None
    assert bodies(api)[0]["tool_choice"] == {"type": "function", "function": {"name": "finish"}}


def test_a_server_that_cannot_require_a_call_is_asked_with_auto_from_then_on(fake_server) -> None:
    """llama-cpp-python's chatml-function-calling format fails on tool_choice=required."""
    Reply = fake_server.Reply

    def chat(request):
        if request["body"]["tool_choice"] != "auto":
            return Reply(status=500, body={"error": {"message": "AssertionError"}})
        return Reply(body=tool_reply("finish", '{"answer": "x"}'))

    fake_server.script["/v1/chat/completions"] = chat
    backend = OpenAIBackend(base_url=fake_server.base_url, max_retries=0)
    request = ToolRequest(
        messages=[Message(role="user", content="q")], tools=[search.spec, FINISH_SPEC],
        required=True,
    )  # fmt: skip
    for _ in range(2):
        assert backend.complete_tools(request, GenerationConfig()).tool_calls[0].name == "finish"
    assert [b["tool_choice"] for b in bodies(fake_server)] == ["required", "auto", "auto"]


def test_a_function_named_but_not_called_is_called_by_name(api) -> None:
    """llama-cpp-python's chatml-function-calling (0.3) answers ``functions.search:`` as text."""
    named = {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "functions.search:"},
             "finish_reason": "stop"}
        ],
    }  # fmt: skip
    api.replies += [named, tool_reply("search", '{"entity": "First for Women"}')]
    backend = OpenAIBackend(base_url=api.base_url)
    request = ToolRequest(
        messages=[Message(role="user", content="q")], tools=[search.spec, FINISH_SPEC]
    )
    reply = backend.complete_tools(request, GenerationConfig())
    assert reply.tool_calls[0].arguments == {"entity": "First for Women"}
    assert [b["tool_choice"] for b in bodies(api)] == [
        "auto", {"type": "function", "function": {"name": "search"}}
    ]  # fmt: skip


@pytest.mark.slow
def test_tool_calls_on_llama_cpp_pythons_real_server(llama_tools_server) -> None:
    """llama-cpp-python's server, chat format ``chatml-function-calling``: our tools body is
    taken, and a call comes back as ``tool_calls`` whose arguments follow the schema."""
    backend = OpenAIBackend(
        llama_tools_server.model, base_url=llama_tools_server.base_url, api="chat"
    )
    system = Message(role="system", content="Answer by calling one of the functions.")
    asks = [
        ("Search the encyclopedia for the page First for Women.", [search.spec, FINISH_SPEC]),
        ("What is two plus two? Give only the number.", [FINISH_SPEC]),  # a forced call
    ]
    for text, tools in asks:
        messages = [system, Message(role="user", content=text)]
        request = ToolRequest(messages=messages, tools=tools, required=True)
        reply = backend.complete_tools(request, GenerationConfig(max_new_tokens=120))
        assert reply.tool_calls, reply.text
        first = reply.tool_calls[0]
        assert first.error is None and first.name in {t.name for t in tools}
        assert isinstance(first.arguments, dict) and first.arguments
    agent = ToolCallingAgent(
        backend, tools=[search], max_steps=2, plugin_manager=AgentcorePluginManager(allow=set())
    )
    result = agent.run(QUESTION)
    assert result.status in (RunStatus.FINISHED, RunStatus.MAX_STEPS)
    assert result.steps and result.steps[-1].action is not None
