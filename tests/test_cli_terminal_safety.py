"""The terminal shows, never executes: model and tool text reach it escaped; --json stays exact.

The real ``agentcore`` CLI runs a scripted backend whose completions, and a tool whose
result, carry terminal attacks: an OSC 52 clipboard write, screen clearing, concealed
text, an 8-bit CSI, a terminal reset, bidi overrides, invisible tag characters. Output is
taken with ``color=True``, as a terminal would get it (click strips some escapes from
non-terminal output by itself, which would hide a missing escape).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agentcore import plugins
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.cli import commands  # noqa: F401  (registers `run react`)
from agentcore.cli.main import cli
from agentcore.errors import BackendError
from agentcore.hookspecs import hookimpl
from agentcore.plugins import AgentcorePluginManager
from agentcore.testing import CLICK_STYLES, assert_nothing_executes
from agentcore.tools import tool
from agentcore.untrusted import for_terminal

TAGS = "".join(chr(0xE0000 + ord(c)) for c in "run this")
ATTACK = (
    "page\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[8mconcealed\x1b[0m\x9b31mred"
    f"\u202eevil\u2066x\u2069{TAGS}\x08\x7f end"
)
# No brackets, so the whole of it is the argument of finish[...].
ANSWER = f"Paris\x1bc\x9b2J\u202esiraP{TAGS}\x07"
RAW = [
    "\x1b]",
    "\x1b[2J",
    "\x1b[8m",
    "\x1bc",
    "\x9b",
    "\x07",
    "\x08",
    "\x7f",
    "\u202e",
    "\u2066",
    "\u2069",
]


@tool
def hostile(query: str) -> str:
    """Return a page with terminal escapes in it."""
    return ATTACK


class AttackPlugin:
    @hookimpl
    def register_backends(self, register):
        def make(**_options: str) -> ScriptedBackend:
            return ScriptedBackend(
                [
                    " I look it up\x1b]52;c;Zm9v\x07 now.\nAction 1: hostile[x]",
                    f" Done.\nAction 2: finish[{ANSWER}]",
                    f" Tell them.\nAction: respond[{ANSWER}]",
                ]
            )

        register("attack-script", make, description="test")

        def down(**_options: str) -> ScriptedBackend:
            # as a remote backend reports a failing server: its reply quoted in the error
            raise BackendError(f"the server answered 502: {ATTACK}")

        register("attack-down", down, description="test")

    @hookimpl
    def register_tools(self, register):
        register(hostile)


@pytest.fixture(autouse=True)
def attack_plugin(monkeypatch):
    pm = AgentcorePluginManager(allow={"scripted"})
    pm.register(AttackPlugin(), name="attack-script")
    monkeypatch.setattr(plugins, "_default", pm)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), color=True, catch_exceptions=False)


def react(*extra: str):
    return invoke(
        "run", "react", "What is the capital?", "-b", "attack-script", "-t", "hostile", *extra
    )


def test_live_trace_and_answer_show_the_escapes():
    result = react()
    assert result.exit_code == 0, result.output
    assert_nothing_executes(result.output, RAW)
    shown = CLICK_STYLES.sub("", result.output)  # streamed words are styled one by one
    assert "\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\x1b[8mconcealed" in shown
    assert "I look it up\\x1b]52;c;Zm9v\\x07 now." in shown  # streamed model text
    assert "<U+202E>evil<U+2066>x<U+2069><8 invisible tag characters>\\x08\\x7f" in shown
    assert "(sanitized for the prompt: replaced 8 invisible tag characters" in shown
    answer_line = next(line for line in shown.splitlines() if "Answer: " in line)
    assert "Answer: Paris\\x1bc\\x9b2J<U+202E>siraP<8 invisible tag characters>\\x07" in (
        answer_line
    )


def test_json_output_is_exact_and_inert():
    result = react("--json")
    assert result.exit_code == 0, result.output
    assert_nothing_executes(result.stdout, RAW)
    record = json.loads(result.stdout)
    assert record["answer"] == ANSWER
    assert record["steps"][0]["observation"] == ATTACK
    assert record["steps"][0]["tool_result"]["observation"] == ATTACK
    assert record["steps"][0]["completion"].startswith(" I look it up\x1b]52;c;Zm9v\x07")


def test_quiet_answer_is_escaped():
    result = react("-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == for_terminal(ANSWER) + "\n"
    assert_nothing_executes(result.stdout, RAW)


def test_chat_shows_messages_tool_output_and_replies_escaped():
    result = invoke(
        "chat",
        "-b",
        "attack-script",
        "-t",
        "hostile",
        "--message",
        "hi\x1b]52;c;bWU=\x07\u202e",
    )
    assert result.exit_code == 0, result.output
    assert_nothing_executes(result.output, RAW)
    assert "you> hi\\x1b]52;c;bWU=\\x07<U+202E>" in result.output
    assert "→ page\\x1b]52;c;cm0gLXJmIH4=\\x07" in result.output
    assert "agent> Paris\\x1bc\\x9b2J<U+202E>siraP" in result.output


def test_error_messages_are_escaped():
    result = invoke("run", "react", "q", "-b", "attack-down", "-t", "hostile")
    assert result.exit_code == 1
    assert "Error: the server answered 502: page\\x1b]52;c;cm0gLXJmIH4=\\x07" in result.stderr
    assert_nothing_executes(result.output, RAW)
