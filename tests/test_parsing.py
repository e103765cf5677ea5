import pytest

from agentcore.parsing import ParseError, extract_program, format_answer, parse_react_step
from agentcore.tools import tool


@tool
def search(entity: str) -> str:
    """Search."""
    return entity


@tool
def send(to: str, subject: str) -> str:
    """Send a message."""
    return to


TOOLS = {"search": search.spec, "send": send.spec}


def test_well_formed_step():
    step = parse_react_step(" I should search.\nAction 1: search[Arthur's Magazine]", TOOLS)
    assert step.thought == "I should search."
    assert step.action.tool == "search"
    assert step.action.arguments == {"entity": "Arthur's Magazine"}
    assert step.error is None


def test_action_is_cut_at_its_closing_bracket():
    text = " Done.\nAction 3: Finish[Arthur's Magazine]Question: Which is older, X or Y?"
    step = parse_react_step(text, TOOLS)
    assert step.action.tool == "finish"
    assert step.action.arguments == {"answer": "Arthur's Magazine"}
    assert step.consumed.endswith("Finish[Arthur's Magazine]")


def test_nested_brackets_and_case_insensitive_names():
    step = parse_react_step(" x\nAction: SEARCH[List of [disputed] islands]\n", TOOLS)
    assert step.action.tool == "search"
    assert step.action.arguments["entity"] == "List of [disputed] islands"


@pytest.mark.parametrize(
    "line",
    [
        "Action 2: search(Paris)",
        "Action 2: `search[Paris]`",
        "action 2 : search [Paris]",
        "Action 2: search: Paris",
        'Action 2: search["Paris"]',
        'Action 2: search[{"entity": "Paris"}]',
        "Action 2: search[Paris",
    ],
)
def test_tolerated_variants(line):
    step = parse_react_step(" think\n" + line, TOOLS)
    assert step.error is None, step.error
    assert step.action.arguments == {"entity": "Paris"}


def test_multi_argument_tool_takes_json_with_brackets_in_strings():
    text = ' ok\nAction 1: send[{"to": "a@b.c", "subject": "label [PDF] ]"}] trailing'
    step = parse_react_step(text, TOOLS)
    assert step.action.arguments == {"to": "a@b.c", "subject": "label [PDF] ]"}
    brace = parse_react_step(' ok\nAction 1: send{"to": "x@y.z", "subject": "s"}', TOOLS)
    assert brace.action.arguments == {"to": "x@y.z", "subject": "s"}


def test_multi_argument_tool_with_bad_json_explains():
    step = parse_react_step(" ok\nAction 1: send[to=a@b.c]", TOOLS)
    assert step.action is None
    assert (
        "must be a JSON object" in step.error and 'send[{"to": ..., "subject": ...}]' in step.error
    )


def test_unknown_tool_lists_valid_actions():
    step = parse_react_step(" hmm\nAction 1: google[Paris]", TOOLS)
    assert step.action is None
    assert "Unknown action 'google'" in step.error
    assert "search[entity]" in step.error and "finish[answer]" in step.error


def test_missing_action_line_explains_format():
    step = parse_react_step(" I am thinking about the magazines and their dates", TOOLS)
    assert step.action is None
    assert step.thought.startswith("I am thinking")
    assert "Action: tool[input]" in step.error


def test_bare_action_line_without_label():
    step = parse_react_step(" Let me look.\nsearch[First for Women]", TOOLS)
    assert step.action.arguments == {"entity": "First for Women"}
    assert step.thought == "Let me look."


def test_empty_completion():
    assert parse_react_step("", TOOLS).error is not None


def test_extract_program_from_continuation_and_fences():
    body = "    a = 200 - 93\n    return a\n\nQ: next problem"
    program = extract_program(body, prefix="def solution():\n")
    assert program == "def solution():\n    a = 200 - 93\n    return a\n"
    fenced = "Here:\n```python\nimport math\ndef solution():\n    return math.sqrt(16)\n```\nDone"
    assert extract_program(fenced) == "import math\ndef solution():\n    return math.sqrt(16)\n"
    with pytest.raises(ParseError, match="def solution"):
        extract_program("The answer is 5.")


@pytest.mark.parametrize(
    ("value", "text"),
    [(74.0, "74"), (2.5, "2.5"), (7, "7"), ([1, 2.0], "1, 2"), ("x", "x"), (None, "None")],
)
def test_format_answer(value, text):
    assert format_answer(value) == text
