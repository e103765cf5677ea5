"""The runs a server process holds: their state, their events, and who may see them.

A run is created by the request that starts it (status ``queued``), taken by a worker
(``running``), and ends with the engine's status. Everything that happens to it is an
:class:`Event` with a number one higher than the last: ``queued``, ``started``, ``token``,
``retry``, ``step``, ``end``. The events are kept with the run, so a client that reconnects
with ``Last-Event-ID: N`` gets exactly the events after N — none lost, none twice — and a
client that disconnects changes nothing for the run. Worker threads append events; the
event loop's subscribers are woken through ``call_soon_threadsafe``.

The run store (``[server] store``) gets the run at each ``queued``, ``started``, ``step`` and
``end`` event (not at each token), so reading, listing and rating runs work after a restart
and on every replica that shares the store. :func:`summary` and :func:`detail` render a
stored run the same way whether it lives in this process or only in the store. A run that
lives only in the store (another replica's, or one from before a restart) is followed by
:func:`replay`: its steps and end, polled from the store, with ids of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from agentcore.models import RunResult
from agentcore.plugin import RunQuery, RunStore, StoredConversation, StoredFeedback, StoredRun

QUEUED, RUNNING, LOST = "queued", "running", "lost"
ACTIVE = frozenset({QUEUED, RUNNING})
#: The events after which the run store gets the run (tokens and retries change no field).
SAVED_ON = frozenset({"queued", "started", "step", "end"})
REPLAY_POLL_S = 0.25

log = logging.getLogger("agentcore.server")


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
    replica: str = ""
    saver: Callable[[ServedRun], None] | None = None
    """Set by :meth:`RunRegistry.add`: writes the run to the run store."""
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    cancel: Any = None
    """Set by the worker while the run executes: stops it (``RunStream.cancel``)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status not in ACTIVE

    def add_event(
        self, kind: str, data: dict[str, Any], apply: Callable[[], None] | None = None
    ) -> Event:
        """Record an event; ``apply`` makes the change it reports (a step, the end) under the
        same lock, so a :meth:`snapshot` never shows a change without its event or the other
        way round (a reader resuming after the snapshot's last event would miss or repeat it)."""
        with self._lock:
            if apply is not None:
                apply()
            event = Event(len(self.events) + 1, kind, data)
            self.events.append(event)
            waiters, self._waiters = self._waiters, []
        if kind in SAVED_ON and self.saver is not None:
            self.saver(self)
        for loop, woken in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: its subscriber is gone
                loop.call_soon_threadsafe(woken.set)
        return event

    def snapshot(self) -> tuple[StoredRun, int]:
        """The run as stored and the id of the last event it reflects, read together."""
        with self._lock:
            return self.to_stored(), len(self.events)

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

    def to_stored(self) -> StoredRun:
        result = self.result
        return StoredRun(
            run_id=self.run_id,
            agent=self.agent,
            input=self.input,
            status=self.status,
            key_id=self.key_id,
            conversation_id=self.conversation_id,
            replica=self.replica,
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            answer=result.answer if result else None,
            error=self.error,
            steps=list(self.steps),
            usage=result.usage.model_dump() if result else None,
            warnings=list(result.warnings) if result else [],
            notes=list(result.notes) if result else [],
        )


def summary(run: StoredRun, feedback: list[StoredFeedback]) -> dict[str, Any]:
    """What a run list shows."""
    return {
        "run_id": run.run_id,
        "agent": run.agent,
        "conversation_id": run.conversation_id,
        "status": run.status,
        "input": run.input if len(run.input) <= 200 else run.input[:199] + "…",
        "answer": run.answer,
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "step_count": len(run.steps),
        "feedback": feedback[-1].rating if feedback else None,
    }


def detail(run: StoredRun, feedback: list[StoredFeedback], last_event_id: int) -> dict[str, Any]:
    """What reading one run shows: the summary, the whole input and every step."""
    return {
        **summary(run, feedback),
        "input": run.input,
        "steps": list(run.steps),
        "usage": run.usage,
        "warnings": list(run.warnings),
        "notes": list(run.notes),
        "feedback": [f.model_dump(exclude={"run_id"}) for f in feedback],
        "last_event_id": last_event_id,
    }


def replay_events(run: StoredRun) -> list[Event]:
    """A stored run's events as far as the store knows them: queued, started, each step, end."""
    events = [Event(1, "queued", {"run_id": run.run_id, "agent": run.agent})]
    if run.started_at is not None or run.steps:
        events.append(Event(2, "started", {}))
    for step in run.steps:
        events.append(Event(len(events) + 1, "step", step))
    if run.status not in ACTIVE:
        end = {"status": run.status, "answer": run.answer, "error": run.error}
        events.append(Event(len(events) + 1, "end", end))
    return events


