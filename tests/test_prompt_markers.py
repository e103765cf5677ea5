"""The transcript format lives in the prompt file: rename its markers and everything follows.

A copy of ``react/tools.toml`` has its markers renamed (``Thought`` → ``Reasoning``,
``Action`` → ``Act``, ``Observation`` → ``Result``, ``Task`` → ``Problem``); the parser,
the stop sequences, the action grammar, the final-answer nudge and the live display must
all speak the new words, and none the old ones.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agentcore.cli.render import LiveRenderer
from agentcore.models import RunStatus
from agentcore.prompts import load_prompt
from agentcore.react import ReActAgent

RENAMES = {"Thought": "Reasoning", "Action": "Act", "Observation": "Result", "Task:": "Problem:"}
QUESTION = "When did Arthur's Magazine start?"


@pytest.fixture
def renamed_prompt(tmp_path: Path) -> Path:
    text = Path(load_prompt("react/tools").source).read_text(encoding="utf-8")
    for old, new in RENAMES.items():
        assert old in text, f"react/tools.toml no longer has the marker {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "renamed.toml"
    path.write_text(text, encoding="utf-8")
    return path


LOOK = " I look it up.\nAct 1: search[Arthur's Magazine]"
FINISH = " It started in 1844.\nAct 2: finish[1844]"


@pytest.fixture
def agent_with(scripted, pm, encyclopedia_tools, renamed_prompt):
    """A ReAct agent on the renamed prompt, replaying the given completions."""

    def make(*completions: str, **kwargs) -> ReActAgent:
        backend = scripted(*completions, supports_grammar=True)
        return ReActAgent(
            backend, tools=encyclopedia_tools, prompt=str(renamed_prompt), plugin_manager=pm,
            **kwargs,
        )  # fmt: skip

    return make


def test_parsing_stops_and_prompts_follow_renamed_markers(agent_with) -> None:
    agent = agent_with(LOOK + "\nResult 1: invented by the model", FINISH)
    assert (agent.labels.thought, agent.labels.action, agent.labels.numbered) == (
        "Reasoning",
        "Act",
        True,
    )
    assert set(agent.stops) == {"\nProblem:", "\nReasoning", "\nResult"}
    result = agent.run(QUESTION)
    assert result.status is RunStatus.FINISHED, result.error
    assert result.answer == "1844"
    assert result.steps[0].thought == "I look it up."
    assert result.steps[0].action.tool == "search"
    prompts = agent.backend.prompts
    assert prompts[0].endswith(f"Problem: {QUESTION}\nReasoning 1:")
    # the model's invented observation was cut at the renamed stop; the engine wrote its own
    assert "invented by the model" not in prompts[1]
    assert "Result 1: Arthur's Magazine (1844–1846)" in prompts[1]
    assert prompts[1].endswith("Reasoning 2:")
    grammar = agent.grammar()  # what a malformed step is repaired under
    assert grammar is not None
    assert '"Act" " " [0-9]+ ": "' in grammar
    for prompt in prompts:
        for old in ("Thought", "Action ", "Observation", "Task:"):
            assert old not in prompt
    assert "Action" not in grammar


def test_final_answer_nudge_uses_the_renamed_markers(agent_with) -> None:
    agent = agent_with(LOOK, "1844]", max_steps=1)
    result = agent.run(QUESTION)
    assert result.status is RunStatus.MAX_STEPS
    assert result.answer == "1844"
    assert agent.backend.prompts[-1].endswith("Act 2: finish[")


@pytest.mark.parametrize("stream_tokens", [True, False])
def test_live_display_follows_renamed_markers(agent_with, stream_tokens: bool) -> None:
    agent = agent_with(LOOK, FINISH)

    @click.command()
    def show() -> None:
        renderer = LiveRenderer(agent, color=False, stream_tokens=stream_tokens)
        renderer.start(QUESTION, "scripted", "scripted")
        stream = agent.stream(QUESTION, on_token=renderer.on_token)
        for step in stream:
            renderer.step(step)
        renderer.finish(stream.result)

    out = CliRunner().invoke(show, []).output
    lines = out.splitlines()
    assert "Reasoning 1: I look it up." in lines
    assert "Act 1: search[Arthur's Magazine]" in lines
    assert any(line.startswith("Result 1: Arthur's Magazine (1844") for line in lines)
    assert "Reasoning 2: It started in 1844." in lines
    assert "Answer: 1844" in lines
    for old in ("Thought", "Action", "Observation"):
        assert old not in out
