"""The guardrail hooks through every agent kind, driven by the scripted backend.

Each agent kind checks its input and answer at one place (the run lifecycle) and its tool calls
at one place per loop; these tests run every verdict through each of them, and the combination,
failure and redaction rules of agentcore/guardrails.py. Test-only guardrails are plugin objects
registered in code (the built-in guardrails plugin has its own tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from agentcore import hookspecs
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.chat import ChatAgent
from agentcore.executors import CodeExecutor
from agentcore.fewshot import PromptAgent
from agentcore.guardrails import MAX_ROUNDS, REDACTION_FAILED
from agentcore.hookspecs import hookimpl
from agentcore.memory import InMemoryStore
from agentcore.models import (
    Document,
    ExecutionResult,
    GenerationConfig,
    RunResult,
    RunStatus,
    Verdict,
)
from agentcore.pal import PALAgent
from agentcore.plugins import AgentcorePluginManager
from agentcore.rag import RAGAgent
from agentcore.react import ReActAgent
from agentcore.retrievers import Retriever
from agentcore.tools import tool

KINDS = ("react", "chat", "pal", "rag", "prompt")
TASK = "What is six times seven?"


# --- test plugins and agents ---------------------------------------------------------------


class Policy:
    """A guardrail plugin whose hooks answer from the given functions (None: not implemented)."""

    def __init__(
        self,
        *,
        input: Callable[..., Verdict | None] | None = None,
        output: Callable[..., Verdict | None] | None = None,
        tool_call: Callable[..., Verdict | None] | None = None,
    ) -> None:
        self.input, self.output, self.tool_call = input, output, tool_call
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def check_input(self, run, text):
        self.seen.append(("input", text))
        return self.input(run, text) if self.input else None

    @hookimpl
    def check_output(self, run, answer, steps):
        self.seen.append(("output", answer))
        return self.output(run, answer) if self.output else None

    @hookimpl
    def check_tool_call(self, run, tool, arguments):
        self.seen.append(("tool_call", (tool, arguments)))
        return self.tool_call(run, tool, arguments) if self.tool_call else None


class Recorder:
    """Keeps what the event hooks receive (what a storage plugin would write)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def on_run_start(self, run):
        self.events.append(("on_run_start", {"run": run}))

    @hookimpl
    def before_llm_call(self, run_id, step_index, prompt, config):
        self.events.append(("before_llm_call", {"run_id": run_id, "prompt": prompt}))

    @hookimpl
    def after_llm_call(self, run_id, step_index, prompt, completion):
        self.events.append(("after_llm_call", {"completion": completion}))

    @hookimpl
    def on_tool_error(self, run_id, step_index, tool, error_kind, message):
        self.events.append(("on_tool_error", {"error_kind": error_kind, "message": message}))

    @hookimpl
    def on_run_end(self, result):
        self.events.append(("on_run_end", {"result": result}))

    def named(self, event: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.events if name == event]


def manager(*plugins: Any) -> AgentcorePluginManager:
    pm = AgentcorePluginManager(allow={"scripted"})
    for number, plugin in enumerate(plugins):
        assert pm.register(plugin, name=getattr(plugin, "name", f"policy{number}")), pm.failures
    return pm


class Named(Policy):
    def __init__(self, name: str, **checks: Any) -> None:
        super().__init__(**checks)
        self.name = name


class CannedExecutor(CodeExecutor):
    """Stands in for the sandbox (not under test): returns the value 42 for every program."""

    name = "canned"

    def __init__(self) -> None:
        self.programs: list[str] = []

    def run(self, code, *, entrypoint="solution", timeout_s=None) -> ExecutionResult:
        self.programs.append(code)
        return ExecutionResult(value=42)


class FixedRetriever(Retriever):
    """Returns one passage for any query, and keeps the queries."""

    name = "fixed"

    def __init__(self) -> None:
        self.queries: list[str] = []

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        self.queries.append(query)
        return [Document(id="d1", text="Six times seven is 42.", source="facts.txt")]


calls: list[str] = []


