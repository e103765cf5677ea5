"""Worker processes and the pool that hands them out (engine side).

A :class:`WorkerProcess` is one long-lived ``agentcore_sandbox.worker`` child
talking length-prefixed JSON over a pipe. The engine only ever writes a job and
reads a result, with a wall-clock deadline; if the deadline passes, or the child
dies or sends garbage, the child's whole process group is killed and the worker
is discarded. :class:`WorkerPool` keeps up to ``size`` warm workers and gives
each to one caller at a time, so the executor is safe to share between threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agentcore.plugin import AgentcoreError
from agentcore_sandbox import protocol
from agentcore_sandbox.limits import SCRATCH_PREFIX, Limits

# The worker is started with -I (isolated mode: no PYTHON* variables, no user
# site, no current directory on sys.path), so it is told where this package is.
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from agentcore_sandbox.worker import main; sys.exit(main(sys.argv[2:]))"
)
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)

# All a worker inherits from the engine's environment: no API keys, no tokens.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class SandboxError(AgentcoreError):
    """The sandbox itself cannot work (a worker does not start), not the program's fault."""


class WorkerTimeout(Exception):
    """The worker did not answer before the deadline."""


class WorkerDied(Exception):
    """The worker exited, was killed, or broke the protocol."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


# The worker itself enforces each job's time limit; the engine's own deadline is
# this much later, for a worker that stopped answering altogether.
WORKER_GRACE_S = 5.0


class WorkerProcess:
    """One sandbox worker child process and its scratch directory."""

    def __init__(self, limits: Limits, *, startup_timeout_s: float = 30.0) -> None:
        self.limits = limits
        self.jobs_done = 0
        self.scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        # Job processes run under another uid: they may enter their own directory
        # beneath this one, not list it.
        os.chmod(self.scratch, 0o711)
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    _BOOTSTRAP,
                    _PACKAGE_PARENT,
                    json.dumps(asdict(limits)),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.scratch,
                env=dict(CLEAN_ENV),
                close_fds=True,
                start_new_session=True,
            )
        except OSError as exc:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise SandboxError(f"cannot start a sandbox worker: {exc}") from exc
        assert self.process.stdin is not None and self.process.stdout is not None
        self._job_fd = self.process.stdin.fileno()
        self._result_fd = self.process.stdout.fileno()
        try:
            ready = self._read(time.monotonic() + startup_timeout_s, 1 << 20)
        except (WorkerTimeout, WorkerDied) as exc:
            self.kill()
            raise SandboxError(f"the sandbox worker did not start: {exc}") from None
        if not ready.get("ready"):
            self.kill()
            raise SandboxError(f"the sandbox worker could not start: {ready.get('error')}")
        self.pid: int = int(ready["pid"])
        self.info: dict[str, Any] = ready

    # -- one job ------------------------------------------------------------------------

    def request(
        self, job: dict[str, Any], timeout_s: float, max_reply_bytes: int
    ) -> dict[str, Any]:
        """Send a job and wait for its result; raise WorkerTimeout or WorkerDied."""
        try:
            protocol.write_message(self._job_fd, job)
        except (BrokenPipeError, OSError):
            raise WorkerDied(*self._exit_reason()) from None
        reply = self._read(time.monotonic() + timeout_s + WORKER_GRACE_S, max_reply_bytes)
        self.jobs_done += 1
        return reply

    def _read(self, deadline: float, max_bytes: int) -> dict[str, Any]:
        header = self._read_exact(protocol.HEADER.size, deadline)
        (length,) = protocol.HEADER.unpack(header)
        if length > max_bytes:
            raise WorkerDied(
                "crashed", f"the worker sent a {length}-byte reply (limit {max_bytes})"
            )
        try:
            return protocol.decode(self._read_exact(length, deadline))
        except protocol.ProtocolError as exc:
            raise WorkerDied("crashed", f"the worker sent a malformed reply: {exc}") from None

    def _read_exact(self, size: int, deadline: float) -> bytes:
        try:
            data = protocol.read_exact(self._result_fd, size, deadline)
        except protocol.DeadlinePassed:
            raise WorkerTimeout from None
        except (OSError, ValueError):  # closed under us by close() on another thread
            raise WorkerDied("crashed", "the worker was stopped while running") from None
        except protocol.ProtocolError:
            data = None
        if data is None:
            raise WorkerDied(*self._exit_reason())
        return data

    def _exit_reason(self) -> tuple[str, str]:
        return protocol.describe_exit(self._wait_exit(), "the sandbox worker")

    def _wait_exit(self) -> int | None:
        try:
            return self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return None

    # -- lifetime -----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker's process group, reap it and remove its scratch directory."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5.0)
        shutil.rmtree(self.scratch, ignore_errors=True)


class WorkerPool:
    """Up to ``size`` warm workers, each lent to one caller at a time."""

    def __init__(self, size: int, factory: Callable[[], WorkerProcess]) -> None:
        self.size = size
        self.factory = factory
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._busy: set[WorkerProcess] = set()
        self._starting = 0

    def acquire(self) -> WorkerProcess:
        """An idle worker, a new one if the pool has room, or wait for one to be released."""
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        self._busy.add(worker)
                        return worker
                    worker.kill()
                if len(self._busy) + self._starting < self.size:
                    self._starting += 1
                    break
                self._cond.wait()
        try:
            worker = self.factory()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            self._busy.add(worker)
        return worker

    def release(self, worker: WorkerProcess, *, reuse: bool) -> None:
        """Give a worker back; a worker not to be reused is killed."""
        with self._cond:
            was_busy = worker in self._busy
            self._busy.discard(worker)
            keep = reuse and was_busy and worker.alive()
            if keep:
                self._idle.append(worker)
            self._cond.notify()
        if not keep:
            worker.kill()

    def pids(self) -> list[int]:
        with self._cond:
            return sorted(w.pid for w in (*self._idle, *self._busy) if w.alive())

    def close(self) -> None:
        """Kill every worker (busy ones too: their callers get a ``crashed`` result)."""
        with self._cond:
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._busy.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
