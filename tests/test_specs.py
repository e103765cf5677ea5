"""Agents described as data (agentcore.specs): validated before any model loads, then built."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agentcore.chat import ChatAgent
from agentcore.fewshot import PromptAgent
from agentcore.pal import PALAgent
from agentcore.react import ReActAgent
from agentcore.specs import AgentSpec


def test_each_kind_builds_its_agent_with_the_spec_options() -> None:
    pm = None  # every installed plugin: the python tool, the sandbox executor
    react = AgentSpec(
        kind="react", backend="scripted", tools=["python"], max_steps=3,
        generation={"max_new_tokens": 50}, settings={"wikipedia": {"mode": "offline"}},
    ).build(pm)  # fmt: skip
    assert isinstance(react, ReActAgent)
    assert react.max_steps == 3 and list(react.tools) == ["python"]
    assert react.generation.max_new_tokens == 50 and react.generation.temperature == 0.0
    assert react.settings == {"wikipedia": {"mode": "offline"}}
    assert react.repeats == "exclude"  # the default
    chat = AgentSpec(kind="chat", backend="scripted", max_steps=2, repeats="note").build(pm)
    assert isinstance(chat, ChatAgent) and chat.max_steps == 2 and chat.repeats == "note"
    pal = AgentSpec(kind="pal", backend="scripted", retries=0, timeout_s=2).build(pm)
    assert isinstance(pal, PALAgent)
    prompt = AgentSpec(kind="prompt", backend="scripted", prompt="classify/sentiment", shots=1)
    agent = prompt.build(pm)
    assert isinstance(agent, PromptAgent) and agent.shots == 1
    assert agent.template.name == "classify/sentiment"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "pal", "tools": ["search"]}, "a pal agent does not take tools"),
        ({"kind": "react", "retriever": "bm25"}, "a react agent does not take retriever"),
        ({"kind": "react", "toolz": []}, "Extra inputs are not permitted"),
        (
            {"kind": "agent"},
            "Input should be 'react', 'tool-calling', 'chat', 'pal', 'prompt' or 'rag'",
        ),
        ({"kind": "react", "generation": {"temperature": -1}}, "greater than or equal to 0"),
        ({"kind": "react", "max_steps": 0}, "greater than or equal to 1"),
        ({"kind": "pal", "repeats": "note"}, "a pal agent does not take repeats"),
        ({"kind": "react", "repeats": "skip"}, "Input should be 'exclude' or 'note'"),
    ],
)
def test_a_wrong_spec_is_refused_before_anything_is_built(spec, message) -> None:
    with pytest.raises(ValidationError, match=message):
        AgentSpec(**spec)
