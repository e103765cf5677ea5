"""The runs a server process holds: their state, their events, and who may see them.

A run is created by the request that starts it (status ``queued``), taken by a worker
(``running``), and ends with the engine's status. Everything that happens to it is an
:class:`Event` with a number one higher than the last: ``queued``, ``started``, ``token``,
``retry``, ``step``, ``end``. The events are kept with the run, so a client that reconnects
with ``Last-Event-ID: N`` gets exactly the events after N — none lost, none twice — and a
client that disconnects changes nothing for the run. Worker threads append events; the
event loop's subscribers are woken through ``call_soon_threadsafe``.

The engine's own record (``RunResult``, with every step) is the run's trace; the run store
plugin records it too, through the engine's hooks, as for any other run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from agentcore.models import RunResult

QUEUED, RUNNING, LOST = "queued", "running", "lost"
ACTIVE = frozenset({QUEUED, RUNNING})


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]


@dataclass(eq=False)
class ServedRun:
    """One run of a served agent."""

    run_id: str
    agent: str
    input: str
    key_id: str | None
    conversation_id: str | None = None
    created_at: float = field(default_factory=time.time)
    status: str = QUEUED
    started_at: float | None = None
    ended_at: float | None = None
    result: RunResult | None = None
    error: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    cancel: Any = None
    """Set by the worker while the run executes: stops it (``RunStream.cancel``)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status not in ACTIVE

    def add_event(self, kind: str, data: dict[str, Any]) -> Event:
        with self._lock:
            event = Event(len(self.events) + 1, kind, data)
            self.events.append(event)
            waiters, self._waiters = self._waiters, []
        for loop, woken in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: its subscriber is gone
                loop.call_soon_threadsafe(woken.set)
        return event

    def events_after(self, last_id: int) -> list[Event]:
        with self._lock:
            return self.events[max(last_id, 0) :]

    async def follow(self, last_id: int = 0) -> AsyncIterator[Event]:
        """Every event after ``last_id``, waiting for new ones until the run's ``end``."""
        loop = asyncio.get_running_loop()
        while True:
            woken = asyncio.Event()
            with self._lock:
                pending = self.events[max(last_id, 0) :]
                if not pending:
                    self._waiters.append((loop, woken))
            for event in pending:
                last_id = event.id
                yield event
                if event.kind == "end":
                    return
            if not pending:
                await woken.wait()

    def summary(self) -> dict[str, Any]:
        """What a run list shows."""
        result = self.result
        return {
            "run_id": self.run_id,
            "agent": self.agent,
            "conversation_id": self.conversation_id,
            "status": self.status,
            "input": self.input if len(self.input) <= 200 else self.input[:199] + "…",
            "answer": result.answer if result else None,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "step_count": len(self.steps),
            "feedback": self.feedback[-1]["rating"] if self.feedback else None,
        }

    def detail(self) -> dict[str, Any]:
        """What reading one run shows: the summary, the whole input and every step."""
        result = self.result
        return {
            **self.summary(),
            "input": self.input,
            "steps": list(self.steps),
            "usage": result.usage.model_dump() if result else None,
            "warnings": list(result.warnings) if result else [],
            "notes": list(result.notes) if result else [],
            "feedback": list(self.feedback),
            "last_event_id": len(self.events),
        }


@dataclass(eq=False)
class ServedConversation:
    """A conversation with a chat agent: its turns are runs, taken one at a time."""

    conversation_id: str
    agent: str
    key_id: str | None
    created_at: float = field(default_factory=time.time)
    runs: list[ServedRun] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def busy(self) -> bool:
        return any(not run.ended for run in self.runs)

    def view(self) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        for run in self.runs:
            messages.append({"role": "user", "text": run.input, "run_id": run.run_id})
            if run.ended:
                reply = run.result.answer if run.result else None
                messages.append(
                    {"role": "agent", "text": reply, "run_id": run.run_id, "status": run.status}
                )
        return {
            "conversation_id": self.conversation_id,
            "agent": self.agent,
            "created_at": self.created_at,
            "busy": self.busy,
            "messages": messages,
        }


class RunRegistry:
    """The runs of this process: the active ones, and the newest ``keep`` ended ones."""

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self._runs: OrderedDict[str, ServedRun] = OrderedDict()
        self.conversations: dict[str, ServedConversation] = {}
        self._lock = threading.Lock()

    def add(self, run: ServedRun) -> None:
        with self._lock:
            if run.run_id in self._runs:
                raise KeyError(run.run_id)
            self._runs[run.run_id] = run
            ended = [r for r in self._runs.values() if r.ended]
            for old in ended[: max(0, len(ended) - self.keep)]:
                del self._runs[old.run_id]

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def get(self, run_id: str) -> ServedRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[ServedRun]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._runs.values()))

    def active_for(self, key_id: str | None) -> int:
        with self._lock:
            return sum(1 for r in self._runs.values() if r.key_id == key_id and not r.ended)
