"""Runs driven by the scripted backend land in the store with their full trace and status."""

from __future__ import annotations

import json
import os

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.executors import CodeExecutor
from agentcore.models import ExecutionError, ExecutionResult, RunStatus
from agentcore.pal import PALAgent
from agentcore.react import ReActAgent
from agentcore.tools import tool


def test_finished_react_run_is_stored_with_steps_calls_and_tools(run_react, finished_script, sql):
    result = run_react(*finished_script)
    assert result.status is RunStatus.FINISHED

    [run] = sql(
        "SELECT agent, input, status, answer, error, backend, model, prompt_name, step_count, "
        "llm_call_count, completion_tokens, duration_s, tools, generation, ended_at > started_at "
        "FROM runs WHERE run_id = ?",
        result.run_id,
    )
    assert run[:11] == (
        "react",
        result.input,
        "finished",
        "Arthur's Magazine",
        None,
        "scripted",
        "scripted",
        "react/wikipedia",
        3,
        3,
        result.usage.completion_tokens,
    )
    assert run[11] == result.duration_s
    assert json.loads(run[12]) == ["search", "flaky"]
    assert json.loads(run[13])["max_new_tokens"] == 160
    assert run[14] is True

    steps = sql(
        "SELECT step_index, kind, thought, action_tool, action_args, observation, tool_ok "
        "FROM steps WHERE run_id = ? ORDER BY step_index",
        result.run_id,
    )
    assert [s[:4] for s in steps] == [
        (1, "react", "I need both dates.", "search"),
        (2, "react", "Now the other.", "search"),
        (3, "react", "1844 is before 1989.", "finish"),
    ]
    assert json.loads(steps[0][4]) == {"entity": "Arthur's Magazine"}
    assert steps[0][5] == "Arthur's Magazine was started in 1844."
    assert [s[6] for s in steps] == [True, True, None]  # finish calls no tool

    # the exact prompt text the backend received, and the exact completion it returned
    backend = run_react.backends[0]
    calls = sql(
        "SELECT call_index, step_index, prompt, completion, finish_reason, config "
        "FROM llm_calls WHERE run_id = ? ORDER BY call_index",
        result.run_id,
    )
    assert [c[2] for c in calls] == backend.prompts
    assert [c[3] for c in calls] == [s.completion for s in result.steps]
    assert [(c[0], c[1], c[4]) for c in calls] == [(1, 1, "stop"), (2, 2, "stop"), (3, 3, "stop")]
    assert "\nObservation" in json.loads(calls[0][5])["stop"]

    tools = sql(
        "SELECT step_index, tool, arguments, ok, observation FROM tool_calls "
        "WHERE run_id = ? ORDER BY step_index",
        result.run_id,
    )
    assert [(t[0], t[1], json.loads(t[2]), t[3]) for t in tools] == [
        (1, "search", {"entity": "Arthur's Magazine"}, True),
        (2, "search", {"entity": "First for Women"}, True),
    ]
    assert tools[1][4] == "1989."


def test_failed_tool_call_and_max_steps_run(run_react, sql):
    result = run_react(
        " Try the service.\nAction 1: flaky[anything]",
        " Give up.\nAction 2: search[Nothing Here]",
        "unknown",
        max_steps=2,
    )
    assert result.status is RunStatus.MAX_STEPS
    [(status, answer, steps)] = sql(
        "SELECT status, answer, step_count FROM runs WHERE run_id = ?", result.run_id
    )
    assert (status, answer, steps) == ("max_steps", "unknown", 3)
    [failed] = sql(
        "SELECT tool, ok, error_kind, error_message, observation FROM tool_calls "
        "WHERE run_id = ? AND NOT ok",
        result.run_id,
    )
    assert failed == ("flaky", False, "down", "service unavailable", "service unavailable")
    kinds = sql(
        "SELECT kind, tool_error_kind FROM steps WHERE run_id = ? ORDER BY step_index",
        result.run_id,
    )
    assert kinds == [("react", "down"), ("react", None), ("final", None)]


def test_backend_failure_is_stored_as_an_error_run(run_react, sql):
    result = run_react(" First.\nAction 1: search[First for Women]")  # no second completion
    assert result.status is RunStatus.ERROR
    [(status, error, steps)] = sql(
        "SELECT status, error, step_count FROM runs WHERE run_id = ?", result.run_id
    )
    assert status == "error"
    assert "no completion left" in error
    assert steps == 1
    # the call that failed is recorded, without a completion
    calls = sql(
        "SELECT step_index, completion IS NULL, finish_reason FROM llm_calls "
        "WHERE run_id = ? ORDER BY call_index",
        result.run_id,
    )
    assert calls == [(1, False, "stop"), (2, True, "error")]


