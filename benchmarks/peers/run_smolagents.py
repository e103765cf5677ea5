"""smolagents' ToolCallingAgent on the scripted trajectory (run with benchmarks/peers/.venv)."""

from __future__ import annotations

import itertools

from smolagents import Model, ToolCallingAgent, tool
from smolagents.models import (
    ChatMessage,
    ChatMessageToolCall,
    ChatMessageToolCallFunction,
    MessageRole,
)
from smolagents.monitoring import LogLevel
from trajectory import ANSWER, TASK, echo, measure, tool_arguments


@tool
def noop(text: str) -> str:
    """Return the text unchanged.

    Args:
        text: the text to return
    """
    return echo(text)


class ScriptedModel(Model):
    """Replays the trajectory as native tool calls; the last one is ``final_answer``."""

    def __init__(self, steps: int) -> None:
        super().__init__(model_id="scripted")
        calls = [("noop", arguments) for arguments in tool_arguments(steps)]
        calls.append(("final_answer", {"answer": ANSWER}))
        self._calls = iter(calls)
        self._ids = itertools.count()

    def generate(
        self, messages, stop_sequences=None, response_format=None, tools_to_call_from=None, **kwargs
    ) -> ChatMessage:
        name, arguments = next(self._calls)
        call = ChatMessageToolCall(
            function=ChatMessageToolCallFunction(name=name, arguments=arguments),
            id=f"call_{next(self._ids)}",
            type="function",
        )
        return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])


def run_once(steps: int) -> str:
    agent = ToolCallingAgent(
        tools=[noop],
        model=ScriptedModel(steps),
        max_steps=steps + 1,
        verbosity_level=LogLevel.OFF,
    )
    return agent.run(TASK)


if __name__ == "__main__":
    measure("smolagents", run_once)
