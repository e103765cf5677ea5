"""``SandboxExecutor``: the code executor PAL and the ``python`` tool use (engine side).

The engine never runs model code. It sends the program to a warm template
worker (:mod:`agentcore_sandbox.worker`), which runs it in a fresh process
forked for that job alone and confined by the kernel (:mod:`.confine`: its own
uid, network and IPC namespaces, Landlock, seccomp) and by resource limits
(:mod:`.limits`), where RestrictedPython compiles it under the policy in
:mod:`.policy`. The worker enforces the time limit; the engine keeps a later
deadline of its own and replaces a worker that stops answering, crashes, or
served ``max_jobs_per_worker`` jobs.
"""

from __future__ import annotations

import os
import time
import weakref
from typing import Any

from agentcore.models import ExecutionError, ExecutionResult
from agentcore.plugin import CodeExecutor, ConfigError, validate_options
from agentcore_sandbox.confine import KERNEL_LAYERS
from agentcore_sandbox.limits import Limits
from agentcore_sandbox.options import RunLimit, SandboxOptions
from agentcore_sandbox.workers import WorkerDied, WorkerPool, WorkerProcess, WorkerTimeout


class SandboxExecutor(CodeExecutor):
    """Runs programs in RestrictedPython inside confined, resource-limited job processes.

    Its options (limits, workers, the kernel layers) are
    :class:`~agentcore_sandbox.options.SandboxOptions`, validated here and by the registry.
    By default a kernel layer the machine cannot apply is reported by :meth:`isolation` and
    in ``agentcore sandbox check`` while the others still hold (``require_kernel_layers``
    refuses to run instead); ``kernel_layers`` and ``restricted_python`` weaken the sandbox
    to prove each layer on its own and are only honoured with ``AGENTCORE_SANDBOX_TESTING=1``.
    """

    name = "sandbox"

    def __init__(self, **options: Any) -> None:
        """``options``: see :class:`~agentcore_sandbox.options.SandboxOptions`."""
        opts = validate_options(SandboxOptions, options, where="sandbox executor")
        self.timeout_s = opts.timeout_s
        self.max_output_chars = opts.max_output_chars
        self.max_result_bytes = opts.max_result_bytes
        self.max_code_chars = opts.max_code_chars
        self.max_int_bits = opts.max_int_bits
        self.max_jobs_per_worker = opts.max_jobs_per_worker
        self.startup_timeout_s = opts.startup_timeout_s
        kernel_layers, restricted_python = opts.kernel_layers, opts.restricted_python
        weakened = set(kernel_layers) != set(KERNEL_LAYERS) or not restricted_python
        if weakened and os.environ.get("AGENTCORE_SANDBOX_TESTING") != "1":
            raise ConfigError(
                "kernel_layers and restricted_python only exist to test the sandbox's layers "
                "one at a time; set AGENTCORE_SANDBOX_TESTING=1 if that is what you are doing"
            )
        self.limits = Limits(
            memory_mb=opts.memory_mb,
            recursion_limit=opts.recursion_limit,
            kernel_layers=kernel_layers,
            require_kernel_layers=opts.require_kernel_layers,
            restricted_python=restricted_python,
        )
        self._pool = WorkerPool(opts.workers, self._start_worker)
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
        limit = (
            self.timeout_s
            if timeout_s is None
            else validate_options(RunLimit, {"timeout_s": timeout_s}, where="sandbox run").timeout_s
        )
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
        job["max_reply_bytes"] = max_reply
        worker = self._pool.acquire()
        reuse = False
        try:
            reply = worker.request(job, limit, max_reply)
            reuse = worker.jobs_done < self.max_jobs_per_worker
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

    def isolation(self) -> dict[str, str]:
        """What confines each job: every kernel layer and what it applied, or why not.

        Starts a worker if none is running. Keys: ``namespaces``, ``landlock``,
        ``uid``, ``seccomp`` (a layer that could not be applied says
        ``unavailable: <reason>``), and ``restricted_python``.
        """
        worker = self._pool.acquire()
        try:
            layers = dict(worker.info.get("layers") or {})
        finally:
            self._pool.release(worker, reuse=True)
        for name in KERNEL_LAYERS:
            layers.setdefault(name, "off")
        layers["restricted_python"] = "on" if self.limits.restricted_python else "off"
        return layers

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
