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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentcore.errors import RunCancelled
from agentcore.models import RunResult
from agentcore.tools import ToolContext

if TYPE_CHECKING:
    from agentcore.backends import RetryCallback, TokenCallback
    from agentcore.guardrails import Guardrails
    from agentcore.memory import Conversation


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

    def retrying(self, step_index: int, reason: str) -> None:
        """Tell the caller that step ``step_index``'s streamed text is being redone."""
        if self.on_retry is not None:
            self.on_retry(step_index, reason)

    def note(self, text: str | None) -> None:
        """Add a note to the record once (loops may meet the same condition every step)."""
        if text and text not in self.record.notes:
            self.record.notes.append(text)
