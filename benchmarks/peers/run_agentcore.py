"""agentcore's ReActAgent on the scripted backend, same trajectory (run with agentcore's .venv).

The tool keeps agentcore's default per-call time limit, as a user's tool would; no plugins are
loaded (the peers run with none either).
"""

from __future__ import annotations

from trajectory import ANSWER, TASK, echo, measure, tool_arguments

from agentcore import ReActAgent, tool
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager


@tool
def noop(text: str) -> str:
    """Return the text unchanged."""
    return echo(text)


def run_once(steps: int) -> str:
    completions = [
        f" Calling the tool.\nAction {i}: noop[{arguments['text']}]"
        for i, arguments in enumerate(tool_arguments(steps), start=1)
    ]
    completions.append(f" Done.\nAction {steps}: finish[{ANSWER}]")
    agent = ReActAgent(
        ScriptedBackend(completions, context_window=10_000_000),
        tools=[noop],
        max_steps=steps,
        plugin_manager=AgentcorePluginManager(allow=set()),
        prompt="react/tools",
    )
    return agent.run(TASK).answer


if __name__ == "__main__":
    measure("agentcore", run_once)
