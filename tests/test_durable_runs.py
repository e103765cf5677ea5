"""Durable runs on the scripted backend and a real DuckDB run store: resume, approval, budgets.

What a resume must rebuild (the exact prompts), what a person's decision does, what stops
a run early, and every way a resume can be refused — each refusal leaving the stored run
as it was.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.checkpoints import CheckpointError
from agentcore.errors import ConfigError
from agentcore.models import RunStatus
from agentcore.plugin import create_provider
from agentcore.prompts import load_prompt
from agentcore.react import ReActAgent
from agentcore.tools import ToolContext, tool

QUESTION = "Which order is late, and tell Ann?"
STEPS = {
    1: " Look the order up.\nAction 1: search[order 7]\n",
    2: " Tell the customer.\nAction 2: send_email[ann@example.com]\n",
    3: " Look again.\nAction 3: search[order 8]\n",
    4: " Done.\nAction 4: finish[order 7 is late]\n",
}


def by_step(steps: dict[int, str] = STEPS, **options):
    """A scripted backend answering each prompt by the step it asks for (any process, any
    order of runs): what a resumed run needs from a deterministic model."""

    def respond(prompt: str) -> str:
        return steps[int(re.findall(r"Thought (\d+):", prompt)[-1])]

    return ScriptedBackend(responder=respond, **options)


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.searches: list[str] = []

    def tools(self, *, approval: bool = False):
        @tool
        def search(query: str) -> str:
            """Look an order up."""
            self.searches.append(query)
            return f"{query} is late"

        @tool(effect="side_effect", requires_approval=approval)
        def send_email(to: str) -> str:
            """Email a customer."""
            self.sent.append(to)
            return f"sent to {to}"

        return [search, send_email]


@pytest.fixture
def store(tmp_path: Path):
    made = create_provider("run_store", "duckdb", path=tmp_path / "runs.duckdb")
    yield made
    made.close()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def agent(store, mailbox: Mailbox, backend=None, *, gated=False, **options) -> ReActAgent:
    """``gated``: the email tool requires approval; ``options`` go to the agent."""
    return ReActAgent(
        backend or by_step(),
        tools=mailbox.tools(approval=gated),
        checkpoints=store,
        max_steps=options.pop("max_steps", 6),
        **options,
    )


def cancelled_after(agent_: ReActAgent, steps: int) -> str:
    stream = agent_.stream(QUESTION)
    for step in stream:
        if step.index == steps:
            stream.cancel()
    assert stream.result.status is RunStatus.CANCELLED
    return stream.run_id


# -- resume ---------------------------------------------------------------------------------


def test_a_resumed_run_sends_the_prompts_an_uninterrupted_run_sends(store, mailbox):
    straight_backend = by_step()
    straight = agent(store, mailbox, straight_backend).run(QUESTION)
    assert straight.status is RunStatus.FINISHED

    run_id = cancelled_after(agent(store, mailbox), 2)
    later = by_step()
    resumed = agent(store, mailbox, later).resume(run_id)
    assert resumed.status is RunStatus.FINISHED and resumed.answer == "order 7 is late"
    assert later.prompts == straight_backend.prompts[2:]  # byte for byte, steps 3 and 4
    assert [s.completion for s in resumed.steps] == [s.completion for s in straight.steps]
    assert [s.observation for s in resumed.steps] == [s.observation for s in straight.steps]
    assert resumed.resumed == 1 and resumed.run_id == run_id
    assert resumed.usage.completion_tokens == straight.usage.completion_tokens
    assert mailbox.searches == ["order 7", "order 8"] * 2  # each run searched once per step


def test_a_max_steps_run_resumes_with_more_steps_and_asks_its_answer_again(store, mailbox):
    short = agent(store, mailbox, max_steps=2).run(QUESTION)
    assert short.status is RunStatus.MAX_STEPS and short.steps[-1].kind == "final"
    resumed = agent(store, mailbox, max_steps=2).resume(short.run_id, extra_steps=2)
    assert resumed.status is RunStatus.FINISHED
    assert [s.index for s in resumed.steps] == [1, 2, 3, 4]
    assert all(s.kind != "final" for s in resumed.steps)


def test_a_resume_after_the_budget_ran_out_continues_with_the_new_agents_budget(store, mailbox):
    first = agent(store, mailbox, budget={"completion_tokens": 12}).run(QUESTION)
    assert first.status is RunStatus.BUDGET
    assert "completion-token budget is spent" in first.error and "limit 12" in first.error
    resumed = agent(store, mailbox, budget={"completion_tokens": 10_000}).resume(first.run_id)
    assert resumed.status is RunStatus.FINISHED
    assert len(resumed.steps) == 4


# -- approval -------------------------------------------------------------------------------


def test_a_call_needing_approval_pauses_with_the_call_pending(store, mailbox):
    result = agent(store, mailbox, gated=True).run(QUESTION)
    assert result.status is RunStatus.PAUSED
    assert mailbox.sent == []
    pending = result.pending
    assert (pending.tool, pending.arguments, pending.reason) == (
        "send_email", {"to": "ann@example.com"}, "approval",
    )  # fmt: skip
    assert pending.thought == "Tell the customer." and pending.step_index == 2
    assert agent(store, mailbox, gated=True).pending(result.run_id) == pending
    with pytest.raises(CheckpointError, match="waits for a decision on send_email"):
        agent(store, mailbox, gated=True).resume(result.run_id)


def test_an_approved_call_runs_once_with_edited_arguments_and_who_approved_is_kept(store, mailbox):
    run_id = agent(store, mailbox, gated=True).run(QUESTION).run_id
    done = agent(store, mailbox, gated=True).approve(
        run_id, arguments={"to": "ann@shop.example"}, by="maria"
    )
    assert done.status is RunStatus.FINISHED
    assert mailbox.sent == ["ann@shop.example"]
    assert done.steps[1].observation == "sent to ann@shop.example"
    (decision,) = done.decisions
    assert (decision.verdict, decision.by, decision.arguments) == (
        "approve", "maria", {"to": "ann@shop.example"},
    )  # fmt: skip


def test_a_rejection_is_the_observation_the_model_sees(store, mailbox):
    run_id = agent(store, mailbox, gated=True).run(QUESTION).run_id
    backend = by_step()
    done = agent(store, mailbox, backend, gated=True).reject(run_id, "wrong customer", by="maria")
    assert done.status is RunStatus.FINISHED and mailbox.sent == []
    observation = done.steps[1].observation
    assert observation == "maria rejected this send_email call; it was not done: wrong customer."
    assert observation in backend.prompts[0]  # step 3's prompt tells the model
    assert done.steps[1].tool_result.error_kind == "rejected"


def test_a_policy_rule_pauses_only_the_calls_it_matches(store, mailbox):
    policy = {"rules": [{"tool": "send_email", "argument": "to", "pattern": r"@example\.com$"}]}
    paused = agent(store, mailbox, approval=policy).run(QUESTION)
    assert paused.status is RunStatus.PAUSED
    other = {**STEPS, 2: " Tell the shop.\nAction 2: send_email[desk@shop.example]\n"}
    passed = agent(store, mailbox, by_step(other), approval=policy).run(QUESTION)
    assert passed.status is RunStatus.FINISHED and mailbox.sent == ["desk@shop.example"]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (["send_mail"], "approval names send_mail, not tools of this agent"),
        ({"rules": [{"tool": "search", "pattern": "("}]}, "not a regular expression"),
        ({"tool": ["search"]}, "approval: unknown option tool"),
        ("search", "give a list of tool names"),
    ],
)
def test_a_bad_approval_policy_is_one_clear_error(store, mailbox, policy, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        agent(store, mailbox, approval=policy)


# -- budgets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "says"),
    [
        ({"prompt_tokens": 50}, "the prompt-token budget is spent"),
        ({"completion_tokens": 5}, "the completion-token budget is spent"),
        ({"wall_s": 0.05}, "the time budget is spent"),
    ],
)
def test_a_run_past_its_budget_ends_budget_and_says_which(store, mailbox, budget, says):
    result = agent(store, mailbox, by_step(delay_s=0.03), budget=budget).run(QUESTION)
    assert result.status is RunStatus.BUDGET
    assert result.error.startswith(says)
    assert result.steps  # what was done is kept


def test_a_budget_that_is_not_a_budget_is_refused(store, mailbox):
    with pytest.raises(ConfigError, match="budget: completion_tokens"):
        agent(store, mailbox, budget={"completion_tokens": 0})


# -- refusals leave the stored run as it was ------------------------------------------------


def _refused(store, run_id: str, make, match: str) -> None:
    before = store.get_checkpoint(run_id)
    with pytest.raises(CheckpointError, match=match):
        make().resume(run_id)
    assert store.get_checkpoint(run_id) == before


def test_an_unknown_or_finished_run_is_not_resumed(store, mailbox):
    with pytest.raises(CheckpointError, match="no checkpoint of run 'nope'"):
        agent(store, mailbox).resume("nope")
    done = agent(store, mailbox).run(QUESTION)
    _refused(store, done.run_id, lambda: agent(store, mailbox), "ended finished")


def test_another_model_or_prompt_or_missing_tool_is_refused(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox), 1)
    _refused(
        store, run_id, lambda: agent(store, mailbox, by_step(model_name="other")),
        "ran with model 'scripted', this agent has 'other'",
    )  # fmt: skip
    template = load_prompt("react/wikipedia")
    changed = dataclasses.replace(template, instructions=template.instructions + " Be brief.")
    _refused(store, run_id, lambda: agent(store, mailbox, prompt=changed), "ran with prompt")

    def without_search() -> ReActAgent:
        return ReActAgent(by_step(), tools=mailbox.tools()[1:], checkpoints=store, max_steps=6)

    _refused(store, run_id, without_search, "used the tool.s. search, which this agent")


def test_a_setting_that_changes_the_prompt_is_caught_by_the_step_hashes(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox), 2)
    _refused(
        store, run_id, lambda: agent(store, mailbox, max_steps=5),
        "the prompt of step 1, rebuilt from the stored steps, is not the one the run used",
    )  # fmt: skip
    assert agent(store, mailbox).resume(run_id).status is RunStatus.FINISHED


def test_a_corrupted_checkpoint_is_reported_and_left_alone(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox), 1)
    store.save_checkpoint(run_id, "cancelled", '{"version": 1, "run_id": 3}')
    _refused(store, run_id, lambda: agent(store, mailbox), "is corrupted")


def test_a_run_still_running_in_another_process_is_not_resumed(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox), 1)
    body = json.loads(store.get_checkpoint(run_id))
    body["status"], body["owner"]["pid"] = "running", os.getppid()
    store.save_checkpoint(run_id, "running", json.dumps(body))
    _refused(store, run_id, lambda: agent(store, mailbox), f"still running .process {os.getppid()}")


def test_an_agent_without_checkpoints_or_a_one_call_kind_cannot_resume(store, mailbox):
    plain = ReActAgent(by_step(), tools=mailbox.tools())
    with pytest.raises(ConfigError, match="this agent has no checkpoints"):
        plain.resume("abc")
    from agentcore.fewshot import PromptAgent

    prompt_agent = PromptAgent(ScriptedBackend(["x"]), checkpoints=store)
    ran = prompt_agent.run("hi")
    with pytest.raises(CheckpointError, match="a prompt run cannot be resumed"):
        prompt_agent.resume(ran.run_id)


def test_a_decision_for_a_run_that_is_not_paused_is_refused(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox), 1)
    with pytest.raises(CheckpointError, match="is not paused; there is nothing to decide"):
        agent(store, mailbox).approve(run_id)


# -- the store locked by another process ----------------------------------------------------

LOCKER = (
    "import sys, time\nfrom agentcore_store.served import DuckDBRunStore\n"
    "store = DuckDBRunStore(sys.argv[1])\nprint('locked', flush=True)\nsys.stdin.read()\n"
)


def test_a_store_locked_mid_run_stops_it_and_the_run_resumes_once_released(tmp_path, mailbox):
    path = tmp_path / "shared.duckdb"
    shared = create_provider("run_store", "duckdb", path=path, hold=False, wait_s=0.3)
    locker: list[subprocess.Popen[str]] = []

    @tool
    def search(query: str, ctx: ToolContext) -> str:
        """Look an order up."""
        if not locker:  # another process takes the file while this step runs
            locker.append(
                subprocess.Popen(
                    [sys.executable, "-c", LOCKER, str(path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            assert locker[0].stdout.readline().strip() == "locked"
        return f"{query} is late"

    def make() -> ReActAgent:
        tools = [search, mailbox.tools()[1]]
        return ReActAgent(by_step(), tools=tools, checkpoints=shared, max_steps=6)

    try:
        stopped = make().run(QUESTION)
    finally:
        locker[0].communicate("", timeout=60)  # releases the file
    assert stopped.status is RunStatus.ERROR
    assert "could not commit run" in stopped.error and "resumed once the store" in stopped.error
    resumed = make().resume(stopped.run_id)
    assert resumed.status is RunStatus.FINISHED
    assert [s.index for s in resumed.steps] == [1, 2, 3, 4]
    assert mailbox.sent == ["ann@example.com"]


# -- chat turns -----------------------------------------------------------------------------


def test_a_paused_chat_turn_resumes_with_its_conversation_and_tool_state(store, mailbox):
    from agentcore.chat import ChatAgent
    from agentcore.memory import InMemoryStore

    @tool
    def remember(order: str, ctx: ToolContext) -> str:
        """Note an order the customer named."""
        ctx.state.setdefault("orders", {})[int(order)] = ("named", 1)
        return f"noted {order}"

    def reply(prompt: str) -> str:
        if "was not done" in prompt or "sent to" in prompt:
            return " Told.\nAction: respond[Done, Ann.]"
        if "noted 7" in prompt:
            return " Mail.\nAction: send_email[ann@example.com]"
        return " Note it.\nAction: remember[7]"

    def make(backend, conversations, mail=mailbox, approval=("send_email",)) -> ChatAgent:
        tools = [remember, *mail.tools()]
        return ChatAgent(
            backend, tools=tools, checkpoints=store, store=conversations, approval=list(approval)
        )

    straight = ScriptedBackend(responder=reply)  # the same turn, no one asked
    make(straight, InMemoryStore(), Mailbox(), approval=()).chat("ann", "Order 7 please")

    first_store, first_backend = InMemoryStore(), ScriptedBackend(responder=reply)
    paused = make(first_backend, first_store).chat("ann", "Order 7 please")
    assert paused.status is RunStatus.PAUSED and paused.pending.tool == "send_email"

    later_store, later_backend = InMemoryStore(), ScriptedBackend(responder=reply)
    later = make(later_backend, later_store)  # a new process: no conversation, no tool state
    done = later.approve(paused.run_id, by="maria")
    assert done.status is RunStatus.FINISHED and done.answer == "Done, Ann."
    assert mailbox.sent == ["ann@example.com"]
    assert later._tool_state("ann") == {"orders": {7: ("named", 1)}}  # int keys, tuples intact
    assert later_backend.prompts == straight.prompts[2:]  # byte for byte, after the email
    conversation = later_store.load("ann")
    assert [e.kind for e in conversation.entries] == ["user", "step", "step", "step"]
    assert conversation.entries[-1].action == "respond[Done, Ann.]"


def test_tool_state_round_trips_through_a_checkpoint_exactly():
    from agentcore.checkpoints import decode_state, encode_state

    state = {"verified": {1001: "ann@x"}, "pair": (1, [2, {3}]), "plain": {"a": [1.5, None]}}
    assert decode_state(json.loads(json.dumps(encode_state(state)))) == state
    assert encode_state({"obj": object()}) is None


def test_an_agent_that_can_pause_without_a_store_resumes_in_its_own_process(mailbox):
    gated = ReActAgent(by_step(), tools=mailbox.tools(approval=True), max_steps=6)
    paused = gated.run(QUESTION)
    assert paused.status is RunStatus.PAUSED
    assert gated.approve(paused.run_id).status is RunStatus.FINISHED
    assert mailbox.sent == ["ann@example.com"]
    assert ReActAgent(by_step(), tools=mailbox.tools()).checkpointer is None  # nothing to pause


def test_ctrl_c_during_a_side_effect_keeps_it_in_flight_and_the_resume_asks(store, mailbox):
    sent: list[str] = []

    @tool(effect="side_effect")
    def send_email(to: str) -> str:
        """Email a customer."""
        sent.append(to)
        if len(sent) == 1:
            raise KeyboardInterrupt  # the user pressed Ctrl-C just after it went out
        return f"sent to {to}"

    def make() -> ReActAgent:
        return ReActAgent(
            by_step(), tools=[mailbox.tools()[0], send_email], checkpoints=store, max_steps=6
        )

    stopped = make().run(QUESTION)
    assert stopped.status is RunStatus.CANCELLED and sent == ["ann@example.com"]
    paused = make().resume(stopped.run_id)
    assert paused.status is RunStatus.PAUSED and paused.pending.reason == "unknown_outcome"
    done = make().reject(paused.run_id, "it went out", by="maria")
    assert done.status is RunStatus.FINISHED and sent == ["ann@example.com"]
    assert "may already have taken effect before a crash" in done.steps[1].observation


def test_an_approved_keyed_call_lost_in_a_crash_is_redone_without_asking_again(store):
    keys: list[str] = []

    @tool(effect="keyed", requires_approval=True)
    def send_email(to: str, ctx: ToolContext) -> str:
        """Email a customer, once per key."""
        keys.append(ctx.call_key)
        if len(keys) == 1:
            raise KeyboardInterrupt
        return f"sent to {to}"

    def make() -> ReActAgent:
        return ReActAgent(
            by_step(), tools=[Mailbox().tools()[0], send_email], checkpoints=store, max_steps=6
        )

    paused = make().run(QUESTION)
    cancelled = make().approve(paused.run_id, by="maria")
    assert cancelled.status is RunStatus.CANCELLED
    done = make().resume(paused.run_id)
    assert done.status is RunStatus.FINISHED
    assert len(keys) == 2 and keys[0] == keys[1]  # redone with the same idempotency key
    assert [d.verdict for d in done.decisions] == ["approve"]


def test_a_model_file_whose_hash_changed_is_refused(store, mailbox):
    run_id = cancelled_after(agent(store, mailbox, by_step_with_hash("a" * 64)), 1)
    _refused(
        store, run_id, lambda: agent(store, mailbox, by_step_with_hash("b" * 64)),
        "ran with model file SHA-256 aaaaaaaaaaaa…, this agent has bbbbbbbbbbbb…",
    )  # fmt: skip


def by_step_with_hash(sha256: str) -> ScriptedBackend:
    backend = by_step()
    backend.model_sha256 = sha256  # as llama-cpp reports its GGUF file's
    return backend