def test_cancelled_mid_generation_is_stored_with_the_unanswered_call(pm, finished_script, sql):
    agent = ReActAgent(ScriptedBackend(list(finished_script)), tools=[], plugin_manager=pm)
    result = agent.run("Cancel me", on_token=lambda piece: agent.cancel())
    assert result.status is RunStatus.CANCELLED
    [(status, error)] = sql("SELECT status, error FROM runs WHERE run_id = ?", result.run_id)
    assert (status, error) == ("cancelled", "cancelled by the user")
    [(prompt, completion, reason)] = sql(
        "SELECT prompt, completion, finish_reason FROM llm_calls WHERE run_id = ?", result.run_id
    )
    assert prompt.endswith("Question: Cancel me\nThought 1:")
    assert (completion, reason) == (None, "cancelled")


def test_run_row_says_running_while_the_run_is_going(pm, sql):
    seen: list[tuple] = []

    @tool
    def peek(entity: str) -> str:
        """Read the store from inside the run.

        Args:
            entity: Ignored.
        """
        seen.extend(sql("SELECT status, agent, input, pid FROM runs"))
        return "peeked"

    backend = ScriptedBackend([" Look.\nAction 1: peek[x]", " Done.\nAction 2: finish[ok]"])
    result = ReActAgent(backend, tools=[peek], plugin_manager=pm).run("Is it running?")
    assert seen == [("running", "react", "Is it running?", os.getpid())]
    assert sql("SELECT status FROM runs WHERE run_id = ?", result.run_id) == [("finished",)]


class CannedExecutor(CodeExecutor):
    """Stands in for the sandbox (not under test here): reports given outcomes, runs nothing."""

    name = "canned"

    def __init__(self, *outcomes: ExecutionResult) -> None:
        self.outcomes = list(outcomes)
        self.programs: list[str] = []

    def run(self, code, *, entrypoint="solution", timeout_s=None) -> ExecutionResult:
        self.programs.append(code)
        return self.outcomes.pop(0)


def test_pal_run_stores_programs_as_executor_calls(pm, sql):
    executor = CannedExecutor(
        ExecutionResult(error=ExecutionError(kind="runtime_error", message="NameError: x")),
        ExecutionResult(value=74, stdout="baked 74\n"),
    )
    backend = ScriptedBackend(["    return x\n", "    loaves = 74\n    return loaves\n"])
    agent = PALAgent(backend, executor=executor, plugin_manager=pm, retries=1)
    result = agent.run("How many loaves are left?")
    assert (result.status, result.answer) == (RunStatus.FINISHED, "74")

    rows = sql(
        "SELECT step_index, tool, arguments, ok, error_kind, error_message, data "
        "FROM tool_calls WHERE run_id = ? ORDER BY step_index",
        result.run_id,
    )
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        (1, "canned", False, "runtime_error", "NameError: x"),
        (2, "canned", True, None, None),
    ]
    assert json.loads(rows[1][2]) == {"code": executor.programs[1]}
    assert json.loads(rows[1][6])["stdout"] == "baked 74\n"
    kinds = sql("SELECT DISTINCT kind, agent FROM steps JOIN runs USING (run_id)")
    assert kinds == [("program", "pal")]
    [(tools,)] = sql("SELECT tools FROM runs WHERE run_id = ?", result.run_id)
    assert json.loads(tools) == ["executor:canned"]


def test_store_off_writes_nothing(monkeypatch, tmp_path):
    from agentcore.plugins import AgentcorePluginManager

    monkeypatch.setenv("AGENTCORE_STORE", "off")
    monkeypatch.setenv("AGENTCORE_CACHE", str(tmp_path / "cache"))
    pm = AgentcorePluginManager(allow={"store", "scripted"})
    backend = ScriptedBackend([" Easy.\nAction 1: finish[x]"])
    assert ReActAgent(backend, tools=[], plugin_manager=pm).run("q?").answer == "x"
    assert list(tmp_path.iterdir()) == []  # neither the cache folder nor a store file


def test_runs_on_parallel_threads_all_land(pm, finished_script, sql):
    from concurrent.futures import ThreadPoolExecutor

    def one(number: int) -> str:
        backend = ScriptedBackend([f" Known.\nAction 1: finish[answer {number}]"])
        return ReActAgent(backend, tools=[], plugin_manager=pm).run(f"Q{number}?").run_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        run_ids = list(pool.map(one, range(6)))
    rows = sql("SELECT run_id, status, answer FROM runs")
    assert sorted(rows) == sorted(
        (run_id, "finished", f"answer {n}") for n, run_id in enumerate(run_ids)
    )
    assert sql("SELECT count(*) FROM llm_calls") == [(6,)]


def test_feedback_given_through_the_hook_is_stored_beside_the_run(pm, run_react, sql):
    """What `agentcore serve` sends on POST /v1/runs/{id}/feedback (the on_feedback hook)."""
    result = run_react(" x\nAction 1: finish[Arthur's Magazine]")
    failures = pm.emit(
        "on_feedback", run_id=result.run_id, rating="good", note="right", source="api:abc"
    )
    assert failures == []
    assert sql("SELECT run_id, rating, note FROM feedback") == [(result.run_id, "good", "right")]
