"""Replies the reply checks find wrong go back to the model (agentcore.reply_checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore.chat import ChatAgent
from agentcore.errors import ConfigError
from agentcore.models import RunStatus
from agentcore.react import ReActAgent
from agentcore.reply_checks import (
    ReplyDraft,
    copied_from_prompt,
    grounded_identifiers,
    identifiers,
)
from agentcore.tools import ToolContext, tool

PROMPT = '''
description = "a test prompt whose worked example has an order, a code and an email"
instructions = """
Answer with the tools.
$tools
- finish[answer]: the answer.
"""
exemplars = ["""Task: Where is order 2071?
Thought 1: I look it up.
Action 1: track[2071]
Observation 1: Order 2071 (pat@example.com) is in transit, tracking RT100200300400SB.
Thought 2: I know.
Action 2: finish[Order 2071 is in transit, tracking RT100200300400SB.]
"""]
question = "Task: $question\\n"
[extras]
step_prefix = "Thought $step:"
action_prefix = "Action $step:"
observation = "\\nObservation $step: $observation\\n"
final_nudge = "Thought $step: I answer now.\\nAction $step: finish["
repeated_action = "You already did $action at step $earlier."
'''


@tool
def track(order: str) -> str:
    """Where an order is.

    Args:
        order: The order number.
    """
    return f"Order {order} left the warehouse on 2026-11-30; tracking RT555000111222SB."


@pytest.fixture
def prompt(tmp_path: Path) -> str:
    path = tmp_path / "tracking.toml"
    path.write_text(PROMPT, encoding="utf-8")
    return str(path)


def agent(scripted, pm, prompt, *completions, **options) -> tuple[ReActAgent, object]:
    backend = scripted(*completions)
    return ReActAgent(backend, tools=[track], prompt=prompt, plugin_manager=pm, **options), backend


def test_identifiers_are_codes_numbers_and_emails() -> None:
    text = "Order 1001 (ann@example.com): JEANS-32-BLUE, label LBL-3F9A2C41D0, 2 items, in 30 days."
    assert identifiers(text) == ["1001", "ann@example.com", "JEANS-32-BLUE", "LBL-3F9A2C41D0"]
    assert identifiers("Arthur's Magazine, first-rate, 1844.") == ["1844"]


def test_an_answer_copied_from_the_example_goes_back_to_the_model(scripted, pm, prompt) -> None:
    react, backend = agent(
        scripted,
        pm,
        prompt,
        " I look it up.\nAction 1: track[1001]",
        " I know.\nAction 2: finish[Order 1001 is in transit, tracking RT100200300400SB.]",
        " Use the observation.\nAction 3: finish[Order 1001 left on 2026-11-30, tracking "
        "RT555000111222SB.]",
    )
    result = react.run("Where is order 1001?")
    assert result.status is RunStatus.FINISHED
    assert result.answer == "Order 1001 left on 2026-11-30, tracking RT555000111222SB."
    rejected = result.steps[1]
    assert rejected.reply_rejected == "Order 1001 is in transit, tracking RT100200300400SB."
    assert rejected.observation.startswith(
        "Not sent: your answer contains RT100200300400SB, which come from the examples"
    )
    # the model saw why, as the engine's own words, before writing the answer again
    assert f"Observation 2: {rejected.observation}" in backend.prompts[2]
    assert result.warnings == []


def test_an_identifier_this_run_was_told_is_not_a_copy(scripted, pm, prompt) -> None:
    react, _ = agent(
        scripted,
        pm,
        prompt,
        " I look it up.\nAction 1: track[2071]",
        " I know.\nAction 2: finish[Order 2071 left on 2026-11-30.]",
    )
    result = react.run("Where is order 2071?")  # the example's number, given by the user
    assert result.answer == "Order 2071 left on 2026-11-30."
    assert [s.reply_rejected for s in result.steps] == [None, None]


def test_after_the_last_rejection_the_reply_goes_out_with_a_warning(scripted, pm, prompt) -> None:
    copied = " I know.\nAction {n}: finish[Tracking RT100200300400SB.]"
    react, _ = agent(
        scripted,
        pm,
        prompt,
        *(copied.format(n=n) for n in (1, 2)),
        max_reply_rejections=1,
    )
    result = react.run("Where is order 1001?")
    assert result.status is RunStatus.FINISHED
    assert result.answer == "Tracking RT100200300400SB."
    assert [s.reply_rejected is not None for s in result.steps] == [True, False]
    assert result.warnings == [
        "the answer went out after 1 rejections, still failing a check: "
        + result.steps[0].observation
    ]


def test_checks_are_the_agents_choice(scripted, pm, prompt) -> None:
    copied = " x\nAction 1: finish[RT100200300400SB]"
    react, _ = agent(scripted, pm, prompt, copied, reply_checks=())
    assert react.run("Where is order 1001?").answer == "RT100200300400SB"

    def polite(draft: ReplyDraft) -> str | None:
        return None if "please" in draft.text else "Say please."

    react, _ = agent(
        scripted,
        pm,
        prompt,
        " x\nAction 1: finish[Wait.]",
        " x\nAction 2: finish[Wait, please.]",
        reply_checks=[polite],
    )
    result = react.run("Where is order 1001?")
    assert result.answer == "Wait, please."
    assert result.steps[0].observation == "Say please."
    with pytest.raises(ConfigError, match="max_reply_rejections must be 0 or more"):
        agent(scripted, pm, prompt, max_reply_rejections=-1)


def test_a_chat_reply_is_checked_against_the_whole_conversation(scripted, pm) -> None:
    """Earlier turns' messages and observations count as seen; the model's own words do not."""
    backend = scripted(
        " I look it up.\nAction: track[1001]",
        " I tell them.\nAction: respond[It left on 2026-11-30.]",
        " I repeat the code.\nAction: respond[Your tracking number is RT555000111222SB.]",
        " I invent one.\nAction: respond[Your new code is ZX99887766.]",
        " I stick to what I know.\nAction: respond[I have no other code for you.]",
    )
    bot = ChatAgent(
        backend,
        tools=[track],
        plugin_manager=pm,
        reply_checks=[copied_from_prompt, grounded_identifiers],
    )
    assert bot.chat("c", "Where is order 1001?").answer == "It left on 2026-11-30."
    second = bot.chat("c", "The tracking number?")
    assert second.answer == "Your tracking number is RT555000111222SB."
    third = bot.chat("c", "Any other code?")
    assert third.answer == "I have no other code for you."
    assert third.steps[0].observation.startswith(
        "Not sent: your reply contains ZX99887766, which no observation and no message"
    )


def test_a_draft_knows_what_to_call_itself() -> None:
    context = ToolContext()
    assert ReplyDraft("x", "finish", context, "", "").noun == "answer"
    assert ReplyDraft("x", "respond", context, "", "").noun == "reply"
