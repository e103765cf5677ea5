"""A bounded pool of worker threads, each with its own agents; a bounded queue in front.

In-process llama.cpp is not thread-safe, and one model serving two runs at once would
interleave their KV caches, so no agent object (and no model) is shared between workers:
each worker builds, on first use, its own instance of every agent it runs
(:meth:`agentcore.plugin.AgentSpec.build`) and keeps it for the next run. ``workers`` is
therefore also the number of models of an agent that may be loaded. The queue holds at most
``queue_size`` runs that wait for a worker; :meth:`WorkerPool.submit` refuses the next one
(:class:`QueueFull`), which the API answers with 429 and ``Retry-After``.

Each run gets its wall-time limit: past ``max_wall_s`` it is cancelled and ends
``cancelled`` with its trace and a note saying why. :meth:`WorkerPool.shutdown` stops taking
runs, gives the running ones ``grace_s`` to finish, cancels what is left, and ends the
queued ones as ``cancelled`` ("the server stopped before the run started"): no run is left
without an end.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from agentcore.models import RunResult, RunStatus
from agentcore.plugin import AgentSpec, ConversationStore, InMemoryStore
from agentcore_server.runs import RUNNING, ServedRun

log = logging.getLogger("agentcore.server")
_STOP = object()


class QueueFull(Exception):
    """Every worker is busy and the queue is full; ``retry_after_s`` is a fair wait."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the run queue is full; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class WorkerPool:
    def __init__(
        self,
        specs: dict[str, AgentSpec],
        *,
        workers: int = 1,
        queue_size: int = 16,
        max_wall_s: float = 600.0,
        build: Callable[..., Any] | None = None,
        memory: ConversationStore | None = None,
    ) -> None:
        self.specs = specs
        self.max_wall_s = max_wall_s
        self._build = build or (lambda spec, **objects: spec.build(**objects))
        # the turns of one conversation may go to any worker: its chat agents share the
        # conversations' memory (``memory``: the run store, so any replica can take the next
        # turn) and, within this process, each conversation's tool state
        memory = memory if memory is not None else InMemoryStore()
        self._shared = {
            name: {"store": memory, "session_state": {}}
            for name, spec in specs.items()
            if spec.kind == "chat"
        }
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(queue_size, 0) + workers)
        self._capacity = max(queue_size, 0)
        self._waiting = 0
        self._count_lock = threading.Lock()
        self._accepting = True
        self._running: set[ServedRun] = set()
        self._durations: list[float] = []
        self._threads = [
            threading.Thread(target=self._work, name=f"agentcore-worker-{n}", daemon=True)
            for n in range(workers)
        ]
        self._idle = workers
        for thread in self._threads:
            thread.start()

    # -- the API's side ----------------------------------------------------------------------

    def submit(self, run: ServedRun) -> None:
        """Queue ``run``; :class:`QueueFull` when no worker is free and the queue is full."""
        with self._count_lock:
            if not self._accepting:
                raise QueueFull(retry_after_s=30)
            if self._waiting >= self._capacity + self._idle:
                raise QueueFull(self._retry_after())
            self._waiting += 1
        run.add_event("queued", {"run_id": run.run_id, "agent": run.agent})
        self._queue.put_nowait(run)

    def _retry_after(self) -> int:
        recent = self._durations[-20:]
        typical = sum(recent) / len(recent) if recent else 5.0
        return max(1, round(typical * (self._waiting + 1) / max(len(self._threads), 1)))

    def stats(self) -> dict[str, int]:
        with self._count_lock:
            return {
                "workers": len(self._threads),
                "busy": len(self._running),
                "queued": self._waiting,
                "queue_size": self._capacity,
            }

    def shutdown(self, grace_s: float = 10.0) -> None:
        """Stop taking runs; let running ones finish for ``grace_s``; end everything else."""
        with self._count_lock:
            self._accepting = False
        deadline = time.monotonic() + grace_s
        while self._running and time.monotonic() < deadline:
            time.sleep(0.05)
        for run in list(self._running):
            run.cancel_requested.set()
            if run.cancel is not None:
                run.cancel()
        while True:  # the queued runs never start
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, ServedRun):
                end_without_running(
                    item, RunStatus.CANCELLED, "the server stopped before it started"
                )
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=max(grace_s, 1.0) + 5.0)

    # -- the workers' side -------------------------------------------------------------------

    def _work(self) -> None:
        agents: dict[str, Any] = {}
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            run: ServedRun = item
            with self._count_lock:
                self._waiting -= 1
                self._idle -= 1
                self._running.add(run)
            started = time.monotonic()
            try:
                self._execute(run, agents)
            except Exception as exc:  # an engine fault: the run still ends, with the reason
                log.exception("run %s failed in the server", run.run_id)
                end_without_running(
                    run, RunStatus.ERROR, f"the server failed: {type(exc).__name__}"
                )
            finally:
                with self._count_lock:
                    self._running.discard(run)
                    self._idle += 1
                    self._durations.append(time.monotonic() - started)
                    del self._durations[:-50]

    def _execute(self, run: ServedRun, agents: dict[str, Any]) -> None:
        if run.cancel_requested.is_set():
            end_without_running(run, RunStatus.CANCELLED, "cancelled before it started")
            return
        agent = agents.get(run.agent)
        if agent is None:
            try:
                shared = self._shared.get(run.agent, {})
                agent = agents[run.agent] = self._build(self.specs[run.agent], **shared)
            except Exception as exc:  # a model that is missing, a tool that is not installed
                end_without_running(run, RunStatus.ERROR, f"the agent could not be built: {exc}")
                return

        def start() -> None:
            run.status, run.started_at = RUNNING, time.time()

        def on_token(text: str) -> None:
            run.add_event("token", {"text": text})

        def on_retry(step_index: int, reason: str) -> None:
            run.add_event("retry", {"step": step_index, "reason": reason})

        callbacks = {"on_token": on_token, "on_retry": on_retry, "run_id": run.run_id}
        if run.conversation_id is not None:
            stream = agent.chat_stream(run.conversation_id, run.input, **callbacks)
        else:
            stream = agent.stream(run.input, **callbacks)
        run.cancel = stream.cancel
        started = {"backend": agent.backend.name, "model": agent.backend.model_name}
        run.add_event("started", started, apply=start)
        timer = threading.Timer(self.max_wall_s, self._time_up, args=(run, stream))
        timer.daemon = True
        timer.start()
        try:
            if run.cancel_requested.is_set():
                stream.cancel()
            for step in stream:
                data = step.model_dump(mode="json", exclude={"prompt"})
                run.add_event("step", data, apply=lambda data=data: run.steps.append(data))
        finally:
            timer.cancel()
            run.cancel = None
        finish(run, stream.result)

    def _time_up(self, run: ServedRun, stream: Any) -> None:
        run.error = f"the run went past the server's {self.max_wall_s:g} s limit"
        stream.cancel()


def finish(run: ServedRun, result: RunResult) -> None:
    """Record the engine's end of ``run`` and send its ``end`` event."""
    run.result = result
    if run.error and result.status is RunStatus.CANCELLED:
        result.notes.append(run.error)
    run.error = result.error or run.error

    def end() -> None:
        run.status, run.ended_at = result.status.value, time.time()

    end_data = {"status": result.status.value, "answer": result.answer, "error": run.error}
    run.add_event("end", end_data, apply=end)


def end_without_running(run: ServedRun, status: RunStatus, why: str) -> None:
    """End a run that never reached the engine (or that the server itself failed)."""
    result = RunResult(run_id=run.run_id, agent=run.agent, input=run.input, status=status)
    result.error = why
    finish(run, result)
