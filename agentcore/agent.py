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

from agentcore.approvals import ApprovalPolicy, approval_policy, decide
from agentcore.backends import LLMBackend, RetryCallback, TokenCallback
from agentcore.checkpoints import (
    RUNNING,
    Checkpoint,
    Checkpointer,
    CheckpointError,
    mark_live,
)
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import AgentcoreError, ConfigError, RunCancelled
from agentcore.guardrails import Guardrails, RunContext, RunRefused
from agentcore.models import (
    Completion,
    Decision,
    GenerationConfig,
    PendingAction,
    PromptFit,
    PromptTurns,
    RunBudget,
    RunInfo,
    RunResult,
    RunStatus,
    Step,
    ToolRequest,
    ToolResult,
    Usage,
)
from agentcore.plugins import AgentcorePluginManager, get_plugin_manager
from agentcore.prompts import PromptTemplate, fit_prompt, load_prompt
from agentcore.run import BudgetSpent, Run, RunPaused
from agentcore.tools import ToolContext
from agentcore.untrusted import Markers, PromptGuard

if TYPE_CHECKING:
    from agentcore.aio import AsyncRunStream
    from agentcore.memory import Conversation
    from agentcore.run_store import RunStore
    from agentcore.specs import AgentSpec

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
        checkpoints: RunStore | str | None = None,
        budget: RunBudget | dict[str, Any] | None = None,
        approval: ApprovalPolicy | dict[str, Any] | list[str] | None = None,
        keep_kv: bool = False,
    ) -> None:
        """``checkpoints`` makes runs durable: each step is committed to that run store (an
        object, or a location such as ``runs.duckdb``), and :meth:`resume` continues a run
        that stopped. ``budget`` limits each run's tokens and time (:class:`RunBudget`);
        ``approval`` names tool calls that wait for a person
        (:class:`~agentcore.approvals.ApprovalPolicy`, or a list of tool names). ``keep_kv``
        saves the model's KV cache when a durable run stops resumable (paused, cancelled,
        out of steps or budget), on a backend that can export it (llama.cpp): the resume
        then evaluates only the new tokens. It costs a file of some megabytes per run."""
        self.pm = plugin_manager or get_plugin_manager()
        self.budget = _budget(budget)
        self.keep_kv = keep_kv
        self.approval = approval_policy(approval)
        self.spec: AgentSpec | None = None
        """The :class:`~agentcore.specs.AgentSpec` this agent was built from, if it was
        (checkpoints keep it, so the command line can rebuild the agent to resume a run)."""
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
        self.checkpointer = self._resolve_checkpoints(checkpoints)
        # last: loading a model is what costs, so every other mistake is found before it
        self.backend = self._resolve_backend(backend, model, backend_options or {})

    # -- construction helpers ----------------------------------------------------------------

    def _resolve_parts(self) -> None:
        """Build what the agent needs besides the model (tools, an executor, a retriever).

        Called before the backend is built, so a misspelt tool or a missing index is
        reported before a model is loaded. ``self.backend`` does not exist yet here.
        """

    def _resolve_checkpoints(self, checkpoints: RunStore | str | None) -> Checkpointer | None:
        if checkpoints is None:
            if not self._may_pause():
                return None
            from agentcore.checkpoints import MemoryCheckpoints

            checkpoints = MemoryCheckpoints()  # a paused run resumes in this process
        if isinstance(checkpoints, str):
            from agentcore.run_store import open_run_store

            checkpoints = open_run_store(checkpoints)
        for method in ("save_checkpoint", "get_checkpoint"):
            if not callable(getattr(checkpoints, method, None)):
                raise ConfigError(
                    f"checkpoints: {checkpoints!r} is not a run store (it has no {method}); "
                    "give a location such as runs.duckdb or a RunStore"
                )
        return Checkpointer(checkpoints, self._identity)

    def _identity(self) -> dict[str, Any]:
        """What each checkpoint records of this agent, and a resume must find the same."""
        return {
            "agent_kind": self.kind,
            "agent_spec": self.spec.model_dump(exclude_unset=True) if self.spec else None,
            "generation": self.generation.model_dump(mode="json"),
            "model": self.backend.model_name,
            "model_sha256": self.backend.model_sha256,
            "prompt_sha256": self.template.sha256(),
        }

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
        return self._run_stream(run)

    def _run_stream(self, run: Run) -> RunStream:
        """The stream of ``run``'s lifecycle (chat also saves the conversation at its end)."""
        return RunStream(self._lifecycle(run), run)

    # -- asyncio ---------------------------------------------------------------------------

    async def arun(self, task: str, *, on_token: TokenCallback | None = None) -> RunResult:
        """:meth:`run` for asyncio: the same loop in a worker thread; cancelling the task
        cancels the run (:mod:`agentcore.aio`). ``on_token`` is called from that thread."""
        return await self.astream(task, on_token=on_token).result()

    def astream(
        self, task: str, *, on_token: TokenCallback | None = None, run_id: str | None = None
    ) -> AsyncRunStream:
        """:meth:`stream` for asyncio: ``async for step in agent.astream(task)``."""
        from agentcore.aio import AsyncRunStream

        return AsyncRunStream(lambda: self.stream(task, on_token=on_token, run_id=run_id))

    async def aresume(self, run_id: str, **options: Any) -> RunResult:
        """:meth:`resume` for asyncio (``decision``, ``extra_steps``, ``on_token``)."""
        from agentcore.aio import AsyncRunStream

        return await AsyncRunStream(lambda: self.resume_stream(run_id, **options)).result()

    def cancel(self) -> None:
        """Ask every run of this agent in progress to stop; each ends ``cancelled``.

        To stop one run of several, use :meth:`RunStream.cancel`.
        """
        with self._active_lock:
            for run in self._active:
                run.cancel.set()

    # -- durable runs -------------------------------------------------------------------------

    def resume(self, run_id: str, **options: Any) -> RunResult:
        """Continue a stopped run from its last committed step and return its result
        (``options``: those of :meth:`resume_stream`)."""
        return self.resume_stream(run_id, **options).result

    def resume_stream(
        self,
        run_id: str,
        *,
        decision: Decision | None = None,
        extra_steps: int | None = None,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> RunStream:
        """Continue a stopped run from its last committed step, its new steps iterated as
        they complete.

        The run may be ``lost`` (its process died), ``cancelled``, ``paused`` (give the
        person's ``decision``, or use :meth:`approve` / :meth:`reject`), ``max_steps``
        (``extra_steps`` more, by default this agent's ``max_steps``) or ``budget``. The
        agent must be configured as the run's was (kind, model and its SHA-256, prompt);
        anything else is a :class:`~agentcore.checkpoints.CheckpointError` and the stored
        run is left as it is.
        """
        if not self.resumable:
            raise CheckpointError(
                f"a {self.kind} run cannot be resumed (its loop is one call or one program: "
                "run it again); react and chat runs can"
            )
        checkpoint = self._checkpoint(run_id)
        run = self._resumed_run(checkpoint, decision, extra_steps)
        self._check_stored_steps(run)
        self._restore_kv(run, checkpoint)
        run.on_token, run.on_retry = on_token, on_retry
        return self._run_stream(run)

    def pending(self, run_id: str) -> PendingAction | None:
        """The tool call a paused run waits on (``None`` if it waits on nothing)."""
        checkpoint = self._checkpoint(run_id)
        return checkpoint.record.pending if checkpoint.status == RunStatus.PAUSED else None

    def approve(
        self, run_id: str, *, arguments: dict[str, Any] | None = None, by: str = "", **options: Any
    ) -> RunResult:
        """Approve the paused run's pending call (with edited ``arguments``, if given) and
        resume the run; ``by`` names who approved, kept with the run."""
        return self._decide(run_id, "approve", arguments=arguments, by=by, **options)

    def reject(self, run_id: str, reason: str = "", *, by: str = "", **options: Any) -> RunResult:
        """Reject the paused run's pending call and resume: the model is told ``reason``."""
        return self._decide(run_id, "reject", reason=reason, by=by, **options)

    def _decide(self, run_id: str, verdict: str, **options: Any) -> RunResult:
        return self.decide_stream(run_id, verdict, **options).result

    def decide_stream(
        self,
        run_id: str,
        verdict: str,
        *,
        arguments: dict[str, Any] | None = None,
        reason: str | None = None,
        by: str = "",
        **options: Any,
    ) -> RunStream:
        """:meth:`approve` or :meth:`reject` (``verdict``), the new steps iterated as they
        complete."""
        pending = self.pending(run_id)
        if pending is None:
            raise CheckpointError(f"run {run_id} is not paused; there is nothing to decide")
        decision = decide(pending, verdict, arguments=arguments, reason=reason, by=by)
        return self.resume_stream(run_id, decision=decision, **options)

    def _checkpoint(self, run_id: str) -> Checkpoint:
        if self.checkpointer is None:
            raise ConfigError(
                "this agent has no checkpoints: build it with checkpoints=STORE (the run "
                "store its runs were committed to) to resume or approve a run"
            )
        return self.checkpointer.load(run_id)

    resumable = False
    """Whether this kind's loop can continue a stored run (ReAct's and chat's can)."""

    def _resumed_run(
        self, checkpoint: Checkpoint, decision: Decision | None, extra_steps: int | None
    ) -> Run:
        """A run rebuilt from ``checkpoint``, ready for the lifecycle; checked first."""
        self._check_same_agent(checkpoint)
        record = checkpoint.record.model_copy(deep=True)
        status = checkpoint.status
        run = self._new_run(
            record.input, run_id=record.run_id, **self._resume_run_options(checkpoint)
        )
        if checkpoint.tool_state is not None:
            from agentcore.checkpoints import decode_state

            run.tools.state.clear()
            run.tools.state.update(decode_state(checkpoint.tool_state))
        run.conversation_before = checkpoint.conversation
        run.record = record
        run.held_checkpointer, run.checkpointer = run.checkpointer, None
        run.earlier_s = record.duration_s
        run.step_limit = checkpoint.max_steps or run.step_limit
        record.resumed += 1
        record.error = None
        record.status = RunStatus.ERROR
        if status in (RunStatus.MAX_STEPS, RunStatus.BUDGET) and record.steps:
            if record.steps[-1].kind == "final":  # the answer asked for at the end: asked again
                record.steps.pop()
            record.answer = None
        if status == RunStatus.MAX_STEPS and run.step_limit is not None:
            run.step_limit += extra_steps if extra_steps is not None else run.step_limit
        pending = record.pending
        if status == RunStatus.PAUSED:
            if pending is None:
                raise CheckpointError(f"run {record.run_id} is paused but names no pending call")
            if decision is None:
                raise CheckpointError(
                    f"run {record.run_id} waits for a decision on {pending.tool} "
                    f"{pending.arguments}: approve or reject it (Agent.approve / Agent.reject, "
                    f"or agentcore runs approve|reject {record.run_id})"
                )
            if (decision.step_index, decision.tool) != (pending.step_index, pending.tool):
                raise CheckpointError(
                    f"the decision is for step {decision.step_index} ({decision.tool}) but run "
                    f"{record.run_id} waits on step {pending.step_index} ({pending.tool})"
                )
            record.decisions.append(decision)
            run.resume, run.decision = pending.step, decision
            run.resume_reason = pending.reason
        elif decision is not None:
            raise CheckpointError(f"run {record.run_id} is {status}, not paused: no decision")
        elif checkpoint.in_flight is not None:
            # the process died while this call ran: take the step again, and the tool's
            # effect says whether it may be redone (:meth:`_gate`)
            run.resume, run.resume_reason = checkpoint.in_flight.step, "unknown_outcome"
        record.pending = None
        # a pending or in-flight step's usage counts again when it is taken: from the steps
        record.usage = sum((step.usage for step in record.steps), Usage())
        return run

    def _restore_kv(self, run: Run, checkpoint: Checkpoint) -> None:
        """Load the KV cache the run stopped with, if it kept one; the run notes what came of it."""
        from agentcore.checkpoints import load_kv

        if checkpoint.kv_state is None:
            return
        data = load_kv(checkpoint.kv_state)
        tokens = self.backend.import_session(run.run_id, data) if data is not None else 0
        run.note(
            f"resumed with the saved KV state ({tokens} tokens)"
            if tokens
            else "the saved KV state was missing or unusable; the prompt is evaluated again"
        )

    def _check_stored_steps(self, run: Run) -> None:
        """Raise :class:`CheckpointError` if the run's stored steps cannot be replayed as they
        were (each prompt rebuilt and hash-checked) — before anything runs or is recorded."""

    def _resume_run_options(self, checkpoint: Checkpoint) -> dict[str, Any]:
        """Extra :meth:`_new_run` options a loop needs to rebuild a run (chat: its conversation)."""
        return {}

    def _check_same_agent(self, checkpoint: Checkpoint) -> None:
        """Refuse to resume a run with an agent unlike the one that ran it."""
        run_id = checkpoint.run_id
        theirs = {
            "kind": (checkpoint.agent_kind, self.kind),
            "model": (checkpoint.model, self.backend.model_name),
            "prompt": (checkpoint.prompt_sha256, self.template.sha256()),
        }
        if checkpoint.model_sha256 and self.backend.model_sha256:
            theirs["model file SHA-256"] = (checkpoint.model_sha256, self.backend.model_sha256)
        for what, (stored, now) in theirs.items():
            if stored != now:
                raise CheckpointError(
                    f"run {run_id} ran with {what} {_short(stored)}, this agent has "
                    f"{_short(now)}; resume it with the agent it ran on (the stored run is "
                    "unchanged)"
                )

    def _gate(self, run: Run, step: Step, tool: str, arguments: dict[str, Any]):
        """Whether a tool call may run now: its arguments (a person may have edited them),
        or the rejection's result; raises :class:`RunPaused` when a person must decide.

        Also commits the step as *in flight* before the call, so a crash during it is known.
        """
        resumed = run.resume is not None and run.resume.index == step.index
        reason = run.resume_reason if resumed else "approval"
        lost_effect = reason == "unknown_outcome" and self._effect(tool) == "side_effect"
        decision = run.decision if resumed else None
        if resumed and decision is None and not lost_effect:
            # approved before the crash: a keyed or idempotent redo needs no second approval
            decision = next(
                (d for d in reversed(run.record.decisions)
                 if (d.step_index, d.tool) == (step.index, tool)),
                None,
            )  # fmt: skip
        needs_person = self._requires_approval(tool, arguments) or lost_effect
        if needs_person and decision is None:
            pending = PendingAction(
                step_index=step.index, tool=tool, arguments=arguments, thought=step.thought,
                reason="unknown_outcome" if lost_effect else "approval", step=step,
            )  # fmt: skip
            raise RunPaused(pending)
        if decision is not None and decision.verdict == "reject":
            from agentcore.approvals import rejected

            return rejected(decision, reason)
        if decision is not None and decision.arguments is not None:
            arguments = decision.arguments
        run.tools.call_key = f"{run.run_id}-{step.index}-{tool}"
        run.in_flight = PendingAction(
            step_index=step.index, tool=tool, arguments=arguments, thought=step.thought, step=step
        )
        run.commit(RUNNING)
        return arguments

    def _requires_approval(self, tool: str, arguments: dict[str, Any]) -> bool:
        return self.approval.requires(tool, arguments)

    def _may_pause(self) -> bool:
        """Whether some tool call of this agent can wait for a person."""
        return bool(self.approval.tools or self.approval.rules)

    def _effect(self, tool: str) -> str:
        return "idempotent"

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
        return Run(
            record=record,
            tools=tools,
            on_token=on_token,
            on_retry=on_retry,
            step_limit=getattr(self, "max_steps", None),
            budget=self.budget,
            checkpointer=self.checkpointer,
        )

    def _lifecycle(self, run: Run) -> Iterator[Step]:
        record = run.record
        started = time.perf_counter()
        with self._active_lock:
            self._active.add(run)
        mark_live(run.run_id, True)
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
            if not record.resumed:  # a resumed run's input passed the check when it began
                run.guardrails.check_input()
            run.commit(RUNNING)
            run.raise_if_over_budget()
            for step in self._loop(run):
                record.steps.append(step)
                record.usage = record.usage + step.usage
                run.in_flight = None
                run.commit(RUNNING)
                self._emit(run, "on_step", run_id=record.run_id, step=step)
                yield step
                if record.status is RunStatus.FINISHED:
                    continue  # answered: a cancel or a budget now comes too late to stop it
                run.raise_if_cancelled()
                run.guardrails.raise_if_refused()
                run.raise_if_over_budget()
            run.guardrails.check_output()
        except RunPaused as exc:
            record.status = RunStatus.PAUSED
            record.pending = exc.pending
            record.error = None
            record.usage = record.usage + exc.pending.step.usage  # its model call was made
        except BudgetSpent as exc:
            record.status = RunStatus.BUDGET
            record.error = str(exc)
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
            record.duration_s = run.earlier_s + time.perf_counter() - started
            self._keep_or_drop_kv(run)
            try:
                run.commit(record.status.value)
            except CheckpointError as exc:
                record.warnings.append(f"{exc} (the store holds the run as of its last commit)")
            run.done = True
            mark_live(run.run_id, False)
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

    def _keep_or_drop_kv(self, run: Run) -> None:
        """Save the KV cache of a run that stopped resumable (``keep_kv``); forget it once
        the run is over. Never fails the run: without it a resume evaluates the prompt."""
        from agentcore.checkpoints import RESUMABLE, drop_kv, save_kv

        if not self.keep_kv or run.checkpointer is None:
            return
        try:
            if run.record.status.value in RESUMABLE:
                data = self.backend.export_session(run.run_id)
                run.kv_state = save_kv(run.run_id, data) if data else None
            else:
                run.kv_state = None
                drop_kv(run.run_id)
        except OSError as exc:
            run.kv_state = None
            run.record.warnings.append(f"the KV state could not be saved: {exc}")

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
        request: ToolRequest | None = None,
    ) -> Completion:
        """One backend call; ``stream=False`` keeps its tokens from the user's callback.

        ``turns`` is ``prompt`` as chat turns, for a backend that sends messages
        (:attr:`~agentcore.backends.LLMBackend.accepts_turns`). ``request`` makes it a native
        tool-calling call (:meth:`~agentcore.backends.LLMBackend.complete_tools`), of which
        ``prompt`` is the rendering (what the hooks see and the step's hash is of).

        A seeded sampling run uses one seed per step, derived from its own (``seed + step``):
        its steps do not all replay the same random stream, and the run repeats as a whole.
        """
        run.raise_if_cancelled()
        run.raise_if_over_budget()
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

        on_loop = run.event_loop is not None and self.backend.supports_async
        if request is not None:
            tool_options = {"on_token": on_token, "session": run.run_id}
            if on_loop:
                call = self.backend.acomplete_tools(request, config, **tool_options)
                completion = _on_loop(run, call)
            else:
                completion = self.backend.complete_tools(request, config, **tool_options)
        else:
            chat = {"turns": turns} if turns is not None and self.backend.accepts_turns else {}
            options = {"on_token": on_token, "grammar": grammar, "session": run.run_id, **chat}
            if on_loop:
                completion = _on_loop(run, self.backend.acomplete(prompt, config, **options))
            else:
                completion = self.backend.complete(prompt, config, **options)
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


def _budget(value: RunBudget | dict[str, Any] | None) -> RunBudget | None:
    if value is None or isinstance(value, RunBudget):
        return value
    from agentcore.options import validate_options

    return validate_options(RunBudget, value, where="budget")


def _short(value: str | None) -> str:
    text = str(value or "(none)")
    return f"{text[:12]}…" if len(text) == 64 else repr(text)


def _on_loop(run: Run, call: Any) -> Completion:
    """Run an async backend call on the run's event loop and wait for it from the run's
    thread; a cancel of the run cancels the call."""
    import asyncio
    import concurrent.futures

    future = asyncio.run_coroutine_threadsafe(call, run.event_loop)
    while True:
        try:
            return future.result(timeout=0.05)
        except concurrent.futures.TimeoutError:
            if run.cancel.is_set():
                future.cancel()
                raise RunCancelled from None