@tool
def multiply(expression: str) -> str:
    """Multiply two numbers written as 'a*b'."""
    calls.append(expression)
    a, b = expression.split("*")
    return str(int(a) * int(b))


FINAL = {
    "react": " I know it.\nAction 1: finish[42]",
    "chat": " I know it.\nAction: respond[42]",
    "pal": "    return 6 * 7\n",
    "rag": "It is 42 [1].",
    "prompt": " 6 * 7 = 42. The answer is 42.",
}
#: A first step that calls a tool, for the kinds that call tools.
TOOL_STEP = {
    "react": " Compute it.\nAction 1: multiply[6*7]",
    "chat": " Compute it.\nAction: multiply[6*7]",
    "pal": "    return 6 * 7\n",
}


class Harness:
    """One agent of a kind on a scripted backend, with what its tools saw."""

    def __init__(self, kind: str, pm: AgentcorePluginManager, script: list[str], **opts: Any):
        self.kind = kind
        self.backend = ScriptedBackend(script)
        self.executor = CannedExecutor()
        self.retriever = FixedRetriever()
        common = {"plugin_manager": pm, **opts}
        if kind == "react":
            self.agent = ReActAgent(self.backend, tools=[multiply], **common)
        elif kind == "chat":
            self.agent = ChatAgent(self.backend, tools=[multiply], store=InMemoryStore(), **common)
        elif kind == "pal":
            self.agent = PALAgent(self.backend, executor=self.executor, **common)
        elif kind == "rag":
            self.agent = RAGAgent(self.backend, retriever=self.retriever, **common)
        else:
            self.agent = PromptAgent(self.backend, prompt="cot/math", **common)

    def run(self, text: str = TASK) -> RunResult:
        calls.clear()
        if self.kind == "chat":
            return self.agent.chat("session", text)
        return self.agent.run(text)


def answer_of(kind: str) -> str:
    """The answer each kind gives for its FINAL completion."""
    return "It is 42 [1]." if kind == "rag" else "42"


# --- check_input ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_input_pass_changes_nothing(kind):
    policy = Policy(input=lambda run, text: None)
    harness = Harness(kind, manager(policy), [FINAL[kind]])
    result = harness.run()
    assert result.status is RunStatus.FINISHED
    assert result.answer.startswith(answer_of(kind))
    assert policy.seen[0] == ("input", TASK)
    assert result.guardrails == []


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_input_rewrite_is_what_the_agent_works_on(kind):
    rewritten = "What is 6 times 7?"
    policy = Policy(input=lambda run, text: Verdict.rewrite(rewritten, "spelled out", by="p"))
    harness = Harness(kind, manager(policy), [FINAL[kind]])
    result = harness.run()
    assert result.status is RunStatus.FINISHED
    assert rewritten in harness.backend.prompts[0] and TASK not in harness.backend.prompts[0]
    assert result.input == rewritten
    [event] = result.guardrails
    assert (event.check, event.action, event.by, event.reason) == (
        "input",
        "rewrite",
        "p",
        "spelled out",
    )
    assert event.original == TASK
    if kind == "rag":
        assert harness.retriever.queries == [rewritten]
    if kind == "chat":
        [user] = [e for e in harness.agent.history("session").entries if e.kind == "user"]
        assert user.text == rewritten


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_input_refusal_ends_the_run_before_any_model_call(kind):
    policy = Policy(input=lambda run, text: Verdict.refuse("not today", by="gate"))
    harness = Harness(kind, manager(policy), [FINAL[kind]])
    result = harness.run()
    assert result.status is RunStatus.REFUSED
    assert result.error == "refused by gate (input check): not today"
    assert result.answer is None and result.steps == []
    assert harness.backend.prompts == []
    assert [(e.check, e.action) for e in result.guardrails] == [("input", "refuse")]
    if kind == "chat":  # the refused message never enters the conversation
        assert harness.agent.history("session").entries == []


