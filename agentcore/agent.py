"""What every agent loop shares: resolving parts by name, the run lifecycle, LLM calls.

A run always ends with a :class:`~agentcore.models.RunResult` holding a status
and every step taken, whether the loop finished, ran out of steps, failed or
was cancelled (Ctrl-C or :meth:`Agent.cancel`). Event hooks see the run start,
each LLM call, each step and the end.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from agentcore.backends import LLMBackend, RetryCallback, TokenCallback
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import AgentcoreError, ConfigError, RunCancelled
from agentcore.guardrails import Guardrails, RunContext, RunRefused
from agentcore.models import (
    Completion,
    GenerationConfig,
    PromptFit,
    PromptTurns,
    RunInfo,
    RunResult,
    RunStatus,
    Step,
    ToolResult,
)
from agentcore.plugins import AgentcorePluginManager, get_plugin_manager
from agentcore.prompts import PromptTemplate, fit_prompt, load_prompt
from agentcore.run import Run
from agentcore.tools import ToolContext
from agentcore.untrusted import Markers, PromptGuard

if TYPE_CHECKING:
    from agentcore.memory import Conversation

log = logging.getLogger(__name__)
#: What a run id given by the caller may be: safe in a URL, a file name and a log line.
RUN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class RunStream:
    """Iterate over a run's steps as they complete; ``result`` is set when it ends.

    >>> stream = agent.stream("question")      # doctest: +SKIP
    >>> for step in stream: print(step.thought)  # doctest: +SKIP
    >>> stream.result.answer                      # doctest: +SKIP
    """

    def __init__(self, steps: Iterator[Step], run: Run) -> None:
        self._steps = steps
        self._run = run

    def __iter__(self) -> Iterator[Step]:
        return self._steps

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def result(self) -> RunResult:
        """The complete record; asking for it before the end runs the rest of the run."""
        if not self._run.done:
            for _ in self._steps:  # drain: the caller asked for the end
                pass
        return self._run.record

    def cancel(self) -> None:
        """Ask this run to stop; it ends with status ``cancelled`` at the next check."""
        self._run.cancel.set()


class Agent:
    """Base of the loops. Subclasses implement :meth:`_loop`.

    The object holds configuration only; each run's state is a :class:`~agentcore.run.Run`
    passed through the loop, so one agent serves concurrent runs (from several threads).
    """

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
        self.generation = self._resolve_generation(generation)
        self.template = (
            prompt
            if isinstance(prompt, PromptTemplate)
            else load_prompt(prompt or self.default_prompt)
        )
        self.shots = shots
        self.settings = settings or {}
        self.keep_prompts = keep_prompts
        self._guard: PromptGuard | None = None
        self._active: set[Run] = set()
        self._active_lock = threading.Lock()
        self._resolve_parts()
        # last: loading a model is what costs, so every other mistake is found before it
        self.backend = self._resolve_backend(backend, model, backend_options or {})

    # -- construction helpers ----------------------------------------------------------------

    def _resolve_parts(self) -> None:
        """Build what the agent needs besides the model (tools, an executor, a retriever).

        Called before the backend is built, so a misspelt tool or a missing index is
        reported before a model is loaded. ``self.backend`` does not exist yet here.
        """

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
        started = time.perf_counter()
        made = self.pm.create("backend", backend, **options)
        log.info(
            "backend %s ready: model %s, %d-token context (%.1f s)",
            backend, made.model_name, made.context_window, time.perf_counter() - started,
        )  # fmt: skip
        return made

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
        run_id: str | None = None,
    ) -> RunStream:
        """Start a run whose steps can be iterated as they complete.

        ``on_token`` receives generated text as it streams; ``on_retry`` is told when the
        text streamed so far for a step is discarded and generated again (a malformed ReAct
        step repaired under the grammar), so a live display can start the step afresh.
        ``run_id`` names the run (an application that queued it gave it an id already);
        by default a new one is made.
        """
        run = self._new_run(task, on_token=on_token, on_retry=on_retry, run_id=run_id)
        return RunStream(self._lifecycle(run), run)

    def cancel(self) -> None:
        """Ask every run of this agent in progress to stop; each ends ``cancelled``.

        To stop one run of several, use :meth:`RunStream.cancel`.
        """
        with self._active_lock:
            for run in self._active:
                run.cancel.set()

    def tool_names(self) -> list[str]:
        return []

    def step_lead(self, step_index: int) -> str:
        """The prompt text right before the model's output at step ``step_index``.

        A live display shows it before the streamed tokens, so the stream reads as the
        transcript the model sees; it comes from the prompt file (``step_prefix``,
        ``program_prefix``, ...), never from display code.
        """
        return ""

    def step_lines(self, step: Step) -> list[str]:
        """A finished step as the prompt writes it, for displays that did not stream it."""
        return [step.thought] if step.thought else []

    def observation_line(self, step_index: int, observation: str) -> str | None:
        """How the prompt writes an observation for step ``step_index`` (``None``: it has no
        observation format), for displays that show the run as its transcript."""
        return None

    # -- the lifecycle -----------------------------------------------------------------------

    def _new_run(
        self,
        task: str,
        *,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
        conversation: Conversation | None = None,
        tool_state: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> Run:
        """A run of ``task``, not started; the input is checked here, before anything runs."""
        if not isinstance(task, str) or not task.strip():
            raise ConfigError(f"the {self.kind} input must be a non-empty string, got {task!r}")
        if run_id is not None and not RUN_ID.fullmatch(run_id):
            raise ConfigError(f"run_id must be 8 to 64 letters, digits, '-' or '_', got {run_id!r}")
        record = RunResult(
            **({"run_id": run_id} if run_id is not None else {}),
            agent=self.kind,
            input=task,
            status=RunStatus.ERROR,
            backend=self.backend.name,
            model=self.backend.model_name,
            prompt_name=self.template.name,
            shots=self.shots,
        )
        tools = ToolContext(
            run_id=record.run_id,
            task=task,
            settings=self.settings,
            state={} if tool_state is None else tool_state,
            conversation=conversation,
        )
        return Run(record=record, tools=tools, on_token=on_token, on_retry=on_retry)

    def _lifecycle(self, run: Run) -> Iterator[Step]:
        record = run.record
        started = time.perf_counter()
        with self._active_lock:
            self._active.add(run)
        run.guardrails = Guardrails(self.pm, self._guardrail_context(run))
        self._emit(
            run,
            "on_run_start",
            run=RunInfo(
                run_id=record.run_id,
                agent=self.kind,
                input=record.input,
                backend=self.backend.name,
                model=self.backend.model_name,
                tools=self.tool_names(),
                config=self.generation,
                started_at=record.started_at,
            ),
        )
        try:
            run.guardrails.check_input()
            for step in self._loop(run):
                record.steps.append(step)
                record.usage = record.usage + step.usage
                self._emit(run, "on_step", run_id=record.run_id, step=step)
                yield step
                run.raise_if_cancelled()
                run.guardrails.raise_if_refused()
            run.guardrails.check_output()
        except RunRefused as exc:
            record.status = RunStatus.REFUSED
            record.error = str(exc)
        except (KeyboardInterrupt, RunCancelled):
            record.status = RunStatus.CANCELLED
            record.error = "cancelled by the user"
        except AgentcoreError as exc:
            record.status = RunStatus.ERROR
            record.error = str(exc)
        except Exception as exc:  # a bug or a backend failure: keep the trace, report it
            record.status = RunStatus.ERROR
            record.error = f"{type(exc).__name__}: {exc}"
        finally:
            record.duration_s = time.perf_counter() - started
            run.done = True
            with self._active_lock:
                self._active.discard(run)
            log.info(
                "run %s (%s) ended %s after %d step(s), %.1f s",
                record.run_id, self.kind, record.status.value, len(record.steps),
                record.duration_s,
            )  # fmt: skip
            self._emit(run, "on_run_end", result=record)

    def _loop(self, run: Run) -> Iterator[Step]:
        raise NotImplementedError

    # -- guardrails and what is stored -------------------------------------------------------

    def _guardrail_context(self, run: Run) -> RunContext:
        """What the guardrail hooks see of this run (:mod:`agentcore.guardrails`)."""

        def model_call(index: int, prompt: str, config: GenerationConfig, grammar: str | None):
            return self._generate(run, index, prompt, config, grammar=grammar, stream=False)

        return RunContext(
            run_id=run.run_id,
            agent=self.kind,
            input=run.record.input,
            settings=self.settings,
            backend=self.backend,
            result=run.record,
            model_call=model_call,
        )

    def _blocked(
        self, run: Run, tool: str, arguments: dict[str, Any], step_index: int
    ) -> ToolResult | None:
        """The tool-call check: ``None`` when the call may run, else the blocked call's result."""
        guardrails = run.guardrails
        return guardrails.blocked(tool, arguments, step_index) if guardrails else None

    def _emit(self, run: Run, event: str, /, **kwargs: Any) -> None:
        """Call an event hook with what may be stored: strings pass the run's redactors.

        A plugin that fails in the hook is recorded in the run's ``warnings``; the run goes on.
        """
        guardrails = run.guardrails
        warnings = run.record.warnings
        for failure in self.pm.emit(event, **(guardrails.redact(kwargs) if guardrails else kwargs)):
            warning = f"plugin {failure.name!r} failed in {failure.entry_point}: {failure.error}"
            if warning not in warnings:
                warnings.append(warning)

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

    def _task_text(self, run: Run) -> str:
        """The run's input as it goes into the prompt: cleaned, changes noted on the run."""
        changes: list[str] = []
        text = self.guard.as_data(run.record.input, changes, "input")
        for change in changes:
            run.note(change)
        return text

    # -- fitting the prompt ------------------------------------------------------------------

    def _fit_prompt(self, run: Run, question: str, reserve_tokens: int, **values: Any) -> PromptFit:
        """The prompt with as many exemplars as fit; the run records how many and why."""
        fit = self._try_fit(question, reserve_tokens, **values)
        self._record_fit(run, fit)
        return fit

    def _try_fit(self, question: str, reserve_tokens: int, **values: Any) -> PromptFit:
        """:func:`~agentcore.prompts.fit_prompt` on this agent's template and backend."""
        return fit_prompt(
            self.template,
            question,
            shots=self.shots,
            count_tokens=self.backend.count_tokens,
            context_window=self.backend.context_window,
            reserve_tokens=reserve_tokens,
            **values,
        )

    @staticmethod
    def _record_fit(run: Run, fit: PromptFit) -> None:
        run.record.shots = fit.shots_used
        run.note(fit.note)

    def _fits(self, prompt: str, config: GenerationConfig) -> bool:
        """Whether ``prompt`` leaves room for ``config.max_new_tokens`` in the context window."""
        needed = self.backend.count_tokens(prompt) + config.max_new_tokens
        return needed <= self.backend.context_window

    # -- calling the model -------------------------------------------------------------------

    def _generate(
        self,
        run: Run,
        step_index: int,
        prompt: str,
        config: GenerationConfig,
        *,
        grammar: str | None = None,
        stream: bool = True,
        turns: PromptTurns | None = None,
    ) -> Completion:
        """One backend call; ``stream=False`` keeps its tokens from the user's callback.

        ``turns`` is ``prompt`` as chat turns, for a backend that sends messages
        (:attr:`~agentcore.backends.LLMBackend.accepts_turns`).

        A seeded sampling run uses one seed per step, derived from its own (``seed + step``):
        its steps do not all replay the same random stream, and the run repeats as a whole.
        """
        run.raise_if_cancelled()
        if config.seed is not None and not config.is_greedy:
            config = config.model_copy(update={"seed": (config.seed + step_index) % 2**32})
        self._emit(
            run,
            "before_llm_call",
            run_id=run.run_id,
            step_index=step_index,
            prompt=prompt,
            config=config,
        )
        user_callback = run.on_token if stream else None

        def on_token(piece: str) -> None:
            run.raise_if_cancelled()
            if user_callback is not None:
                user_callback(piece)

        chat = {"turns": turns} if turns is not None and self.backend.accepts_turns else {}
        completion = self.backend.complete(
            prompt, config, on_token=on_token, grammar=grammar, session=run.run_id, **chat
        )
        if completion.finish_reason == "cancelled":
            raise RunCancelled
        run.raise_if_cancelled()
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
