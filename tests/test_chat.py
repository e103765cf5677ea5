"""Conversations: respond/wait, tool steps kept between turns, memory strategies, persistence."""

from __future__ import annotations

from agentcore.chat import ChatAgent
from agentcore.memory import (
    Conversation,
    Entry,
    FullBuffer,
    JsonDirectoryStore,
    TokenWindow,
)
from agentcore.models import RunStatus
from agentcore.tools import tool


@tool
def order_status(order_id: str) -> str:
    """Status of an order."""
    return f"order {order_id}: shipped on 2026-11-02, 1 item (jeans, SKU J-32)"


def words(text: str) -> int:
    return len(text.split())


def test_reply_waits_for_the_user_and_tools_are_remembered(scripted, pm):
    backend = scripted(
        " I need the order number.\nAction: respond[What is your order number?]",
        " Look it up.\nAction: order_status[A-1001]",
        " Tell them.\nAction: respond[Order A-1001 shipped on 2026-11-02.]",
        " Already known.\nAction: respond[It contains the jeans, SKU J-32.]",
    )
    agent = ChatAgent(backend, tools=[order_status], plugin_manager=pm)
    first = agent.chat("s1", "Where is my order?")
    assert first.status is RunStatus.FINISHED
    assert first.answer == "What is your order number?"
    second = agent.chat("s1", "A-1001")
    assert second.answer == "Order A-1001 shipped on 2026-11-02."
    assert [s.action.tool for s in second.steps] == ["order_status", "respond"]
    third = agent.chat("s1", "What was in it?")
    assert third.answer.startswith("It contains")
    last_prompt = backend.prompts[-1]
    # the earlier tool result is still in the prompt of a later turn
    assert "Observation: order A-1001: shipped on 2026-11-02" in last_prompt
    assert last_prompt.index("User: Where is my order?") < last_prompt.index("User: A-1001")
    assert last_prompt.endswith("User: What was in it?\nThought:")
    # with the full buffer each prompt of a session extends the previous one
    assert backend.prompts[2].startswith(backend.prompts[1])
    sessions = agent.history("s1")
    assert [e.kind for e in sessions.entries] == [
        "user",
        "step",
        "user",
        "step",
        "step",
        "user",
        "step",
    ]


def test_sessions_are_separate(scripted, pm):
    backend = scripted(
        " a\nAction: respond[Hello Ann]",
        " b\nAction: respond[Hello Bob]",
    )
    agent = ChatAgent(backend, plugin_manager=pm)
    agent.chat("ann", "I am Ann")
    agent.chat("bob", "I am Bob")
    assert "I am Ann" not in backend.prompts[1]


def test_budget_spent_asks_for_a_reply(scripted, pm):
    backend = scripted(
        " a\nAction: order_status[A-1]",
        " b\nAction: order_status[A-2]",
        "Sorry, I could not find it.]",
    )
    agent = ChatAgent(backend, tools=[order_status], plugin_manager=pm, max_steps=2)
    result = agent.chat("s", "Find my order")
    assert result.status is RunStatus.MAX_STEPS
    assert result.answer == "Sorry, I could not find it."
    assert backend.prompts[-1].endswith("Action: respond[")


def make_conversation(turns: int) -> Conversation:
    conversation = Conversation(session_id="x")
    for i in range(turns):
        conversation.add_user(f"message number {i} " + "padding " * 10)
        conversation.entries.append(
            Entry(
                kind="step",
                text=f" look {i}\nAction: order_status[A-{i}]",
                observation="result " + "data " * 30,
            )
        )
    conversation.add_user("the latest question")
    return conversation


def render(entry: Entry, shorten: bool) -> str:
    if entry.kind == "user":
        return f"User: {entry.text}\n"
    observation = (entry.observation or "")[:10] if shorten else entry.observation
    return f"Thought:{entry.text}\nObservation: {observation}\n"


def test_full_buffer_keeps_everything():
    conversation = make_conversation(5)
    history, note = FullBuffer().select(conversation, render, words, budget=10)
    assert note is None
    assert history.count("User:") == 6


def test_token_window_keeps_newest_and_current_turn():
    conversation = make_conversation(8)
    conversation.entries.append(
        Entry(kind="step", text=" current\nAction: order_status[NOW]", observation="needed " * 40)
    )
    history, note = TokenWindow(max_tokens=150).select(conversation, render, words, budget=10_000)
    assert words(history) <= 150 or "the latest question" in history
    assert "the latest question" in history
    assert "needed needed" in history  # the current turn's tool result is always kept
    assert "message number 7" in history  # newest earlier turn kept
    assert "message number 0" not in history  # oldest dropped
    assert "left out to fit the context window" in note


def test_token_window_shortens_old_tool_results_before_dropping():
    conversation = make_conversation(2)
    full, _ = FullBuffer().select(conversation, render, words, budget=0)
    window = words(full) - 20
    history, note = TokenWindow().select(conversation, render, words, budget=window)
    assert "message number 0" in history and "message number 1" in history
    assert "shortened" in note


def test_json_store_survives_a_new_agent(tmp_path, scripted, pm):
    store = JsonDirectoryStore(tmp_path / "sessions")
    first = ChatAgent(scripted(" a\nAction: respond[Noted: blue.]"), plugin_manager=pm, store=store)
    first.chat("s/1", "My favourite colour is blue")
    backend = scripted(" b\nAction: respond[You said blue.]")
    again = ChatAgent(backend, plugin_manager=pm, store=JsonDirectoryStore(tmp_path / "sessions"))
    assert again.chat("s/1", "What colour did I say?").answer == "You said blue."
    assert "User: My favourite colour is blue" in backend.prompts[0]
    assert store.sessions() == ["s/1"]
