"""Reusable threads for time-limited tool calls.

A tool call with a time limit runs on another thread so the caller can stop waiting. Starting
a thread per call cost more than the rest of a ReAct step, so a few daemon threads are kept
and reused. ``concurrent.futures.ThreadPoolExecutor`` does not fit: it joins its threads at
interpreter exit, so one hung tool would hang the exit, and it hands a new call to whichever
thread it likes, so one stuck in a timed-out call can still be given work.

Here a worker takes itself out of the idle list for the length of a call, so a worker stuck
in a call that timed out is abandoned (Python cannot kill a thread) and the next call gets an
idle worker or a fresh one; if the stuck call ever returns, its worker is idle again. At most
about :data:`MAX_IDLE` idle workers are kept; one that finishes when the list is full exits.
A call is handed over through a queue and its end signalled by releasing a lock, the cheapest
wake-ups the standard library has.
"""

from __future__ import annotations

import collections
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

MAX_IDLE = 8

_Job = tuple[Callable[..., Any], dict[str, Any], threading.Lock, list[Any]]


class CallTimedOut(Exception):
    """The call did not return within its time limit; its worker was left to it."""


class _Worker:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        thread = threading.Thread(target=self._serve, daemon=True, name="agentcore-tool")
        thread.start()

    def _serve(self) -> None:
        while True:
            fn, kwargs, done, outcome = self.jobs.get()
            try:
                outcome[:] = (fn(**kwargs), None)
            except BaseException as exc:  # re-raised on the caller's thread
                outcome[:] = (None, exc)
            del fn, kwargs, outcome  # keep no argument or result alive while idle
            # Idle again before the caller wakes, so its next call finds this worker.
            stays = len(_idle) < MAX_IDLE
            if stays:
                _idle.append(self)
            done.release()
            if not stays:
                return


_idle: collections.deque[_Worker] = collections.deque()  # append/pop are atomic
# A forked child has none of the parent's threads: never hand it a worker that is not there.
os.register_at_fork(after_in_child=_idle.clear)


def call_with_time_limit(fn: Callable[..., Any], kwargs: dict[str, Any], timeout_s: float) -> Any:
    """``fn(**kwargs)`` on a pooled worker; :class:`CallTimedOut` after ``timeout_s`` seconds.

    The call's exception, if any, is raised here on the caller's thread.
    """
    done = threading.Lock()
    done.acquire()
    outcome: list[Any] = []
    try:
        worker = _idle.pop()
    except IndexError:
        worker = _Worker()
    worker.jobs.put((fn, kwargs, done, outcome))
    if not done.acquire(timeout=timeout_s):
        raise CallTimedOut
    value, error = outcome
    if error is not None:
        raise error
    return value
