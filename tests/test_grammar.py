"""The ReAct step grammar, checked without a model by :mod:`agentcore.gbnf`.

What the grammar allows is what a constrained model can write; so every accepted text must
also be a step the parser reads as the same action, and malformed steps must be refused.
The llama-cpp plugin's suite checks the same grammar on the real model.
"""

from __future__ import annotations

from typing import Literal

import pytest

from agentcore.gbnf import GrammarSyntaxError, accepts, parse_gbnf
from agentcore.grammar import react_step_grammar
from agentcore.parsing import StepLabels, parse_react_step
from agentcore.tools import tool


@tool
def search(entity: str) -> str:
    """Search."""
    return entity


@tool
def book(day: str, seats: int, cabin: Literal["economy", "business"], window: bool = False) -> str:
    """Book seats."""
    return day


@tool
def average(values: list[float]) -> str:
    """Average of numbers."""
    return str(sum(values) / len(values))


SPECS = {t.name: t.spec for t in (search, book, average)}
GRAMMAR = react_step_grammar(list(SPECS.values()))

WELL_FORMED = [
    (" I should look it up.\nAction 1: search[Arthur's Magazine]", "search",
     {"entity": "Arthur's Magazine"}),
    (" Brackets nest.\nAction 3: search[x[0] and y[1][2]]\n", "search",
     {"entity": "x[0] and y[1][2]"}),
    (' Book it.\nAction 2: book[{"day": "Mon", "seats": 2, "cabin": "economy"}]', "book",
     {"day": "Mon", "seats": 2, "cabin": "economy"}),
    (' With the option.\nAction 2: book[{"day":"Tue","seats":-1,"cabin":"business","window":true}]',
     "book", {"day": "Tue", "seats": -1, "cabin": "business", "window": True}),
    (' Numbers.\nAction 1: average[{"values": [1, 2.5, 3]}]', "average", {"values": [1, 2.5, 3]}),
    (" Done.\nAction 12: finish[The answer is 1844.]", "finish", {"answer": "The answer is 1844."}),
]  # fmt: skip

BOOK = " Book.\nAction 1: book["
MALFORMED = {
    "no action line": " I will think some more.",
    "unknown tool": " Look.\nAction 1: google[Arthur's Magazine]",
    "no step number": " Look.\nAction: search[Arthur's Magazine]",
    "unbalanced bracket": " Look.\nAction 1: search[x[0]",
    "newline in argument": " Look.\nAction 1: search[first\nsecond]",
    "empty argument": " Look.\nAction 1: search[]",
    "text after the action": " Look.\nAction 1: search[a]\nObservation 1: invented",
    "missing required key": BOOK + '{"day": "Mon", "seats": 2}]',
    "wrong value type": BOOK + '{"day": "Mon", "seats": "two", "cabin": "economy"}]',
    "value outside the enum": BOOK + '{"day": "Mon", "seats": 2, "cabin": "first"}]',
    "unknown key": BOOK + '{"day": "Mon", "seats": 2, "cabin": "economy", "x": 1}]',
    "free text for an object tool": " Book.\nAction 1: book[Monday, two seats]",
    "thought over 200 characters": " " + "x" * 200 + "\nAction 1: finish[a]",
    "two-line thought": " One.\nTwo.\nAction 1: finish[a]",
}


def test_the_grammar_is_well_formed_gbnf() -> None:
    rules = parse_gbnf(GRAMMAR)
    assert {"root", "thought", "call", "search-call", "book-call", "book-args"} <= set(rules)


@pytest.mark.parametrize(("text", "tool_name", "arguments"), WELL_FORMED)
def test_well_formed_steps_are_accepted_and_parse_to_the_same_action(
    text: str, tool_name: str, arguments: dict
) -> None:
    assert accepts(GRAMMAR, text)
    parsed = parse_react_step(text, SPECS)
    assert parsed.error is None
    assert parsed.action.tool == tool_name
    assert parsed.action.arguments == arguments


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_steps_are_refused(text: str) -> None:
    assert not accepts(GRAMMAR, text)


def test_unnumbered_labels_as_chat_writes_them() -> None:
    grammar = react_step_grammar([search.spec], labels=StepLabels(numbered=False))
    assert accepts(grammar, " Ask.\nAction: search[order A-1001]")
    assert not accepts(grammar, " Ask.\nAction 1: search[order A-1001]")


