"""Native tool calls in process, on the real fast model: the GGUF's own chat template with
the tools, and the grammar that keeps every required call well-formed."""

from __future__ import annotations

import pytest

from agentcore.models import GenerationConfig, Message, ToolCall, ToolRequest, ToolSpec
from agentcore.tool_calling import FINISH_SPEC, ToolCallingAgent
from agentcore.tools import tool

WEATHER = ToolSpec(
    name="weather",
    description="The weather now in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    },
)


@pytest.fixture(scope="module")
def backend():
    from agentcore_llama_cpp.backend import LlamaCppBackend

    llm = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=4096, n_threads=2)
    yield llm
    llm.close()


def test_the_models_own_template_carries_the_tools_and_the_calls(backend) -> None:
    made = ToolCall(id="call_1", name="weather", arguments={"city": "Oslo", "days": 1})
    request = ToolRequest(
        messages=[
            Message(role="system", content="You help with travel."),
            Message(role="user", content="Weather in Oslo?"),
            Message(role="assistant", content="", tool_calls=[made]),
            Message(role="tool", content="Snow, -3 C.", tool_call_id="call_1", name="weather"),
        ],
        tools=[WEATHER],
    )
    text = backend.render_tools(request)
    assert "<tools>" in text and '"name": "weather"' in text  # Qwen2.5's own tool section
    assert '{"name": "weather", "arguments": {"city": "Oslo", "days": 1}}' in text
    assert "<tool_response>\nSnow, -3 C.\n</tool_response>" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_a_required_call_is_well_formed_and_follows_the_schema(backend) -> None:
    request = ToolRequest(
        messages=[Message(role="user", content="Will it rain in Lisbon over the next 3 days?")],
        tools=[WEATHER, FINISH_SPEC],
        required=True,
    )
    reply = backend.complete_tools(request, GenerationConfig(max_new_tokens=80))
    assert reply.tool_calls, reply.text
    first = reply.tool_calls[0]
    assert first.error is None and first.name in ("weather", "finish")
    if first.name == "weather":
        assert isinstance(first.arguments["city"], str) and isinstance(first.arguments["days"], int)


@tool
def capital(country: str) -> str:
    """The capital city of a country."""
    return {"france": "Paris is the capital of France."}.get(country.strip().lower(), "Unknown.")


@pytest.mark.slow
def test_a_tool_calling_run_ends_with_a_status_and_well_formed_steps(backend) -> None:
    from agentcore.plugins import AgentcorePluginManager

    agent = ToolCallingAgent(
        backend, tools=[capital], plugin_manager=AgentcorePluginManager(allow=set()), max_steps=3
    )
    result = agent.run("What is the capital of France?")
    assert result.status.value in ("finished", "max_steps")
    assert result.steps and all(s.action is not None for s in result.steps)
    assert result.usage.prompt_tokens_evaluated < result.usage.prompt_tokens  # KV prefix reuse
