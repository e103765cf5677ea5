"""The PAL loop: the model writes a program, a sandbox runs it, its value is the answer.

1. prompt with worked examples ending in ``def solution():``;
2. the model writes the body; :func:`~agentcore.parsing.extract_program` cuts
   the program out of whatever else it wrote;
3. a code executor plugin runs it in a child process (never in this one);
4. the value returned by ``solution()`` is the answer. If the program fails,
   the error goes back to the model (``retries`` times) to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError
from agentcore.executors import CodeExecutor
from agentcore.models import (
    ExecutionError,
    ExecutionResult,
    GenerationConfig,
    Message,
    PromptTurns,
    RunStatus,
    Step,
    StepKind,
    ToolResult,
)
from agentcore.parsing import ParseError, extract_program, format_answer
from agentcore.run import Run
from agentcore.turns import single_call_turns


class PALAgent(Agent):
    """Solve problems by writing a program that an executor runs.

    ``executor`` is the name of a registered code executor (default
    ``sandbox``) or a :class:`~agentcore.executors.CodeExecutor`.
    """

    kind = "pal"
    default_prompt = "pal/math"
    default_generation = GenerationConfig(max_new_tokens=320, temperature=0.0)

    def __init__(
        self,
        backend: str | LLMBackend = DEFAULT_BACKEND,
        *,
        executor: str | CodeExecutor = "sandbox",
        executor_options: dict[str, Any] | None = None,
        retries: int = 1,
        timeout_s: float | None = None,
        **options: Any,
    ) -> None:
        if retries < 0:
            raise ConfigError(f"retries must be 0 or more, got {retries}")
        self._executor_choice = (executor, executor_options or {})
        super().__init__(backend, **options)
        self.retries = retries
        self.timeout_s = timeout_s

    def _resolve_parts(self) -> None:
        executor, executor_options = self._executor_choice
        if isinstance(executor, CodeExecutor):
            self.executor = executor
        else:
            self.executor = self.pm.create("executor", executor, **executor_options)

    def tool_names(self) -> list[str]:
        return [f"executor:{self.executor.name}"]

    def step_lead(self, step_index: int) -> str:
        return self.template.extra("program_prefix")

    def _loop(self, run: Run) -> Iterator[Step]:
        config = self.generation.with_stop(*self.template.stop_sequences("question"))
        fit = self._fit_prompt(
            run, self._task_text(run), config.max_new_tokens * (1 + self.retries)
        )
        prefix = self.template.extra("program_prefix")
        prompt = fit.prompt + prefix
        turns = single_call_turns(fit.prompt, fit.question_at, lead=prefix)

        for attempt in range(1, self.retries + 2):
            completion = self._generate(run, attempt, prompt, config, turns=turns)
            step = self._new_step(attempt, prompt, completion, kind=StepKind.PROGRAM)
            try:
                program = extract_program(completion.text, prefix=prefix)
            except ParseError as exc:
                error = str(exc)
                step.parse_error = error
                step.observation = error
            else:
                step.thought = program
                result = self._blocked_program(run, program, attempt) or self.executor.run(
                    program, entrypoint="solution", timeout_s=self.timeout_s
                )
                step.tool_s = result.duration_s
                step.tool_result = ToolResult(
                    tool=self.executor.name,
                    ok=result.ok,
                    observation=_describe(result),
                    error_kind=result.error.kind if result.error else None,
                    duration_s=result.duration_s,
                    data=result.model_dump(),
                )
                step.observation = step.tool_result.observation
                if result.ok:
                    run.record.answer = format_answer(result.value)
                    run.record.status = RunStatus.FINISHED
                    yield step
                    return
                error = f"{result.error.kind}: {result.error.message}"
                self._emit(
                    run,
                    "on_tool_error",
                    run_id=run.run_id,
                    step_index=attempt,
                    tool=self.executor.name,
                    error_kind=result.error.kind,
                    message=result.error.message,
                )
            # What the program printed or raised is data (it is model-written code's output).
            error_text = self.guard.as_data(" ".join(error.split())[:300], step.sanitized)
            yield step
            retry_text = self.template.extra("retry", error=error_text)
            prompt = prompt + completion.text.rstrip() + retry_text
            # as turns: the program was the assistant's; the error, and the retry, the user's
            asked = retry_text.removesuffix(prefix)
            lead = prefix if asked != retry_text else ""
            written = Message(role="assistant", content=(turns.lead + completion.text).strip())
            feedback = Message(role="user", content=asked.strip())
            turns = PromptTurns(messages=[*turns.messages, written, feedback], lead=lead)
            if not self._fits(prompt, config):
                break
        run.record.status = RunStatus.ERROR
        run.record.error = f"no working program after {self.retries + 1} attempt(s): {error}"

    def _blocked_program(self, run: Run, program: str, attempt: int) -> ExecutionResult | None:
        """The tool-call check on the program: a blocked one is not run (error ``blocked``)."""
        blocked = self._blocked(run, self.executor.name, {"code": program}, attempt)
        if blocked is None:
            return None
        return ExecutionResult(error=ExecutionError(kind="blocked", message=blocked.observation))


def _describe(result: Any) -> str:
    if result.ok:
        out = f"value: {result.value!r}"
        if result.stdout:
            out += f"; stdout: {result.stdout.strip()[:200]}"
        return out
    return f"{result.error.kind}: {result.error.message}"