def test_a_prompts_own_action_label_is_the_only_one_allowed() -> None:
    labels = StepLabels(thought="Reasoning", action="Act")
    grammar = react_step_grammar([search.spec], labels=labels)
    text = " Look.\nAct 1: search[Arthur's Magazine]"
    assert accepts(grammar, text)
    assert not accepts(grammar, " Look.\nAction 1: search[Arthur's Magazine]")
    assert parse_react_step(text, {"search": search.spec}, labels).action.tool == "search"


def test_tool_names_that_are_not_rule_names_still_make_a_valid_grammar() -> None:
    @tool(name="Get_Order_2")
    def get_order(order_id: str) -> str:
        """An order."""
        return order_id

    grammar = react_step_grammar([get_order.spec])
    assert "get-order-2-call ::=" in grammar  # GBNF rule names allow no underscore
    assert accepts(grammar, " Look.\nAction 1: Get_Order_2[A-1001]")
    assert not accepts(grammar, " Look.\nAction 1: get_order_2[A-1001]")


@pytest.mark.parametrize(
    ("grammar", "text", "expected"),
    [
        ('root ::= "a"{2,3}', "aa", True),
        ('root ::= "a"{2,3}', "aaaa", False),
        ('root ::= [a-c]+ "!"?', "abcab!", True),
        ("root ::= [^a-c]", "b", False),
        ('root ::= ("x" | "y" "z")*', "xyzx", True),
        ('root ::= ("x" | "y" "z")*', "xy", False),
        ('root ::= "\\n" "\\""', '\n"', True),
    ],
)
def test_the_recogniser_itself(grammar: str, text: str, expected: bool) -> None:
    assert accepts(grammar, text) is expected


def test_the_recogniser_refuses_grammar_it_cannot_read() -> None:
    with pytest.raises(GrammarSyntaxError, match="not defined"):
        parse_gbnf('root ::= missing "x"')
    with pytest.raises(GrammarSyntaxError, match="no root"):
        parse_gbnf('other ::= "x"')


# -- excluding actions already taken ---------------------------------------------------------

EXCLUDING = react_step_grammar(
    list(SPECS.values()), exclude={"search": ["Tinted Windows", "Red Herring", "Red Hat"]}
)


@pytest.mark.parametrize(
    "argument",
    [
        "Tinted Windows",  # the repeat itself
        "tinted WINDOWS",  # in another case
        "Tinted Windows ",  # with a space the parser strips
        " Tinted Windows",
        "Tinted Windows (band)",  # padded out: small models do this instead
        "Red Herrings",
        "Red Hatter",
    ],
)
def test_exclusion_refuses_a_taken_argument_and_its_extensions(argument):
    assert not accepts(EXCLUDING, f"t\nAction 2: search[{argument}]")


@pytest.mark.parametrize(
    "argument", ["Tinted Window", "Red", "Red H", "Red  Herring", "Redx", "Blue", "x[1]", "Ré"]
)
def test_exclusion_allows_everything_else(argument):
    text = f"t\nAction 2: search[{argument}]"
    assert accepts(EXCLUDING, text)
    parsed = parse_react_step(text.removeprefix("t"), SPECS, StepLabels())
    assert parsed.action is not None and parsed.action.arguments == {"entity": argument}


def test_exclusion_leaves_other_tools_and_finish_alone():
    assert accepts(EXCLUDING, "t\nAction 2: finish[Red Herring]")
    assert accepts(EXCLUDING, 't\nAction 2: book[{"day": "Red Herring", "seats": 1, '
                   '"cabin": "economy"}]')  # fmt: skip


def test_exclusion_skips_arguments_it_cannot_express():
    grammar = react_step_grammar(list(SPECS.values()), exclude={"search": ["a[0]", " ", ""]})
    assert grammar == GRAMMAR  # nothing excludable: the plain grammar
    parse_gbnf(grammar)


def test_exclusion_escapes_what_gbnf_gives_meaning_to():
    taken = ['say "hi"', "a-b", "^x", "back\\slash"]
    grammar = react_step_grammar(list(SPECS.values()), exclude={"search": taken})
    for argument in taken:
        assert not accepts(grammar, f"t\nAction 2: search[{argument}]")
    assert accepts(grammar, 't\nAction 2: search[say "ho"]')
    assert accepts(grammar, "t\nAction 2: search[a+b]")
