"""Native tool calls: the Hermes format's reading, rendering and grammar, and the
``tool-calling`` agent's loop, driven by the scripted backend (a test tool, not a model).
The real model and servers are in the llama-cpp and openai plugins' tests."""

from __future__ import annotations

import json

import pytest

from agentcore.errors import ConfigError
from agentcore.gbnf import accepts
from agentcore.models import Message, RunStatus, StepKind, ToolCall, ToolRequest, ToolSpec
from agentcore.specs import AgentSpec
from agentcore.tool_calling import FINISH_SPEC, ToolCallingAgent
from agentcore.tool_calls import (
    parse_tool_calls,
    render_chatml,
    reply_text,
    tool_call,
    tool_call_grammar,
)

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


def call(name: str, thought: str = "", **arguments: object) -> str:
    """A reply as a Hermes-trained model writes it: a thought, then the call in its tags."""
    body = json.dumps({"name": name, "arguments": arguments})
    return (
        f"{thought}\n<tool_call>\n{body}\n</tool_call>"
        if thought
        else f"<tool_call>\n{body}\n</tool_call>"
    )


def make_agent(backend, tools, pm, **kwargs) -> ToolCallingAgent:
    return ToolCallingAgent(backend, tools=tools, plugin_manager=pm, **kwargs)


# -- the format ------------------------------------------------------------------------------


def test_a_reply_is_read_as_its_words_and_its_calls_in_order() -> None:
    text = (
        'I look it up.\n<tool_call>\n{"name": "search", "arguments": {"entity": "X"}}\n'
        '</tool_call>\n<tool_call>\n{"name": "lookup", "arguments": {"keyword": "y"}}\n</tool_call>'
    )
    content, calls = parse_tool_calls(text)
    assert content == "I look it up."
    assert [(c.name, c.arguments, c.id) for c in calls] == [
        ("search", {"entity": "X"}, "call_1"),
        ("lookup", {"keyword": "y"}, "call_2"),
    ]


def test_a_call_cut_at_its_closing_tag_is_still_read() -> None:
    _, calls = parse_tool_calls('<tool_call>\n{"name": "search", "arguments": {"entity": "X"}}\n')
    assert calls[0].arguments == {"entity": "X"} and calls[0].error is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            '<tool_call>\n{"name": "search", "arguments": {"entity": "X"}\n</tool_call>',
            "not valid JSON",
        ),
        ('<tool_call>\n["search"]\n</tool_call>', 'a call is a JSON object {"name"'),
        (
            '<tool_call>\n{"name": "search", "arguments": "[1]"}\n</tool_call>',
            "must be a JSON object",
        ),
    ],
)
def test_a_broken_call_is_kept_with_what_was_wrong(text: str, error: str) -> None:
    _, calls = parse_tool_calls(text)
    assert len(calls) == 1 and calls[0].arguments is None
    assert error in (calls[0].error or "")


def test_arguments_sent_as_json_text_are_read_as_an_object() -> None:
    assert tool_call("search", '{"entity": "X"}').arguments == {"entity": "X"}
    assert "not valid JSON" in (tool_call("search", '{"entity": ').error or "")


def test_chatml_rendering_lists_the_tools_and_puts_results_in_a_user_turn() -> None:
    spec = ToolSpec(
        name="search",
        description="Search.",
        parameters={"type": "object", "properties": {"entity": {"type": "string"}}},
    )
    made = ToolCall(id="call_1", name="search", arguments={"entity": "X"})
    request = ToolRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content="Q?"),
            Message(role="assistant", content="I search.", tool_calls=[made]),
            Message(role="tool", content="X is a thing.", tool_call_id="call_1", name="search"),
        ],
        tools=[spec],
    )
    text = render_chatml(request)
    assert text.startswith("<|im_start|>system\nBe brief.\n\n# Tools")
    assert '"name": "search"' in text.split("\n</tools>")[0]
    assert (
        "<|im_start|>assistant\nI search.\n<tool_call>\n"
        '{"name": "search", "arguments": {"entity": "X"}}\n</tool_call><|im_end|>' in text
    )
    assert "<|im_start|>user\n<tool_response>\nX is a thing.\n</tool_response><|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_the_call_grammar_takes_well_formed_calls_of_the_tools_only() -> None:
    spec = ToolSpec(
        name="order_lookup", description="Find an order.",
        parameters={
            "type": "object", "required": ["order_id"],
            "properties": {"order_id": {"type": "integer"}, "email": {"type": "string"}},
        },
    )  # fmt: skip
    grammar = tool_call_grammar([spec, FINISH_SPEC])
    good = (
        '<tool_call>\n{"name": "order_lookup", "arguments": {"order_id": 42, "email": "a@b.c"}}'
        "\n</tool_call>"
    )
    assert accepts(grammar, good)
    assert accepts(grammar, "I check the order.\n" + good)
    assert accepts(
        grammar, '<tool_call>\n{"name": "finish", "arguments": {"answer": "yes"}}\n</tool_call>'
    )
    assert not accepts(grammar, good.replace("42", '"42"'))  # the schema says integer
    assert not accepts(grammar, good.replace("order_lookup", "drop_tables"))
    assert not accepts(grammar, "I answer in words only.")
    assert not accepts(grammar, '<tool_call>\n{"name": "finish", "arguments": {}}\n</tool_call>')


