"""LangGraph's prebuilt ``create_react_agent`` on the scripted trajectory (peers venv)."""

from __future__ import annotations

import warnings
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from trajectory import ANSWER, TASK, echo, measure, tool_arguments

with warnings.catch_warnings():  # create_react_agent is kept, and points to langchain.agents
    warnings.simplefilter("ignore")
    from langgraph.prebuilt import create_react_agent


@tool
def noop(text: str) -> str:
    """Return the text unchanged."""
    return echo(text)


class ScriptedChatModel(GenericFakeChatModel):
    """langchain-core's fake chat model; tools are "bound" by ignoring them (it replays)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self


def run_once(steps: int) -> str:
    messages = [
        AIMessage(
            content="",
            tool_calls=[
                {"name": "noop", "args": arguments, "id": f"call_{i}", "type": "tool_call"}
            ],
        )
        for i, arguments in enumerate(tool_arguments(steps))
    ]
    messages.append(AIMessage(content=ANSWER))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agent = create_react_agent(ScriptedChatModel(messages=iter(messages)), [noop])
    # each step is two graph supersteps (model, then tools)
    state = agent.invoke({"messages": [("user", TASK)]}, config={"recursion_limit": 2 * steps + 10})
    return state["messages"][-1].content


if __name__ == "__main__":
    measure("langgraph", run_once)
