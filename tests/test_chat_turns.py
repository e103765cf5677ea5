"""Every loop describes its prompts as chat turns, for backends that talk to a chat API.

The scripted backend (a test tool) takes the turns when it claims ``accepts_turns`` and
records them; what is checked is that each loop's turns say the same as its text prompt:
the head as the system message, the task as the user's, each step the model wrote as the
assistant's and each observation as the user's, and the lead the reply starts with.
"""

from __future__ import annotations

import pytest

from agentcore.chat import ChatAgent
from agentcore.fewshot import PromptAgent
from agentcore.models import Document, RunStatus
from agentcore.rag import RAGAgent
from agentcore.react import ReActAgent
from agentcore.retrievers import Retriever
from agentcore.turns import reply_after_lead, split_lead

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


def roles(turns) -> list[str]:
    return [m.role for m in turns.messages]


def test_react_steps_become_assistant_and_user_turns(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " I search.\nAction 1: search[Arthur's Magazine]",
        " Found it.\nAction 2: finish[Arthur's Magazine]",
        accepts_turns=True,
    )
    result = ReActAgent(backend, tools=encyclopedia_tools, plugin_manager=pm).run(QUESTION)
    assert result.status is RunStatus.FINISHED
    first, second = backend.turns
    assert roles(first) == ["system", "user"] and first.lead == "Thought 1:"
    assert "- search[entity]: Search a tiny encyclopedia." in first.messages[0].content
    assert first.messages[1].content == f"Question: {QUESTION}"
    assert roles(second) == ["system", "user", "assistant", "user"]
    assert second.messages[2].content == "Thought 1: I search.\nAction 1: search[Arthur's Magazine]"
    assert second.messages[3].content.startswith("Observation 1: Arthur's Magazine (1844")
    assert second.lead == "Thought 2:"
    # the text prompt is the same transcript
    assert backend.prompts[1].endswith(second.messages[3].content + "\nThought 2:")


def test_the_final_nudge_is_the_lead_when_the_budget_is_spent(scripted, encyclopedia_tools, pm):
    backend = scripted(" I search.\nAction 1: search[Arthur's Magazine]", "1844]",
                       accepts_turns=True)  # fmt: skip
    agent = ReActAgent(backend, tools=encyclopedia_tools, plugin_manager=pm, max_steps=1)
    agent.run(QUESTION)
    final = backend.turns[-1]
    assert final.lead.endswith("Action 2: finish[") and roles(final)[-2:] == ["assistant", "user"]


def test_a_text_backend_is_never_given_turns(scripted, encyclopedia_tools, pm):
    backend = scripted(" Done.\nAction 1: finish[x]")
    ReActAgent(backend, tools=encyclopedia_tools, plugin_manager=pm).run(QUESTION)
    assert backend.turns == [None]


def test_pal_retry_turns_carry_the_program_and_its_error(scripted, pm):
    from agentcore.pal import PALAgent

    broken = "    return 200 - 93 - 39 + returned\n"
    fixed = "    returned = 6\n    return 200 - 93 - 39 + returned\n"
    backend = scripted(broken, fixed, accepts_turns=True)
    executor = (
        pm.create("executor", "sandbox") if "sandbox" in pm.registry.names("executor") else None
    )
    if executor is None:
        from agentcore.plugins import get_plugin_manager

        executor = get_plugin_manager().create("executor", "sandbox")
    try:
        result = PALAgent(backend, executor=executor, plugin_manager=pm).run("Loaves left?")
    finally:
        executor.close()
    assert result.answer == "74"
    first, retry = backend.turns
    assert roles(first) == ["system", "user"] and first.lead == "def solution():\n"
    assert roles(retry) == ["system", "user", "assistant", "user"]
    assert retry.messages[2].content == "def solution():\n" + broken.rstrip()
    assert "NameError" in retry.messages[3].content and retry.lead == "def solution():\n"


class _Fixed(Retriever):
    name = "fixed"

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        return [Document(id="d1", text="Ingrid Solberg brought the case.", source="case.md")]


def test_rag_and_prompt_agents_ask_as_the_user_and_lead_with_the_answer_label(scripted, pm):
    rag_backend = scripted(" Ingrid Solberg [1].", accepts_turns=True)
    RAGAgent(rag_backend, retriever=_Fixed(), plugin_manager=pm).run("Who brought the case?")
    [turns] = rag_backend.turns
    assert roles(turns) == ["system", "user"] and turns.lead == "Answer:"
    assert "cite the passage" in turns.messages[0].content
    assert turns.messages[1].content.startswith("Passages:\n[1] (case.md) Ingrid Solberg")
    assert turns.messages[1].content.endswith("Question: Who brought the case?")

    prompt_backend = scripted(" It is negative.", accepts_turns=True)
    PromptAgent(prompt_backend, plugin_manager=pm).run("Nice, but pricey. Positive?")
    [turns] = prompt_backend.turns
    assert turns.messages[-1].content == "Request: Nice, but pricey. Positive?"
    assert turns.lead == "Answer:"


def test_chat_sends_the_head_as_system_and_the_conversation_as_the_user(scripted, pm):
    backend = scripted(" Greet.\nAction: respond[Hello!]", accepts_turns=True)
    ChatAgent(backend, tools=[], plugin_manager=pm).chat("s1", "Hi there")
    [turns] = backend.turns
    assert roles(turns) == ["system", "user"] and turns.lead == "Thought:"
    assert turns.messages[1].content.endswith("User: Hi there")


ACT = "Action 2: search[x]"
NUDGE = "Thought 3: last.\nAction 3: finish["
PROGRAM = "def solution():\n"


@pytest.mark.parametrize(
    ("reply", "lead", "continuation"),
    [
        ("Thought 2: I search.\n" + ACT, "Thought 2:", " I search.\n" + ACT),
        ("I search.\n" + ACT, "Thought 2:", "I search.\n" + ACT),
        ("Thought 3: done.\nAction 3: finish[Paris]", NUDGE, "Paris]"),
        ("finish[Paris]", NUDGE, "Paris]"),
        ("```python\ndef solution():\n    return 74\n```", PROGRAM, "\n    return 74\n"),
        ("Answer: Ingrid [1].", "Answer:", " Ingrid [1]."),
        ("Ingrid [1].", "Answer:", "Ingrid [1]."),
    ],
)  # fmt: skip
def test_a_chat_reply_is_read_as_the_continuation_of_the_lead(reply, lead, continuation):
    assert reply_after_lead(reply, lead) == continuation


def test_split_lead():
    assert split_lead("Question: q\nAnswer:") == ("Question: q\n", "Answer:")
    assert split_lead("Task: t\n") == ("Task: t\n", "")
