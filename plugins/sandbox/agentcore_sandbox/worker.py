"""The worker process: a long-lived child that runs programs one at a time.

Started by :class:`agentcore_sandbox.executor.WorkerProcess` as
``python -I -c <bootstrap> <limits as JSON>`` with a clean environment and a
fresh scratch directory as its working directory. It

1. moves the job pipe off file descriptors 0/1 (so nothing a library prints can
   corrupt the protocol) and points 0/1 at ``/dev/null``;
2. imports everything a program may use (RestrictedPython, the allowed modules),
   because after step 3 it may no longer be able to read the files;
3. applies its operating-system limits (:mod:`agentcore_sandbox.limits`);
4. says it is ready, then answers one job message with one result message until
   the pipe closes, or exits after a job that asked for recycling.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any

from agentcore_sandbox import protocol

MAX_JOB_BYTES = 16 * 1024 * 1024


def _claim_protocol_fds() -> tuple[int, int]:
    job_fd, result_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    return job_fd, result_fd


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job_fd, result_fd = _claim_protocol_fds()
    try:
        from agentcore_sandbox.limits import Limits, apply_limits, set_cpu_budget
        from agentcore_sandbox.program import run_job

        limits = Limits(**json.loads(argv[0])) if argv else Limits()
        applied = apply_limits(limits)
    except BaseException as exc:  # report why this worker cannot start, then stop
        protocol.write_message(result_fd, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    # Everything imported so far lives as long as the worker: keep it out of every
    # later collection, so the per-job collection only walks the job's own garbage.
    gc.collect()
    gc.freeze()
    protocol.write_message(result_fd, {"ready": True, "pid": os.getpid(), **applied})

    while True:
        try:
            job = protocol.read_message(job_fd, MAX_JOB_BYTES)
        except protocol.ProtocolError:
            return 1
        if job is None:
            return 0
        set_cpu_budget(float(job.get("timeout_s", 10.0)))
        result: dict[str, Any] = run_job(job)
        try:
            protocol.write_message(result_fd, result)
        except MemoryError:
            return 1
        if result.get("recycle"):
            return 0
        gc.collect()


if __name__ == "__main__":
    sys.exit(main())
