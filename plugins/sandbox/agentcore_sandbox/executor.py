"""``SandboxExecutor``: the code executor PAL and the ``python`` tool use (engine side).

The engine never runs model code. It sends the program to a warm worker process
(:mod:`agentcore_sandbox.worker`) that compiles it with RestrictedPython under
the policy in :mod:`agentcore_sandbox.policy` and runs it under operating-system
limits (:mod:`agentcore_sandbox.limits`). The engine keeps the wall clock: past
the time limit the worker is killed and replaced. A worker is also replaced
after it ran out of memory, crashed, or served ``max_jobs_per_worker`` jobs.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from agentcore.errors import ConfigError
from agentcore.executors import CodeExecutor
from agentcore.models import ExecutionError, ExecutionResult
from agentcore_sandbox.limits import Limits
from agentcore_sandbox.workers import WorkerDied, WorkerPool, WorkerProcess, WorkerTimeout


class SandboxExecutor(CodeExecutor):
    """Runs programs in RestrictedPython inside resource-limited worker processes.

    Args:
        timeout_s: default wall-clock limit per program (``run(timeout_s=...)`` overrides).
        memory_mb: address-space limit of a worker process.
        max_output_chars: most characters a program may print.
        max_result_bytes: largest return value, measured as JSON.
        max_code_chars: longest program accepted.
        max_int_bits: largest integer ``a ** b`` may produce before it is refused.
        workers: most worker processes running programs at the same time.
        max_jobs_per_worker: a worker is replaced after this many programs.
        recursion_limit: Python recursion limit inside the worker.
        drop_privileges: when the engine runs as root, workers switch to ``nobody``.
        startup_timeout_s: how long a new worker may take to become ready.
    """

    name = "sandbox"

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        memory_mb: int = 512,
        max_output_chars: int = 20_000,
        max_result_bytes: int = 1_000_000,
        max_code_chars: int = 200_000,
        max_int_bits: int = 1 << 24,
        workers: int = 1,
        max_jobs_per_worker: int = 200,
        recursion_limit: int = 1000,
        drop_privileges: bool = True,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.timeout_s = _positive("timeout_s", timeout_s, float)
        self.max_output_chars = _positive("max_output_chars", max_output_chars, int)
        self.max_result_bytes = _positive("max_result_bytes", max_result_bytes, int)
        self.max_code_chars = _positive("max_code_chars", max_code_chars, int)
        self.max_int_bits = _positive("max_int_bits", max_int_bits, int)
        self.max_jobs_per_worker = _positive("max_jobs_per_worker", max_jobs_per_worker, int)
        self.startup_timeout_s = _positive("startup_timeout_s", startup_timeout_s, float)
        memory_mb = _positive("memory_mb", memory_mb, int)
        if memory_mb < 64:
            raise ConfigError(
                f"sandbox memory_mb={memory_mb} is too small for a Python worker; use 64 or more"
            )
        self.limits = Limits(
            memory_mb=memory_mb,
            recursion_limit=_positive("recursion_limit", recursion_limit, int),
            drop_privileges=bool(drop_privileges),
        )
        self._pool = WorkerPool(_positive("workers", workers, int), self._start_worker)
        # Workers are stopped when the executor is collected or the interpreter exits.
        self._finalizer = weakref.finalize(self, self._pool.close)

    def _start_worker(self) -> WorkerProcess:
        return WorkerProcess(self.limits, startup_timeout_s=self.startup_timeout_s)

    # -- running programs -------------------------------------------------------------------

    def run(
        self, code: str, *, entrypoint: str | None = "solution", timeout_s: float | None = None
    ) -> ExecutionResult:
        """Run ``code``; with an ``entrypoint``, call that function and return its value."""
        return self.execute(code, entrypoint=entrypoint, timeout_s=timeout_s)

    def execute(
        self,
        code: str,
        *,
        entrypoint: str | None = "solution",
        timeout_s: float | None = None,
        entrypoint_optional: bool = False,
        value_of_last_expression: bool = False,
    ) -> ExecutionResult:
        """Like :meth:`run`, with the options the ``python`` tool uses.

        ``entrypoint_optional`` calls the entry point only if the program defines
        it; ``value_of_last_expression`` makes a final bare expression the value
        (as in a notebook cell).
        """
        started = time.perf_counter()
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        limit = self.timeout_s if timeout_s is None else _positive("timeout_s", timeout_s, float)
        if len(code) > self.max_code_chars:
            return _failed(
                "compile_error",
                f"the program is {len(code):,} characters long, above the "
                f"{self.max_code_chars:,} limit",
                started,
            )
        job = {
            "code": code,
            "entrypoint": entrypoint,
            "entrypoint_optional": entrypoint_optional,
            "value_of_last_expression": value_of_last_expression,
            "timeout_s": limit,
            "max_output_chars": self.max_output_chars,
            "max_result_bytes": self.max_result_bytes,
            "max_int_bits": self.max_int_bits,
        }
        # A character of output is at most 12 bytes of ASCII JSON (an escaped surrogate pair).
        max_reply = self.max_result_bytes + 12 * self.max_output_chars + 65_536
        worker = self._pool.acquire()
        reuse = False
        try:
            reply = worker.request(job, limit, max_reply)
            reuse = not reply.get("recycle") and worker.jobs_done < self.max_jobs_per_worker
        except WorkerTimeout:
            return _failed(
                "timeout",
                f"the program ran past its {limit:g} s time limit and was stopped",
                started,
            )
        except WorkerDied as exc:
            return _failed(exc.kind, exc.message, started)
        finally:
            self._pool.release(worker, reuse=reuse)
        return _from_reply(reply, started)

    # -- workers ----------------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        return self._pool.pids()

    def close(self) -> None:
        """Stop all workers; a later ``run`` starts fresh ones."""
        self._pool.close()

    def __enter__(self) -> SandboxExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _from_reply(reply: dict[str, Any], started: float) -> ExecutionResult:
    error = reply.get("error")
    try:
        return ExecutionResult(
            value=reply.get("value"),
            stdout=str(reply.get("stdout") or ""),
            error=None if error is None else ExecutionError(**error),
            duration_s=time.perf_counter() - started,
        )
    except (TypeError, ValueError) as exc:
        return _failed("crashed", f"the worker sent an invalid result: {exc}", started)


def _failed(kind: str, message: str, started: float) -> ExecutionResult:
    return ExecutionResult(
        error=ExecutionError(kind=kind, message=message),  # type: ignore[arg-type]
        duration_s=time.perf_counter() - started,
    )


def _positive(name: str, value: Any, kind: type) -> Any:
    try:
        converted = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"sandbox setting {name}={value!r} is not a {kind.__name__}; give a positive number"
        ) from None
    if isinstance(value, bool) or converted <= 0:
        raise ConfigError(f"sandbox setting {name}={value!r} must be a positive number")
    return converted
