"""What every agent loop shares: resolving parts by name, the run lifecycle, LLM calls.

A run always ends with a :class:`~agentcore.models.RunResult` holding a status
and every step taken, whether the loop finished, ran out of steps, failed or
was cancelled (Ctrl-C or :meth:`Agent.cancel`). Event hooks see the run start,
each LLM call, each step and the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from agentcore.backends import LLMBackend, RetryCallback, TokenCallback
from agentcore.errors import AgentcoreError, ConfigError, RunCancelled
from agentcore.guardrails import Guardrails, RunContext, RunRefused
from agentcore.models import (
    Completion,
    GenerationConfig,
    RunInfo,
    RunResult,
    RunStatus,
    Step,
    ToolResult,
)
from agentcore.plugins import AgentcorePluginManager, get_plugin_manager
from agentcore.prompts import PromptTemplate, load_prompt
from agentcore.untrusted import Markers, PromptGuard

DEFAULT_BACKEND = "llama-cpp"


class RunStream:
    """Iterate over a run's steps as they complete; ``result`` is set when it ends.

    >>> stream = agent.stream("question")      # doctest: +SKIP
    >>> for step in stream: print(step.thought)  # doctest: +SKIP
    >>> stream.result.answer                      # doctest: +SKIP
    """

    def __init__(self, steps: Iterator[Step], holder: dict[str, RunResult]) -> None:
        self._steps = steps
        self._holder = holder

    def __iter__(self) -> Iterator[Step]:
        return self._steps

    @property
    def result(self) -> RunResult:
        if "result" not in self._holder:
            for _ in self._steps:  # drain: the caller asked for the end
                pass
        return self._holder["result"]


class Agent:
    """Base of the loops. Subclasses implement :meth:`_loop`."""

    kind = "agent"
    default_prompt = ""
    default_generation = GenerationConfig()

    def __init__(
        self,
        backend: str | LLMBackend = DEFAULT_BACKEND,
        *,
        model: str | None = None,
        backend_options: dict[str, Any] | None = None,
        generation: GenerationConfig | dict[str, Any] | None = None,
        prompt: str | PromptTemplate | None = None,
        shots: int | None = None,
        settings: dict[str, Any] | None = None,
        plugin_manager: AgentcorePluginManager | None = None,
        keep_prompts: bool = False,
    ) -> None:
        self.pm = plugin_manager or get_plugin_manager()
        self.backend = self._resolve_backend(backend, model, backend_options or {})
        self.generation = self._resolve_generation(generation)
        self.template = (
            prompt
            if isinstance(prompt, PromptTemplate)
            else load_prompt(prompt or self.default_prompt)
        )
        self.shots = shots
        self.settings = settings or {}
        self.keep_prompts = keep_prompts
        self._cancel = threading.Event()
        self._on_token: TokenCallback | None = None
        self._on_retry: RetryCallback | None = None
        self._guard: PromptGuard | None = None
        self._guardrails: Guardrails | None = None

    # -- construction helpers ----------------------------------------------------------------

    def _resolve_backend(
        self, backend: str | LLMBackend, model: str | None, options: dict[str, Any]
    ) -> LLMBackend:
        if isinstance(backend, LLMBackend):
            if model is not None or options:
                raise ConfigError(
                    "model/backend_options apply only when the backend is given by name; "
                    "configure the backend object itself instead"
                )
            return backend
        if model is not None:
            options = {**options, "model": model}
        return self.pm.create("backend", backend, **options)

    def _resolve_generation(self, generation: GenerationConfig | dict[str, Any] | None):
        if generation is None:
            return self.default_generation
        if isinstance(generation, GenerationConfig):
            return generation
        merged = {**self.default_generation.model_dump(exclude_unset=True), **generation}
        return GenerationConfig(**merged)

    # -- public API --------------------------------------------------------------------------

    def run(
        self,
        task: str,
        *,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> RunResult:
        """Run to the end and return the complete result."""
        return self.stream(task, on_token=on_token, on_retry=on_retry).result

    def stream(
        self,
        task: str,
        *,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> RunStream:
        """Start a run whose steps can be iterated as they complete.

        ``on_token`` receives generated text as it streams; ``on_retry`` is told when the
        text streamed so far for a step is discarded and generated again (a malformed ReAct
        step repaired under the grammar), so a live display can start the step afresh.
        """
        holder: dict[str, RunResult] = {}
        return RunStream(self._lifecycle(task, on_token, holder, on_retry), holder)

    def cancel(self) -> None:
        """Ask the current run to stop; it ends with status ``cancelled``."""
        self._cancel.set()

    def tool_names(self) -> list[str]:
        return []

    # -- the lifecycle -----------------------------------------------------------------------

    def _lifecycle(
        self,
        task: str,
        on_token: TokenCallback | None,
        holder: dict[str, RunResult],
        on_retry: RetryCallback | None = None,
    ) -> Iterator[Step]:
        self._cancel.clear()
        if not isinstance(task, str) or not task.strip():
            raise ConfigError(f"the {self.kind} input must be a non-empty string, got {task!r}")
        run = RunResult(
            agent=self.kind,
            input=task,
            status=RunStatus.ERROR,
            backend=self.backend.name,
            model=self.backend.model_name,
            prompt_name=self.template.name,
            shots=self.shots,
        )
        started = time.perf_counter()
        self._guardrails = Guardrails(self.pm, self._run_context(run))
        self._emit(
            run,
            "on_run_start",
            run=RunInfo(
                run_id=run.run_id,
                agent=self.kind,
                input=task,
                backend=self.backend.name,
                model=self.backend.model_name,
                tools=self.tool_names(),
                config=self.generation,
                started_at=run.started_at,
            ),
        )
        self._on_token = on_token
        self._on_retry = on_retry
        try:
            self._guardrails.check_input()
            for step in self._loop(run):
                run.steps.append(step)
                run.usage = run.usage + step.usage
                self._emit(run, "on_step", run_id=run.run_id, step=step)
                yield step
                if self._cancel.is_set():
                    raise RunCancelled
                self._guardrails.raise_if_refused()
            self._guardrails.check_output()
        except RunRefused as exc:
            run.status = RunStatus.REFUSED
            run.error = str(exc)
        except (KeyboardInterrupt, RunCancelled):
            run.status = RunStatus.CANCELLED
            run.error = "cancelled by the user"
        except AgentcoreError as exc:
            run.status = RunStatus.ERROR
            run.error = str(exc)
        except Exception as exc:  # a bug or a backend failure: keep the trace, report it
            run.status = RunStatus.ERROR
            run.error = f"{type(exc).__name__}: {exc}"
        finally:
            run.duration_s = time.perf_counter() - started
            holder["result"] = run
            self._emit(run, "on_run_end", result=run)

    def _loop(self, run: RunResult) -> Iterator[Step]:
        raise NotImplementedError

    # -- guardrails and what is stored -------------------------------------------------------

    def _run_context(self, run: RunResult) -> RunContext:
        """What the guardrail hooks see of this run (:mod:`agentcore.guardrails`)."""

        def model_call(index: int, prompt: str, config: GenerationConfig, grammar: str | None):
            return self._generate(run, index, prompt, config, grammar=grammar, stream=False)

        return RunContext(
            run_id=run.run_id,
            agent=self.kind,
            input=run.input,
            settings=self.settings,
            backend=self.backend,
            result=run,
            model_call=model_call,
        )

    def _blocked(self, tool: str, arguments: dict[str, Any], step_index: int) -> ToolResult | None:
        """The tool-call check: ``None`` when the call may run, else the blocked call's result."""
        guardrails = self._guardrails
        return guardrails.blocked(tool, arguments, step_index) if guardrails else None

    def _emit(self, record: RunResult, event: str, /, **kwargs: Any) -> None:
        """Call an event hook with what may be stored: strings pass the run's redactors.

        A plugin that fails in the hook is recorded in ``record.warnings``; the run goes on.
        """
        guardrails = self._guardrails
        for failure in self.pm.emit(event, **(guardrails.redact(kwargs) if guardrails else kwargs)):
            warning = f"plugin {failure.name!r} failed in {failure.entry_point}: {failure.error}"
            if warning not in record.warnings:
                record.warnings.append(warning)

    # -- untrusted text ----------------------------------------------------------------------

    @property
    def guard(self) -> PromptGuard:
        """Cleans untrusted text for this agent's prompts (:mod:`agentcore.untrusted`).

        Built on first use from the backend's special-token strings and the transcript
        markers the prompt template itself uses.
        """
        if self._guard is None:
            template = self.template
            markers = Markers.from_prompt(
                [template.question, *template.exemplars, *template.extras.values()],
                [template.instructions],
            )
            self._guard = PromptGuard(self.backend.special_tokens(), markers)
        return self._guard

    def _task_text(self, run: RunResult) -> str:
        """The run's input as it goes into the prompt: cleaned, changes noted on the run."""
        changes: list[str] = []
        text = self.guard.as_data(run.input, changes, "input")
        run.notes.extend(change for change in changes if change not in run.notes)
        return text

    def _retrying(self, step_index: int, reason: str) -> None:
        """Tell the caller that step ``step_index``'s streamed text is being redone."""
        if self._on_retry is not None:
            self._on_retry(step_index, reason)

    # -- calling the model -------------------------------------------------------------------

    def _generate(
        self,
        run: RunResult,
        step_index: int,
        prompt: str,
        config: GenerationConfig,
        *,
        grammar: str | None = None,
        stream: bool = True,
    ) -> Completion:
        """One backend call; ``stream=False`` keeps its tokens from the user's callback."""
        if self._cancel.is_set():
            raise RunCancelled
        self._emit(
            run,
            "before_llm_call",
            run_id=run.run_id,
            step_index=step_index,
            prompt=prompt,
            config=config,
        )
        user_callback = self._on_token if stream else None

        def on_token(piece: str) -> None:
            if self._cancel.is_set():
                raise RunCancelled
            if user_callback is not None:
                user_callback(piece)

        completion = self.backend.complete(
            prompt, config, on_token=on_token, grammar=grammar, session=run.run_id
        )
        if completion.finish_reason == "cancelled" or self._cancel.is_set():
            raise RunCancelled
        self._emit(
            run,
            "after_llm_call",
            run_id=run.run_id,
            step_index=step_index,
            prompt=prompt,
            completion=completion,
        )
        return completion

    def _new_step(self, index: int, prompt: str, completion: Completion, **fields: Any) -> Step:
        return Step(
            index=index,
            prompt_sha256=Step.hash_prompt(prompt),
            prompt_tokens=completion.usage.prompt_tokens,
            prompt=prompt if self.keep_prompts else None,
            completion=completion.text,
            usage=completion.usage,
            llm_s=completion.timings.total_s,
            finish_reason=completion.finish_reason,
            **fields,
        )