def test_hook_check_input_flag_is_recorded_and_changes_nothing():
    policy = Policy(input=lambda run, text: Verdict.allow("mentions numbers", by="flagger"))
    harness = Harness("react", manager(policy), [FINAL["react"]])
    result = harness.run()
    assert result.status is RunStatus.FINISHED and result.input == TASK
    [event] = result.guardrails
    assert (event.action, event.by, event.reason, event.step_index) == (
        "pass",
        "flagger",
        "mentions numbers",
        0,
    )


# --- check_output --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_output_sees_the_answer_and_steps(kind):
    seen: list[tuple[str, int]] = []

    class Watcher:
        @hookimpl
        def check_output(self, run, answer, steps):
            seen.append((answer, len(steps)))

    harness = Harness(kind, manager(Watcher()), [FINAL[kind]])
    result = harness.run()
    assert seen == [(result.answer, len(result.steps))]
    assert result.status is RunStatus.FINISHED


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_output_rewrite_replaces_the_answer_and_keeps_the_draft(kind):
    policy = Policy(output=lambda run, answer: Verdict.rewrite("forty-two", "words", by="style"))
    harness = Harness(kind, manager(policy), [FINAL[kind]])
    result = harness.run()
    assert result.status is RunStatus.FINISHED
    assert result.answer == "forty-two"
    [event] = result.guardrails
    assert (event.check, event.action, event.reason) == ("output", "rewrite", "words")
    assert event.original.startswith(answer_of(kind))
    assert event.step_index == result.steps[-1].index


@pytest.mark.parametrize("kind", KINDS)
def test_hook_check_output_refusal_withholds_the_answer(kind):
    policy = Policy(output=lambda run, answer: Verdict.refuse("unsafe answer", by="judge"))
    harness = Harness(kind, manager(policy), [FINAL[kind]])
    result = harness.run()
    assert result.status is RunStatus.REFUSED
    assert result.answer is None
    assert result.error == "refused by judge (output check): unsafe answer"
    [event] = result.guardrails
    assert event.original.startswith(answer_of(kind))  # the draft stays in the trace
    assert len(result.steps) >= 1


def test_hook_check_output_is_skipped_when_there_is_no_answer():
    policy = Policy(output=lambda run, answer: Verdict.refuse("x", by="judge"))
    harness = Harness("prompt", manager(policy), [" no idea"])
    result = harness.run()
    assert result.status is RunStatus.ERROR
    assert [name for name, _ in policy.seen] == ["input"]


def test_chat_keeps_the_revised_reply_and_drops_a_refused_one():
    revise = Policy(output=lambda run, answer: Verdict.rewrite("Forty-two.", "style", by="s"))
    harness = Harness("chat", manager(revise), [FINAL["chat"]])
    harness.run()
    [reply] = [e for e in harness.agent.history("session").entries if e.kind == "step"]
    assert reply.action == "respond[Forty-two.]" and "respond[Forty-two.]" in reply.text
    assert "respond[42]" not in reply.text

    refuse = Policy(output=lambda run, answer: Verdict.refuse("no", by="s"))
    harness = Harness("chat", manager(refuse), [FINAL["chat"]])
    harness.run()
    assert [e.kind for e in harness.agent.history("session").entries] == ["user"]


# --- check_tool_call -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["react", "chat"])
def test_hook_check_tool_call_pass_runs_the_tool(kind):
    policy = Policy(tool_call=lambda run, tool, arguments: None)
    final = FINAL[kind].replace("Action 1", "Action 2")
    harness = Harness(kind, manager(policy), [TOOL_STEP[kind], final])
    result = harness.run()
    assert calls == ["6*7"]
    assert ("tool_call", ("multiply", {"expression": "6*7"})) in policy.seen
    assert result.steps[0].observation == "42"