def test_a_reply_written_out_reads_back_as_the_same_calls() -> None:
    calls = [ToolCall(id="call_1", name="search", arguments={"entity": "Ä ö"})]
    content, again = parse_tool_calls(reply_text("Thinking.", calls))
    assert content == "Thinking." and again[0].arguments == {"entity": "Ä ö"}


# -- the agent -------------------------------------------------------------------------------


def test_a_run_calls_tools_natively_until_finish(scripted, encyclopedia_tools, pm) -> None:
    backend = scripted(
        call("search", "I need both dates.", entity="Arthur's Magazine"),
        call("search", entity="First for Women"),
        call("finish", "1844 is before 1989.", answer="Arthur's Magazine"),
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.status is RunStatus.FINISHED
    assert result.answer == "Arthur's Magazine"
    assert [s.action.tool for s in result.steps] == ["search", "search", "finish"]
    assert result.steps[0].thought == "I need both dates."
    assert result.steps[0].observation.startswith("Arthur's Magazine (1844")
    first, second = backend.prompts[0], backend.prompts[1]
    assert '"name": "finish"' in first.split("\n</tools>")[0]  # finish is offered as a tool
    assert first.endswith(f"Question: {QUESTION}<|im_end|>\n<|im_start|>assistant\n")
    assert second.startswith(first.removesuffix("<|im_start|>assistant\n"))
    assert "<tool_response>\nArthur's Magazine (1844–1846)" in second
    assert all("</tool_call>" in c.stop for c in backend.configs)


def test_the_worked_examples_become_past_conversations(scripted, encyclopedia_tools, pm) -> None:
    agent = make_agent(scripted(), encyclopedia_tools, pm)
    messages = agent.exemplar_messages(agent.template.exemplars[1])
    assert [m.role for m in messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert messages[0].content.startswith("Question: In which country")
    assert messages[1].tool_calls[0].name == "search"
    assert messages[1].tool_calls[0].arguments == {"entity": "Amélie"}
    assert messages[2].tool_call_id == messages[1].tool_calls[0].id
    assert messages[-1].tool_calls[0].arguments == {"answer": "France"}


def test_a_reply_without_a_call_is_asked_again_with_the_call_required(
    scripted, encyclopedia_tools, pm
) -> None:
    backend = scripted(
        "Arthur's Magazine, I think.",
        call("finish", answer="Arthur's Magazine"),
        supports_grammar=True,
    )
    retries: list[tuple[int, str]] = []
    result = make_agent(backend, encyclopedia_tools, pm).run(
        QUESTION, on_retry=lambda i, why: retries.append((i, why))
    )
    assert result.answer == "Arthur's Magazine"
    assert backend.grammars[0] is None and "<tool_call>" in backend.grammars[1]
    assert result.steps[0].repaired_from == "Arthur's Magazine, I think."
    assert retries and "called no tool" in retries[0][1]
    assert result.usage.completion_tokens == sum(s.usage.completion_tokens for s in result.steps)


def test_a_call_always_required_uses_the_grammar_from_the_first_call(
    scripted, encyclopedia_tools, pm
) -> None:
    backend = scripted(call("finish", answer="x"), supports_grammar=True)
    make_agent(backend, encyclopedia_tools, pm, constrain=True).run(QUESTION)
    assert len(backend.grammars) == 1 and '"\\"search\\""' in backend.grammars[0]


@pytest.mark.parametrize(
    ("reply", "told"),
    [
        (call("drop_tables", entity="x"), "There is no tool 'drop_tables'"),
        ('<tool_call>\n{"name": "search", "arguments": {"entity": \n</tool_call>', "malformed"),
        (call("search", title="x"), "entity"),  # the schema's validation, as for any tool
    ],
)
def test_a_bad_call_becomes_what_the_model_is_told_next(
    scripted, encyclopedia_tools, pm, reply: str, told: str
) -> None:
    backend = scripted(reply, call("finish", answer="x"))
    result = make_agent(backend, encyclopedia_tools, pm, constrain=False).run(QUESTION)
    assert result.status is RunStatus.FINISHED
    assert told in result.steps[0].observation
    assert told in backend.prompts[1].rsplit("<|im_start|>user", 1)[1]


def test_a_repeated_call_gets_the_note_not_a_second_run(scripted, encyclopedia_tools, pm) -> None:
    backend = scripted(
        call("search", entity="First for Women"),
        call("search", entity="First for Women"),
        call("finish", answer="Arthur's Magazine"),
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.steps[1].tool_result is None
    assert result.steps[1].observation.startswith("You already did search(")


def test_when_the_steps_run_out_finish_is_the_only_tool_left(
    scripted, encyclopedia_tools, pm
) -> None:
    backend = scripted(
        call("search", entity="Arthur's Magazine"),
        call("finish", answer="Arthur's Magazine"),
        supports_grammar=True,
    )
    result = make_agent(backend, encyclopedia_tools, pm, max_steps=1).run(QUESTION)
    assert result.status is RunStatus.MAX_STEPS
    assert result.answer == "Arthur's Magazine"
    assert result.steps[-1].kind is StepKind.FINAL
    final = backend.prompts[-1]
    assert "You have no steps left" in final
    assert '"name": "search"' not in final.split("\n</tools>")[0]
    assert '"\\"search\\""' not in (backend.grammars[-1] or "")


def test_a_paused_call_resumes_with_the_same_prompts(scripted, encyclopedia_tools, pm) -> None:
    from agentcore.checkpoints import MemoryCheckpoints

    replies = [call("search", entity="First for Women"), call("finish", answer="First for Women")]
    store = MemoryCheckpoints()
    first = scripted(*replies)
    agent = make_agent(
        first, encyclopedia_tools, pm, checkpoints=store, approval={"tools": ["search"]}
    )
    paused = agent.run(QUESTION)
    assert paused.status is RunStatus.PAUSED and paused.pending.tool == "search"
    again = make_agent(
        scripted(*replies[1:]),
        encyclopedia_tools,
        pm,
        checkpoints=store,
        approval={"tools": ["search"]},
    )
    done = again.approve(paused.run_id, by="tester")
    assert done.status is RunStatus.FINISHED and done.answer == "First for Women"
    assert (
        again.backend.prompts[0].count("<tool_response>")
        == first.prompts[0].count("<tool_response>") + 1
    )


def test_a_backend_without_native_calls_is_refused_by_name(
    scripted, encyclopedia_tools, pm
) -> None:
    with pytest.raises(ConfigError, match="no native tool calling; use the react agent"):
        make_agent(scripted(supports_tools=False), encyclopedia_tools, pm)


def test_the_agent_is_a_spec_kind(scripted, pm) -> None:
    spec = AgentSpec(kind="tool-calling", backend="scripted", max_steps=3, tools=["search"])
    assert spec.kind == "tool-calling"
    with pytest.raises(ValueError, match="does not take executor"):
        AgentSpec(kind="tool-calling", executor="sandbox")


def test_a_call_shown_without_its_tags_is_still_read() -> None:
    """llama.cpp's text drops special tokens, and Qwen's tags are special tokens."""
    content, calls = parse_tool_calls(
        'I search it.\n\n{"name": "search", "arguments": {"entity": "X"}}\n'
    )
    assert content == "I search it."
    assert [(c.name, c.arguments) for c in calls] == [("search", {"entity": "X"})]
    assert (
        parse_tool_calls('The answer is {"name": "x"} maybe.')[1] == []
    )  # not on a line of its own


def test_the_grammar_can_rule_out_arguments_already_used() -> None:
    spec = ToolSpec(
        name="search", description="Search.", string_argument="entity",
        parameters={
            "type": "object", "properties": {"entity": {"type": "string"}}, "required": ["entity"]
        },
    )  # fmt: skip
    grammar = tool_call_grammar([spec, FINISH_SPEC], exclude={"search": ["First for Women"]})

    def searching(entity: str) -> str:
        return '{"name": "search", "arguments": {"entity": "' + entity + '"}}'

    assert accepts(grammar, searching("Arthur's Magazine"))
    assert not accepts(grammar, searching("First for Women"))
    assert not accepts(grammar, searching("first for women (magazine)"))
    assert accepts(grammar, searching("First"))


def test_a_repeated_call_is_asked_again_excluding_it(scripted, encyclopedia_tools, pm) -> None:
    backend = scripted(
        call("search", entity="First for Women"),
        call("search", entity="First for Women"),
        call("search", entity="Arthur's Magazine"),
        call("finish", answer="Arthur's Magazine"),
        supports_grammar=True,
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert [s.action.arguments for s in result.steps[:2]] == [
        {"entity": "First for Women"}, {"entity": "Arthur's Magazine"}
    ]  # fmt: skip
    assert result.steps[1].repeated_from is not None
    excluding = backend.grammars[2]
    assert not accepts(excluding, '{"name": "search", "arguments": {"entity": "First for Women"}}')
    assert accepts(excluding, '{"name": "search", "arguments": {"entity": "Arthur"}}')


def test_a_reply_ends_with_its_first_call_written_on_a_line(
    scripted, encyclopedia_tools, pm
) -> None:
    """Small models write call after call; the first line's end stops the reply, and the
    braces the stop took are put back."""
    backend = scripted(
        '{"name": "search", "arguments": {"entity": "First for Women"}}\n'
        '{"name": "finish", "arguments": {"answer": "invented"}}',
        call("finish", answer="Arthur's Magazine"),
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert (
        result.steps[0].completion
        == '{"name": "search", "arguments": {"entity": "First for Women"}}'
    )
    assert result.steps[0].action.arguments == {"entity": "First for Women"}
    assert result.answer == "Arthur's Magazine"
