"""The engine's side of the query process (:mod:`agentcore_duckdb.worker`): start, ask, end.

One process per :class:`~agentcore_duckdb.database.SqlDatabase`, started on its first query
and again after it was ended (a query past its deadline, or one that took the process down).
A request waits at most until its deadline; then the process is killed (``SIGKILL``: a query
stuck in DuckDB cannot be asked politely) and the caller reports a timeout. The process gets
a minimal environment: the engine's secrets (API keys in the environment) are not its business.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

#: Environment variables the query process keeps (how to find Python and its packages).
_KEPT_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "HOME", "LANG", "TMPDIR")
START_TIMEOUT_S = 60.0


class ProcessTimeout(Exception):
    """The query process did not answer by the deadline; it has been killed."""


class ProcessDied(Exception):
    """The query process ended while working on a request (out of memory, most likely)."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


class ProcessSetupError(Exception):
    """The query process could not open the database."""


class QueryProcess:
    """A running ``python -m agentcore_duckdb.worker``; not thread-safe (callers lock)."""

    def __init__(self, setup: dict[str, Any]) -> None:
        self._setup = setup
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._stderr: Any = None
        self.policy_sent: object | None = None  # the policy object the process last received

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def request(self, payload: dict[str, Any], deadline_s: float) -> dict[str, Any]:
        """Send one request and wait for its answer for at most ``deadline_s`` seconds."""
        if not self.alive:
            self._start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(payload).encode() + b"\n")
            proc.stdin.flush()
        except OSError as exc:  # it died between two requests
            raise ProcessDied(self._ended()) from exc
        return self._read_line(deadline_s)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        self.policy_sent = None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # an idle process exits on end of input
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()
        self.stop()

    # -- internals ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.stop()
        self._buffer = b""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        env = {key: os.environ[key] for key in _KEPT_ENV if key in os.environ}
        # The same modules as here, however this process found them (installed or on sys.path).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "agentcore_duckdb.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
        )
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(self._setup).encode() + b"\n")
        self._proc.stdin.flush()
        try:
            ready = self._read_line(START_TIMEOUT_S)
        except ProcessTimeout:
            raise ProcessSetupError(
                f"the query process did not start within {START_TIMEOUT_S:g} s"
            ) from None
        except ProcessDied as exc:
            raise ProcessSetupError(f"the query process could not start: {exc.how}") from None
        if not ready.get("ready"):
            self.stop()
            raise ProcessSetupError(str(ready.get("error") or "it did not say why"))

    def _read_line(self, deadline_s: float) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + deadline_s
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    self.kill()
                    raise ProcessTimeout()
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise ProcessDied(self._ended())
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _ended(self) -> str:
        """How the process ended (after reaping it), with the last words it wrote."""
        proc = self._proc
        code = proc.wait() if proc is not None else None
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            words = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
            tail = f": {words[-1][:200]}" if words else ""
        self.stop()
        if code is not None and code < 0:
            return f"killed by signal {signal.Signals(-code).name}{tail}"
        return f"exit status {code}{tail}"