@pytest.mark.parametrize("kind", ["react", "chat"])
def test_hook_check_tool_call_block_stops_the_call_and_tells_the_model(kind):
    recorder = Recorder()
    policy = Policy(tool_call=lambda run, tool, arguments: Verdict.block("no maths", by="p"))
    final = FINAL[kind].replace("Action 1", "Action 2")
    harness = Harness(kind, manager(policy, recorder), [TOOL_STEP[kind], final])
    result = harness.run()
    assert calls == []  # the tool never ran
    blocked = result.steps[0]
    expected = "The call to multiply was blocked by a guardrail (p): no maths"
    assert blocked.observation == expected
    assert (blocked.tool_result.ok, blocked.tool_result.error_kind) == (False, "blocked")
    assert expected in harness.backend.prompts[1]  # the model saw why
    assert result.status is RunStatus.FINISHED
    [event] = result.guardrails
    assert (event.check, event.action, event.tool, event.step_index) == (
        "tool_call",
        "block",
        "multiply",
        1,
    )
    assert recorder.named("on_tool_error")[0]["error_kind"] == "blocked"


def test_hook_check_tool_call_blocks_a_pal_program_before_it_runs():
    seen: list[tuple[str, dict]] = []

    def policy(run, tool, arguments):
        seen.append((tool, arguments))
        return Verdict.block("no programs today", by="p")

    harness = Harness("pal", manager(Policy(tool_call=policy)), [TOOL_STEP["pal"]] * 2)
    result = harness.run()
    assert harness.executor.programs == []
    assert seen[0] == ("canned", {"code": "def solution():\n    return 6 * 7\n"})
    assert result.steps[0].tool_result.error_kind == "blocked"
    assert "no programs today" in harness.backend.prompts[1]  # the retry prompt says why
    assert result.status is RunStatus.ERROR


def test_hook_check_tool_call_blocks_a_rag_retrieval():
    policy = Policy(tool_call=lambda run, tool, arguments: Verdict.block("index closed", by="p"))
    harness = Harness("rag", manager(policy), ["I cannot tell."])
    result = harness.run()
    assert harness.retriever.queries == []
    assert ("tool_call", ("retrieve", {"query": TASK, "k": 5, "retriever": "fixed"})) in (
        policy.seen
    )
    assert result.steps[0].tool_result.error_kind == "blocked"
    assert "Six times seven" not in harness.backend.prompts[0]


@pytest.mark.parametrize("kind", ["react", "chat", "pal", "rag"])
def test_hook_check_tool_call_refusal_records_the_step_then_ends_the_run(kind):
    policy = Policy(tool_call=lambda run, tool, arguments: Verdict.refuse("stop now", by="p"))
    script = [TOOL_STEP.get(kind, FINAL[kind]), FINAL[kind]]
    harness = Harness(kind, manager(policy), script)
    result = harness.run()
    assert result.status is RunStatus.REFUSED
    assert result.error == "refused by p (tool call check): stop now"
    assert len(result.steps) == 1 and result.steps[0].tool_result.error_kind == "blocked"
    assert calls == [] and harness.executor.programs == [] and harness.retriever.queries == []
    assert len(harness.backend.prompts) == (0 if kind == "rag" else 1)


def test_a_rewrite_from_a_tool_call_check_fails_closed():
    policy = Policy(tool_call=lambda run, tool, arguments: Verdict.rewrite("x", "r", by="p"))
    harness = Harness("react", manager(policy), [TOOL_STEP["react"], FINAL["react"]])
    result = harness.run()
    assert calls == []
    assert "which tool calls do not take" in result.steps[0].observation


# --- how verdicts combine --------------------------------------------------------------------


def test_rewrites_chain_in_call_order_and_every_guardrail_sees_the_result():
    # pluggy calls the plugin registered last first: "second" rewrites, then "first" does
    def bang(run, answer):
        return None if answer.endswith("!") else Verdict.rewrite(answer + "!", "bang", by="first")

    def loud(run, answer):
        return None if answer.isupper() else Verdict.rewrite(answer.upper(), "loud", by="second")

    first, second = Named("first", output=bang), Named("second", output=loud)
    harness = Harness("rag", manager(first, second), [FINAL["rag"]])
    result = harness.run()
    assert [(e.by, e.reason) for e in result.guardrails] == [("second", "loud"), ("first", "bang")]
    assert result.answer.endswith("!") and result.answer[:-1] == result.answer[:-1].upper()
    # the final text was checked again by both, and both passed it
    assert [a for name, a in second.seen if name == "output"][-1] == result.answer
    assert [a for name, a in first.seen if name == "output"][-1] == result.answer


