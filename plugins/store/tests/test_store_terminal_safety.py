"""``agentcore runs`` shows stored model and tool text escaped; ``--json`` keeps it exact.

A real scripted run whose completions, tool result and answer carry terminal attacks is
recorded in the test's store; the real CLI prints it (``color=True``, as a terminal gets
it: click strips some escapes from other output by itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentcore.models import RunStatus
from agentcore.testing import CLICK_STYLES, assert_nothing_executes
from agentcore.tools import tool

TAGS = "".join(chr(0xE0000 + ord(c)) for c in "hidden")
ATTACK = f"p\x1b]52;c;cm0gLXJm\x07\x1b[2J\x1b[8mx\x9b31m\u202eevil\u2069{TAGS}\r\n\x0bend"
ANSWER = f"Paris\x1bc\x9b2J\u202esiraP{TAGS}\x07"
RAW = ["\x1b]", "\x1b[2J", "\x1b[8m", "\x1bc", "\x9b", "\x07", "\x0b", "\r", "\u202e", "\u2069"]


@tool
def hostile(query: str) -> str:
    """Return a page with terminal escapes in it.

    Args:
        query: Anything.
    """
    return ATTACK


@pytest.fixture
def cli_color(store: Path):
    from agentcore.cli.main import _load_commands, cli

    _load_commands()

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), color=True, catch_exceptions=False)

    return invoke


@pytest.fixture
def hostile_run(run_react):
    result = run_react(
        " Look\x1b]52;c;Zm9v\x07 it up.\nAction 1: hostile[x]",
        f" Done.\nAction 2: finish[{ANSWER}]",
        question="Capital?\u202e",
        tools=[hostile],
        keep_prompts=True,
    )
    assert result.status is RunStatus.FINISHED and result.answer == ANSWER
    return result


def test_runs_show_escapes_every_stored_text(cli_color, hostile_run):
    shown = cli_color("runs", hostile_run.run_id, "--prompts")
    assert shown.exit_code == 0, shown.output
    assert_nothing_executes(shown.output, RAW)
    text = CLICK_STYLES.sub("", shown.output)
    observation = (
        "  Observation:\n    p\\x1b]52;c;cm0gLXJm\\x07\\x1b[2J\\x1b[8mx\\x9b31m<U+202E>evil"
    )
    assert observation in text
    # CRLF is one line break; a vertical tab is shown, not taken for another
    assert "<6 invisible tag characters>\n    \\x0bend\n" in text
    assert "answer: Paris\\x1bc\\x9b2J<U+202E>siraP<6 invisible tag characters>\\x07" in text
    assert "input: Capital?<U+202E>" in text
    assert "Look\\x1b]52;c;Zm9v\\x07 it up." in text  # the stored completion and prompt
    # what the prompt got instead of the observation, one change a line
    assert "  Sanitized: made 5 control characters visible: \\x1b, \\x07, \\x9b\n" in text
    assert "  Sanitized: replaced 6 invisible tag characters (hidden text: 'hidden')\n" in text


def test_runs_list_escapes_the_answer(cli_color, hostile_run):
    listing = cli_color("runs")
    assert listing.exit_code == 0, listing.output
    assert_nothing_executes(listing.output, RAW)
    assert "Paris\\x1bc\\x9b2J<U+202E>siraP" in CLICK_STYLES.sub("", listing.output)


def test_runs_json_is_exact_and_inert(cli_color, hostile_run):
    shown = cli_color("runs", hostile_run.run_id, "--json")
    assert shown.exit_code == 0, shown.output
    assert_nothing_executes(shown.stdout, RAW)
    trace = json.loads(shown.stdout)
    assert trace["run"]["answer"] == ANSWER
    assert trace["run"]["input"] == "Capital?\u202e"
    first = trace["steps"][0]
    assert first["observation"] == ATTACK
    assert first["sanitized"] == hostile_run.steps[0].sanitized
    listing = json.loads(cli_color("runs", "--json").stdout)
    assert listing[0]["answer"] == ANSWER
