"""PAL's retry path, fast: a failing program's error goes back to the model, which tries again.

Scripted completions (the model's side) and the real sandbox (the program's side): the
engine's own logic is what is under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.models import RunStatus, StepKind
from agentcore.pal import PALAgent

PROBLEM = "A baker baked 200 loaves, sold 93 and 39, and got 6 back. How many are left?"
# Completions continue the prompt's "def solution():\n" (the template's program_prefix).
BROKEN = "    left = 200 - 93 - 39 + returned\n    return left\n"
FIXED = "    returned = 6\n    return 200 - 93 - 39 + returned\n"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    from agentcore.plugins import get_plugin_manager

    executor = get_plugin_manager().create("executor", "sandbox")
    yield executor
    executor.close()


def pal(sandbox, *completions: str, retries: int = 1) -> tuple[PALAgent, ScriptedBackend]:
    backend = ScriptedBackend(list(completions))
    return PALAgent(backend, executor=sandbox, retries=retries), backend


def test_the_error_of_a_failing_program_is_shown_to_the_model_and_the_retry_answers(sandbox):
    agent, backend = pal(sandbox, BROKEN, FIXED)
    result = agent.run(PROBLEM)
    assert result.status is RunStatus.FINISHED, result.error
    assert result.answer == "74"
    assert [s.kind for s in result.steps] == [StepKind.PROGRAM, StepKind.PROGRAM]
    first, second = result.steps
    assert first.tool_result is not None and not first.tool_result.ok
    assert first.tool_result.error_kind == "runtime_error"
    assert "NameError" in first.observation and "returned" in first.observation
    # The second prompt extends the first: the failed program, then its error as a comment.
    prompts = backend.prompts
    assert len(prompts) == 2 and prompts[1].startswith(prompts[0])
    retry_part = prompts[1][len(prompts[0]) :]
    assert BROKEN.rstrip() in retry_part
    assert "# The program above failed with this error:" in retry_part
    assert "NameError" in retry_part
    assert retry_part.endswith("def solution():\n")
    assert second.tool_result is not None and second.tool_result.ok


def test_without_a_working_program_the_run_ends_in_error_with_the_last_failure(sandbox):
    agent, _ = pal(sandbox, BROKEN, BROKEN, retries=1)
    result = agent.run(PROBLEM)
    assert result.status is RunStatus.ERROR
    assert result.answer is None
    assert len(result.steps) == 2
    assert result.error.startswith("no working program after 2 attempt(s): runtime_error")


def test_retries_zero_means_one_attempt(sandbox):
    agent, backend = pal(sandbox, BROKEN, FIXED, retries=0)
    result = agent.run(PROBLEM)
    assert result.status is RunStatus.ERROR and len(result.steps) == 1
    assert len(backend.prompts) == 1


def test_a_forbidden_program_is_retried_like_any_other_failure(sandbox):
    agent, _ = pal(sandbox, "    return open('/etc/passwd').read()\n", FIXED)
    result = agent.run(PROBLEM)
    assert result.status is RunStatus.FINISHED and result.answer == "74"
    assert result.steps[0].tool_result.error_kind == "forbidden"
    assert "open" in result.steps[0].observation