def test_a_refusal_wins_over_a_rewrite_and_the_first_refusal_gives_the_reason():
    rewriter = Named("rewriter", output=lambda run, a: Verdict.rewrite("x", "style"))
    early = Named("early", output=lambda run, a: Verdict.refuse("first reason"))
    late = Named("late", output=lambda run, a: Verdict.refuse("second reason"))
    # call order: late, early, rewriter (last registered first)
    result = Harness("react", manager(rewriter, early, late), [FINAL["react"]]).run()
    assert result.status is RunStatus.REFUSED
    assert result.error == "refused by late (output check): second reason"
    decided = [(e.by, e.action) for e in result.guardrails]
    assert decided == [("late", "refuse"), ("early", "refuse")]


def test_guardrails_that_keep_rewriting_are_refused_after_the_round_limit():
    counter = iter(range(100))
    churn = Named("churn", output=lambda run, a: Verdict.rewrite(f"v{next(counter)}", "again"))
    result = Harness("react", manager(churn), [FINAL["react"]]).run()
    assert result.status is RunStatus.REFUSED
    assert f"still rewriting after {MAX_ROUNDS} rounds" in result.error
    assert sum(e.action == "rewrite" for e in result.guardrails) == MAX_ROUNDS


def test_unnamed_verdicts_are_named_after_their_plugin_when_every_plugin_answered():
    a = Named("alpha", input=lambda run, t: Verdict.allow("seen"))
    result = Harness("react", manager(a), [FINAL["react"]]).run()
    assert result.guardrails[0].by == "alpha"


# --- failures fail closed ------------------------------------------------------------------


class Broken:
    name = "broken-guard"

    @hookimpl
    def check_output(self, run, answer, steps):
        raise ValueError("classifier not loaded")


@pytest.mark.parametrize("kind", KINDS)
def test_a_raising_output_guardrail_refuses_the_run_and_names_the_error(kind):
    result = Harness(kind, manager(Broken()), [FINAL[kind]]).run()
    assert result.status is RunStatus.REFUSED
    assert result.answer is None
    assert result.error == (
        "refused by broken-guard (output check): the check raised ValueError: classifier not "
        "loaded (a failing guardrail fails closed)"
    )


def test_a_raising_input_or_tool_guardrail_refuses_too():
    def boom(*args):
        raise RuntimeError("policy file missing")

    result = Harness("react", manager(Named("in", input=boom)), [FINAL["react"]]).run()
    assert result.status is RunStatus.REFUSED
    assert "RuntimeError: policy file missing" in result.error
    assert result.error.startswith("refused by in (input check)")

    harness = Harness("react", manager(Named("tc", tool_call=boom)), [TOOL_STEP["react"]])
    result = harness.run()
    assert result.status is RunStatus.REFUSED and calls == []
    assert result.error.startswith("refused by tc (tool call check): the check raised RuntimeError")


def test_a_guardrail_returning_something_else_fails_closed():
    odd = Named("odd", input=lambda run, t: "looks fine to me")
    result = Harness("react", manager(odd), [FINAL["react"]]).run()
    assert result.status is RunStatus.REFUSED
    assert "check_input returned str, not a Verdict" in result.error


def test_cancelling_during_a_guardrail_model_call_cancels_rather_than_refuses():
    class Asker:
        name = "asker"

        @hookimpl
        def check_output(self, run, answer, steps):
            harness.agent.cancel()
            run.generate("Is this fine?", GenerationConfig(max_new_tokens=4))

    harness = Harness("react", manager(Asker()), [FINAL["react"], "yes"])
    result = harness.run()
    assert result.status is RunStatus.CANCELLED


# --- the run's own model, from a guardrail ---------------------------------------------------


