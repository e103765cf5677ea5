"""`agentcore run react` passes the grammar mode through to the agent.

A session once showed a malformed step left unrepaired on the CLI while the
library repaired it: the CLI's flag defaulted to "never". These tests pin the
default to the library's (repair) and check each mode end to end.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from agentcore import plugins
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.cli import commands  # noqa: F401  (registers `run react`)
from agentcore.cli.main import cli
from agentcore.hookspecs import hookimpl
from agentcore.plugins import AgentcorePluginManager


class GrammarScriptPlugin:
    """A backend that claims grammar support and replays a malformed step first."""

    def __init__(self, tools) -> None:
        self.backends: list[ScriptedBackend] = []
        self.tools = tools

    @hookimpl
    def register_backends(self, register):
        def make(**_options: str) -> ScriptedBackend:
            backend = ScriptedBackend(
                [
                    " I copy the observation instead of acting",
                    " I search.\nAction 1: search[Arthur's Magazine]",
                    " done\nAction 2: finish[Arthur's Magazine]",
                    " done\nAction 3: finish[Arthur's Magazine]",
                ],
                supports_grammar=True,
            )
            self.backends.append(backend)
            return backend

        register("grammar-script", make, description="test")

    @hookimpl
    def register_tools(self, register):
        for item in self.tools:
            register(item)


@pytest.fixture
def plugin(monkeypatch, encyclopedia_tools):
    pm = AgentcorePluginManager(allow={"scripted"})
    script = GrammarScriptPlugin(encyclopedia_tools)
    pm.register(script, name="grammar-script")
    monkeypatch.setattr(plugins, "_default", pm)
    return script


def run(*extra: str, json: bool = True) -> str:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "react",
            "Which magazine?",
            "-b",
            "grammar-script",
            "-t",
            "search",
            "-t",
            "lookup",
            *(["--json"] if json else []),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_default_repairs_a_malformed_step_under_the_grammar(plugin):
    output = run()
    grammars = plugin.backends[0].grammars
    assert grammars[0] is None and grammars[1] is not None and grammars[2] is None
    assert '"repaired_from": " I copy the observation instead of acting"' in output


def test_always_constrains_every_step(plugin):
    run("--grammar", "always")
    grammars = plugin.backends[0].grammars
    assert all(g is not None for g in grammars)


def test_never_leaves_the_malformed_step(plugin):
    output = run("--grammar", "never")
    assert plugin.backends[0].grammars[:2] == [None, None]
    assert "Invalid format" in output


def test_live_output_shows_the_discarded_attempt_and_starts_the_step_again(plugin):
    output = run(json=False)
    lines = output.splitlines()
    first = lines.index("Thought 1: I copy the observation instead of acting")
    assert lines[first + 1].startswith("  ↻ step 1: no valid action")
    assert lines[first + 2] == "Thought 1: I search."
    assert lines[first + 3] == "Action 1: search[Arthur's Magazine]"


def test_native_tool_calls_run_the_tool_calling_agent(plugin):
    import json as json_module

    replies = [
        'I search.\n<tool_call>\n{"name": "search", "arguments": {"entity": "First for Women"}}',
        '<tool_call>\n{"name": "finish", "arguments": {"answer": "First for Women"}}',
    ]
    result = CliRunner().invoke(
        cli,
        [
            "run", "react", "Which magazine?", "-b", "scripted", "-t", "search",
            "-o", "completions=" + json_module.dumps(replies), "--tool-calls", "native", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json_module.loads(result.output)
    assert record["agent"] == "tool-calling" and record["answer"] == "First for Women"
    assert record["steps"][0]["action"]["arguments"] == {"entity": "First for Women"}
