"""Runs for asyncio programs: ``await agent.arun(...)``, ``async for step in agent.astream(...)``.

The loop is the one :meth:`Agent.stream <agentcore.agent.Agent.stream>` runs — there is no
second implementation to drift from it. Each async run drives that loop in a worker thread
of its own and hands the steps to the event loop as they complete, so a model call (an
in-process llama.cpp generation, a blocking HTTP request) never blocks the event loop, and
many runs proceed at once. Cancelling the task that awaits a run (``task.cancel()``, a
timeout) cancels the run: it stops at its next check (between tokens, before each call),
ends ``cancelled`` with its trace and its checkpoint, and then the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentcore.agent import RunStream
    from agentcore.models import RunResult, Step

_STEP, _END, _FAILED = "step", "end", "failed"


class AsyncRunStream:
    """A run's steps as an async iterator; ``await stream.result()`` gives its record.

    Made by :meth:`Agent.astream <agentcore.agent.Agent.astream>` (and ``aresume``,
    ``achat``); the run starts when it is first iterated or awaited.
    """

    def __init__(self, start: Callable[[], RunStream]) -> None:
        self._start = start
        self._stream: RunStream | None = None
        self._iterating = False

    @property
    def run_id(self) -> str | None:
        """The run's id once it has started."""
        return self._stream.run_id if self._stream is not None else None

    def cancel(self) -> None:
        """Ask the run to stop (it ends ``cancelled``); cancelling the awaiting task does too."""
        if self._stream is not None:
            self._stream.cancel()

    def __aiter__(self) -> AsyncIterator[Step]:
        if self._iterating:
            raise RuntimeError("an async run stream can be iterated once")
        self._iterating = True
        return self._steps()

    async def result(self) -> RunResult:
        """The complete record; awaiting it before the end runs the rest of the run."""
        if not self._iterating:
            async for _ in self:
                pass
        assert self._stream is not None
        return self._stream.result

    async def _steps(self) -> AsyncIterator[Step]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        # building the stream checks the input (and a resume's checkpoint): errors raise here
        stream = self._stream = await asyncio.to_thread(self._start)
        stream._run.event_loop = loop  # backends that can are called on this loop

        def pump() -> None:
            try:
                for step in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, (_STEP, step))
            except BaseException as exc:  # a bug in a plugin: raised where the run is awaited
                loop.call_soon_threadsafe(queue.put_nowait, (_FAILED, exc))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, (_END, None))

        worker = threading.Thread(target=pump, name=f"agentcore-run-{stream.run_id}", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == _STEP:
                    yield value
                elif kind == _FAILED:
                    raise value
                else:
                    return
        finally:
            if worker.is_alive():  # cancelled, or the caller stopped iterating: stop the run
                stream.cancel()
                await _join(worker)


async def _join(worker: threading.Thread) -> None:
    """Wait for the run's thread to finish (it ends the run ``cancelled`` and commits it),
    even while the awaiting task is being cancelled."""
    joined = asyncio.ensure_future(asyncio.to_thread(worker.join))
    while not joined.done():
        try:
            await asyncio.shield(joined)
        except asyncio.CancelledError:
            if joined.done():
                break
            continue