def test_a_guardrail_asks_the_runs_model_through_the_agent():
    recorder = Recorder()
    streamed: list[str] = []

    class Critic:
        name = "critic"

        @hookimpl
        def check_output(self, run, answer, steps):
            if run.state.get("critic") == answer:  # its own revision: passed as it is
                return None
            completion = run.generate(f"Critique: {answer}", GenerationConfig(max_new_tokens=8))
            if completion.text.strip() == "bad":
                run.state["critic"] = "43"
                return Verdict.rewrite("43", "the critic said so")
            return None

    harness = Harness("react", manager(Critic(), recorder), [FINAL["react"], "bad"])
    result = harness.agent.run(TASK, on_token=streamed.append)
    assert result.answer == "43"
    assert harness.backend.prompts[-1] == "Critique: 42"
    assert recorder.named("before_llm_call")[-1]["prompt"] == "Critique: 42"  # events fired
    assert "bad" not in "".join(streamed)  # the critique was not streamed to the user
    step_tokens = sum(s.usage.completion_tokens for s in result.steps)
    assert result.usage.completion_tokens == step_tokens + 1  # its token counts in the run


# --- what is stored ------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.]+@[\w.]+")


class EmailRedactor:
    name = "emails"

    @hookimpl
    def storage_redactor(self, run):
        return lambda text: EMAIL.sub("[email]", text)


def test_hook_storage_redactor_redacts_what_the_events_carry_not_the_result():
    recorder = Recorder()
    task = "Mail the total to ann@example.com please"
    harness = Harness("react", manager(EmailRedactor(), recorder), [FINAL["react"]])
    result = harness.agent.run(task)
    assert result.input == task  # what the caller gets is untouched
    assert "ann@example.com" in harness.backend.prompts[0]  # and so is what the model sees
    stored = recorder.named("on_run_end")[0]["result"]
    assert stored.input == "Mail the total to [email] please"
    assert stored.run_id == result.run_id and stored.status is RunStatus.FINISHED
    assert recorder.named("on_run_start")[0]["run"].input == stored.input
    assert "ann@example.com" not in recorder.named("before_llm_call")[0]["prompt"]
    assert all("ann@example.com" not in repr(payload) for _, payload in recorder.events)


def test_a_failing_redactor_withholds_the_text():
    recorder = Recorder()

    class Failing:
        name = "failing"

        @hookimpl
        def storage_redactor(self, run):
            def redact(text):
                raise ValueError("bad pattern")

            return redact

    harness = Harness("react", manager(Failing(), recorder), [FINAL["react"]])
    result = harness.agent.run("Mail ann@example.com")
    stored = recorder.named("on_run_end")[0]["result"]
    assert stored.input == REDACTION_FAILED and stored.answer == REDACTION_FAILED
    assert stored.run_id == result.run_id and result.input == "Mail ann@example.com"


def test_a_raising_redactor_factory_withholds_every_stored_text_and_says_so():
    recorder = Recorder()

    class Failing:
        name = "failing"

        @hookimpl
        def storage_redactor(self, run):
            raise OSError("rules file unreadable")

    harness = Harness("react", manager(Failing(), recorder), [FINAL["react"]])
    result = harness.agent.run("Mail ann@example.com")
    assert "storage_redactor of failing raised OSError" in result.notes[0]
    assert recorder.named("on_run_end")[0]["result"].input == REDACTION_FAILED


def test_no_redactor_means_the_events_carry_the_records_themselves():
    recorder = Recorder()
    harness = Harness("react", manager(recorder), [FINAL["react"]])
    result = harness.agent.run(TASK)
    assert recorder.named("on_run_end")[0]["result"] is result


# --- the contract: every guardrail hook tested here (every hook: test_plugin_hooks.py) -------


@pytest.mark.parametrize("hook", hookspecs.GUARDRAIL_HOOKS)
def test_every_guardrail_hookspec_has_tests(hook):
    tests = [name for name in globals() if name.startswith(f"test_hook_{hook}")]
    assert tests, f"hook {hook} has no test_hook_{hook}* test in this module"


def test_guardrail_hooks_are_hookspecs():
    for hook in hookspecs.GUARDRAIL_HOOKS:
        assert hasattr(getattr(hookspecs, hook, None), "agentcore_spec"), hook