async def replay(
    store: RunStore, run_id: str, last_id: int = 0, poll_s: float = REPLAY_POLL_S
) -> AsyncIterator[Event]:
    """Follow a run that lives in the store only, polling it until its ``end``."""
    import anyio.to_thread

    while True:
        run = await anyio.to_thread.run_sync(store.get_run, run_id)
        if run is None:
            return
        for event in replay_events(run)[max(last_id, 0) :]:
            last_id = event.id
            yield event
            if event.kind == "end":
                return
        await asyncio.sleep(poll_s)


def conversation_view(conversation: StoredConversation, runs: list[StoredRun]) -> dict[str, Any]:
    """A conversation so far: each message and, once its run has ended, the reply."""
    messages: list[dict[str, Any]] = []
    for run in runs:
        messages.append({"role": "user", "text": run.input, "run_id": run.run_id})
        if run.status not in ACTIVE:
            messages.append(
                {"role": "agent", "text": run.answer, "run_id": run.run_id, "status": run.status}
            )
    return {
        "conversation_id": conversation.conversation_id,
        "agent": conversation.agent,
        "created_at": conversation.created_at,
        "busy": any(run.status in ACTIVE for run in runs),
        "messages": messages,
    }


class RunRegistry:
    """The runs of this process (the active ones and the newest ``keep`` ended ones, with
    their events), over the run store that keeps every run of every replica that shares it.

    What this process holds is the live view (events, cancelling); what is asked of runs in
    general — read one, list, rate, a conversation's turns — is answered from the store,
    with this process's live runs in place of their stored copies.
    """

    def __init__(self, store: RunStore, *, replica: str = "", keep: int = 1000) -> None:
        self.store = store
        self.replica = replica
        self.keep = keep
        self._runs: OrderedDict[str, ServedRun] = OrderedDict()
        self._turns: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    # -- this process's runs -------------------------------------------------------------------

    def add(self, run: ServedRun) -> None:
        """Hold ``run`` here and save it to the store at each of its :data:`SAVED_ON` events."""
        with self._lock:
            if run.run_id in self._runs:
                raise KeyError(run.run_id)
            self._runs[run.run_id] = run
            ended = [r for r in self._runs.values() if r.ended]
            for old in ended[: max(0, len(ended) - self.keep)]:
                del self._runs[old.run_id]
        if self.store.get_run(run.run_id) is not None:  # another replica's, or an earlier one
            self.discard(run.run_id)
            raise KeyError(run.run_id)
        run.replica, run.saver = self.replica, self._save

    def _save(self, run: ServedRun) -> None:
        try:
            self.store.save_run(run.to_stored())
        except Exception:  # the run goes on; its next save may land (the log says why)
            log.exception("run %s could not be saved to the run store", run.run_id)

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def live(self, run_id: str) -> ServedRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def active_for(self, key_id: str | None) -> int:
        with self._lock:
            return sum(1 for r in self._runs.values() if r.key_id == key_id and not r.ended)

    def mark_lost(self) -> list[str]:
        """End the runs this replica had queued or running when it last stopped."""
        return self.store.mark_lost(self.replica, "the server stopped while the run was active")

    # -- every replica's runs ------------------------------------------------------------------

    def find(self, run_id: str) -> StoredRun | None:
        run = self.live(run_id)
        return run.to_stored() if run is not None else self.store.get_run(run_id)

    def list(self, query: RunQuery) -> tuple[list[StoredRun], int]:
        page, total = self.store.list_runs(query)
        return [self._fresh(run) for run in page], total

    def _fresh(self, stored: StoredRun) -> StoredRun:
        run = self.live(stored.run_id)
        return run.to_stored() if run is not None else stored

    def feedback(self, run_ids: list[str]) -> dict[str, list[StoredFeedback]]:
        return self.store.feedback(run_ids)

    def snapshot(self, stored: StoredRun) -> tuple[StoredRun, int]:
        """``stored`` (or, for a run this process holds, its state now) and the id of the last
        event that state reflects: a client resumes its event stream after that id."""
        run = self.live(stored.run_id)
        if run is not None:
            return run.snapshot()
        return stored, len(replay_events(stored))

    # -- conversations -------------------------------------------------------------------------

    def turn_lock(self, conversation_id: str) -> threading.Lock:
        """Held while a message is checked and queued: one turn at a time (in this process)."""
        with self._lock:
            return self._turns.setdefault(conversation_id, threading.Lock())

    def turns(self, conversation_id: str) -> list[StoredRun]:
        """The conversation's runs, oldest first."""
        page, _ = self.store.list_runs(RunQuery(conversation_id=conversation_id, limit=10_000))
        return [self._fresh(run) for run in reversed(page)]
