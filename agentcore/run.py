"""One run, explicit: everything a run reads and writes, passed to each stage of its loop.

An agent object holds configuration only (backend, prompt, tools, limits). What belongs
to one run — its record, the caller's callbacks, its cancel flag, the context its tools
see, the conversation of a chat turn, its guardrails — lives in a :class:`Run` that the
lifecycle (:mod:`agentcore.agent`) makes and hands to the loop. So one agent object can
serve many runs at once from several threads, a loop's signature shows everything it
reads, and a later stage (a server, a resumed run) can build a run from stored parts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentcore.errors import AgentcoreError, RunCancelled
from agentcore.models import Decision, PendingAction, RunBudget, RunResult, Step
from agentcore.tools import ToolContext

if TYPE_CHECKING:
    from agentcore.backends import RetryCallback, TokenCallback
    from agentcore.checkpoints import Checkpointer
    from agentcore.guardrails import Guardrails
    from agentcore.memory import Conversation


class RunPaused(Exception):
    """Raised in a run that must wait for a person: the lifecycle ends it ``paused``."""

    def __init__(self, pending: PendingAction) -> None:
        super().__init__(f"{pending.tool} waits for approval")
        self.pending = pending


class BudgetSpent(AgentcoreError):
    """A run went past one of its :class:`~agentcore.models.RunBudget` limits."""


@dataclass(eq=False)
class Run:
    """The state of one run in progress.

    ``record`` is the :class:`~agentcore.models.RunResult` being filled in; ``tools`` the
    :class:`~agentcore.tools.ToolContext` every tool call of this run receives (its run id,
    settings, scratch state and, in a chat turn, the conversation); ``on_token`` and
    ``on_retry`` the caller's callbacks; ``cancel`` the flag :meth:`RunStream.cancel
    <agentcore.agent.RunStream.cancel>` and :meth:`Agent.cancel
    <agentcore.agent.Agent.cancel>` set; ``guardrails`` the run's guardrail hooks, set by
    the lifecycle before the loop starts.
    """

    record: RunResult
    tools: ToolContext
    on_token: TokenCallback | None = None
    on_retry: RetryCallback | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    guardrails: Guardrails | None = None
    done: bool = False
    """Set when the run has ended and ``record`` holds its final status."""
    step_limit: int | None = None
    """The loop's step budget for this run (a resumed ``max_steps`` run gets more)."""
    budget: RunBudget | None = None
    checkpointer: Checkpointer | None = None
    """Commits the run after each step (``None``: the agent has no checkpoints)."""
    held_checkpointer: Checkpointer | None = None
    """A resumed run's checkpointer until its stored steps are checked (:meth:`restored`)."""
    resume: Step | None = None
    """A resumed run's step to take again first: the call that was pending or in flight."""
    in_flight: PendingAction | None = None
    """The tool call under way: set before it starts, cleared when its step is recorded. A
    run that stops in between (a crash, Ctrl-C) keeps it, so a resume knows."""
    resume_reason: str = "approval"
    """Why that step is taken again: ``approval`` (it was paused) or ``unknown_outcome``."""
    decision: Decision | None = None
    """A person's answer to the resumed run's pending call."""
    event_loop: Any = None
    """An async run's event loop: a backend that ``supports_async`` is called on it."""
    kv_state: Any = None
    """Where this stopped run's KV cache was saved (:class:`~agentcore.checkpoints.KVState`)."""
    conversation_before: dict[str, Any] | None = None
    """A chat turn's conversation before the turn, as data (kept with its checkpoints)."""
    started: float = field(default_factory=time.perf_counter)
    """When this process began (or resumed) the run, for the time budget."""
    earlier_s: float = 0.0
    """Seconds the run spent before it was resumed."""

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.tools.settings

    @property
    def conversation(self) -> Conversation | None:
        """The conversation of a chat turn (``None`` outside chat)."""
        return self.tools.conversation

    def raise_if_cancelled(self) -> None:
        if self.cancel.is_set():
            raise RunCancelled

    def raise_if_over_budget(self) -> None:
        """End the run (status ``budget``) if it went past one of its limits."""
        if self.budget is None:
            return
        spent = self.budget.exceeded(self.record.usage, self.elapsed_s())
        if spent is not None:
            raise BudgetSpent(spent)

    def elapsed_s(self) -> float:
        return self.earlier_s + time.perf_counter() - self.started

    def restored(self) -> None:
        """A resumed run's stored steps checked out: commits may start (the lifecycle holds
        them back until then, so a resume that fails its checks leaves the store as it was)."""
        if self.held_checkpointer is not None:
            self.checkpointer, self.held_checkpointer = self.held_checkpointer, None

    def commit(self, status: str) -> None:
        """Commit the run to its checkpoints, if it has any (:mod:`agentcore.checkpoints`),
        with the tool call under way, if one is (:attr:`in_flight`)."""
        if self.checkpointer is not None:
            self.checkpointer.commit(self, status, self.in_flight)

    def retrying(self, step_index: int, reason: str) -> None:
        """Tell the caller that step ``step_index``'s streamed text is being redone."""
        if self.on_retry is not None:
            self.on_retry(step_index, reason)

    def note(self, text: str | None) -> None:
        """Add a note to the record once (loops may meet the same condition every step)."""
        if text and text not in self.record.notes:
            self.record.notes.append(text)
