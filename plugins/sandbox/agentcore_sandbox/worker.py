"""The template worker: forks a fresh, confined process for every job.

Started by :class:`agentcore_sandbox.workers.WorkerProcess` as
``python -I -c <bootstrap> <limits as JSON>`` with a clean environment and a
fresh scratch directory as its working directory. It

1. moves the engine's pipe off file descriptors 0/1 (so nothing a library
   prints can corrupt the protocol) and points 0/1 at ``/dev/null``;
2. imports everything a program may use (RestrictedPython, the allowed
   modules, the seccomp library), then freezes those objects for the garbage
   collector so forked children share their pages;
3. leaves the engine's network and IPC namespaces (:mod:`.confine`);
4. forks the first **job process**, which confines itself (Landlock, its own
   uid, seccomp, resource limits) and reports what it applied; the worker
   says it is ready with that report;
5. for each job from the engine: hands it to the waiting job process over a
   pipe of their own, waits for the result no longer than the job's time
   limit (killing it past the limit), forwards the result, reaps the process,
   removes its scratch directory — and forks the next one.

No program ever runs in the template itself, so nothing a job does (patching a
module, registering a class with an ABC, leaving a generator suspended,
seeding ``random``) can be seen by a later job: each starts from the same
pristine state. The job process holds only its own two pipe ends.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

from agentcore_sandbox import protocol

MAX_JOB_BYTES = 16 * 1024 * 1024
# Time a job process may take to confine itself and report.
ARM_TIMEOUT_S = 10.0


@dataclass
class JobProcess:
    """One forked, confined job process waiting for (or running) its job."""

    pid: int
    job_fd: int  # the worker writes the job here
    result_fd: int  # and reads the result here
    scratch: str
    report: dict[str, Any]
    reaped: bool = False
    status: int | None = None


class Template:
    """The worker's side of the job processes: fork, hand over, watch, reap."""

    def __init__(self, limits: Any, namespaces: str, seccomp_filter: bytes | str) -> None:
        self.limits = limits
        self.namespaces = namespaces
        self.seccomp_filter = seccomp_filter  # compiled BPF, or why there is none
        self.base = os.getcwd()
        self.count = 0

    def spawn(self) -> JobProcess:
        """Fork the next job process and wait until it has confined itself."""
        from agentcore_sandbox.confine import SANDBOX_GID, SANDBOX_UID

        self.count += 1
        scratch = os.path.join(self.base, f"job-{self.count}")
        os.mkdir(scratch, 0o700)
        if os.geteuid() == 0 and "uid" in self.limits.kernel_layers:
            os.chown(scratch, SANDBOX_UID, SANDBOX_GID)
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the job process: never returns
            os.close(job_w)
            os.close(result_r)
            _job_process(self, job_r, result_w, scratch)
        os.close(job_r)
        os.close(result_w)
        child = JobProcess(pid, job_w, result_r, scratch, {})
        try:
            report = protocol.read_message(result_r, 1 << 16, time.monotonic() + ARM_TIMEOUT_S)
        except (protocol.DeadlinePassed, protocol.ProtocolError):
            report = None
        if not report or not report.get("armed"):
            self.discard(child)
            reason = report.get("error") if report else "it did not report"
            raise RuntimeError(f"a job process could not confine itself: {reason}")
        child.report = report
        return child

    def run(self, child: JobProcess, job: dict[str, Any], raw_job: bytes) -> bytes:
        """Hand ``job`` to ``child``; return the result message to forward.

        A child that sent its result is left to exit on its own; the caller
        reaps it with :meth:`discard` after forwarding the result, so its
        teardown is not on the way of the reply.
        """
        timeout_s = float(job.get("timeout_s", 10.0))
        max_reply = int(job.get("max_reply_bytes", protocol.MAX_MESSAGE_BYTES))
        try:
            protocol.write_raw(child.job_fd, raw_job)
            raw = protocol.read_raw(child.result_fd, max_reply, time.monotonic() + timeout_s)
        except protocol.DeadlinePassed:
            self.discard(child)
            return _error(
                "timeout", f"the program ran past its {timeout_s:g} s time limit and was stopped"
            )
        except (OSError, protocol.ProtocolError) as exc:
            status = self.discard(child)
            kind, message = protocol.describe_exit(status)
            if status == 0 or status is None:
                message = f"{message} ({exc})"
            return _error(kind, message)
        if raw is None:  # the process ended without a result
            return _error(*protocol.describe_exit(self.discard(child)))
        return raw

    def discard(self, child: JobProcess) -> int | None:
        """Kill (if still running) and reap ``child``; return its exit status (-N: signal N)."""
        if child.reaped:
            return child.status
        child.reaped = True
        for fd in (child.job_fd, child.result_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        status: int | None = None
        try:
            pid, raw_status = os.waitpid(child.pid, os.WNOHANG)
            if pid == 0:
                os.kill(child.pid, signal.SIGKILL)
                _, raw_status = os.waitpid(child.pid, 0)
            status = os.waitstatus_to_exitcode(raw_status)
        except ChildProcessError:
            status = None
        shutil.rmtree(child.scratch, ignore_errors=True)
        child.status = status
        return status


def _error(kind: str, message: str) -> bytes:
    return protocol.encode(
        {"value": None, "stdout": "", "error": {"kind": kind, "message": message}}
    )


def _job_process(template: Template, job_fd: int, result_fd: int, scratch: str) -> None:
    """Body of a forked job process: confine, report, run one job, exit."""
    limits = template.limits
    status = 0
    try:
        os.closerange(3, job_fd)
        os.closerange(job_fd + 1, result_fd)
        os.closerange(result_fd + 1, 1 << 16)
        layers = _confine(template, scratch)
        _warm_up(limits)
        protocol.write_message(result_fd, {"armed": True, "layers": layers})
        job = protocol.read_message(job_fd, MAX_JOB_BYTES)
        if job is not None:
            from agentcore_sandbox.limits import set_cpu_budget
            from agentcore_sandbox.program import run_job

            set_cpu_budget(float(job.get("timeout_s", 10.0)))
            protocol.write_message(result_fd, run_job(job, restricted=limits.restricted_python))
    except BaseException as exc:  # tell the worker why, if the pipe still works
        status = 1
        with contextlib.suppress(BaseException):
            protocol.write_message(result_fd, {"armed": False, "error": _describe(exc)})
    finally:
        os._exit(status)


def _confine(template: Template, scratch: str) -> dict[str, str]:
    """Apply every layer in ``limits.kernel_layers``; return what each one did."""
    from agentcore_sandbox import confine
    from agentcore_sandbox.limits import apply_rlimits, remove_process_spawning

    limits = template.limits
    layers: dict[str, str] = {"namespaces": template.namespaces} if template.namespaces else {}
    os.chdir(scratch)
    confine.die_with_parent()
    steps = (
        ("landlock", lambda: confine.apply_landlock(scratch)),
        ("uid", confine.drop_uid),
        ("seccomp", lambda: _load_seccomp(template.seccomp_filter)),
    )
    for name, step in steps:
        if name not in limits.kernel_layers:
            continue
        try:
            layers[name] = step()
        except Exception as exc:
            if limits.require_kernel_layers:
                raise RuntimeError(f"the {name} layer cannot be applied: {_describe(exc)}") from exc
            layers[name] = f"unavailable: {_describe(exc)}"
    if "uid" in layers:  # PDEATHSIG is cleared by a change of credentials
        confine.die_with_parent()
    apply_rlimits(limits)
    if limits.restricted_python:
        remove_process_spawning()
    return layers


# A fixed program of our own, run by each job process before it reports armed: it
# touches (and so copies from the template) the pages that compiling and running any
# program touches, while the process is still waiting — not while a real job waits.
WARM_UP_PROGRAM = """
def solution():
    total = 0
    for n in range(3):
        total += n * 2
    return [str(total), {"n": total / 2}, f"{total:>3}"]
"""


def _warm_up(limits: Any) -> None:
    from agentcore_sandbox.program import run_job

    run_job(
        {"code": WARM_UP_PROGRAM, "entrypoint": "solution"}, restricted=limits.restricted_python
    )


def _load_seccomp(compiled: bytes | str) -> str:
    from agentcore_sandbox import confine

    if isinstance(compiled, str):
        raise OSError(compiled)
    return confine.load_seccomp_filter(compiled)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _claim_protocol_fds() -> tuple[int, int]:
    job_fd, result_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    return job_fd, result_fd


def _prepare(limits: Any) -> Template:
    """Import what jobs need while files can still be read; compile the filter; leave."""
    import time as time_module

    from agentcore_sandbox import confine, policy, program  # noqa: F401  (imported for the jobs)

    if not limits.restricted_python:
        # Tests of the kernel layers alone: the modules an escaped program would use are
        # already loaded, so what stops it is the kernel, not a missing file.
        import ctypes  # noqa: F401
        import socket  # noqa: F401
    seccomp_filter: bytes | str = "not requested"
    if "seccomp" in limits.kernel_layers:
        try:
            seccomp_filter = confine.build_seccomp_filter()
        except Exception as exc:  # each job process reports the layer as unavailable
            seccomp_filter = f"libseccomp cannot compile the filter: {_describe(exc)}"
    time_module.localtime()  # glibc reads the time zone file now, once, for every job
    policy.remember_namespaces()
    namespaces = ""
    if "namespaces" in limits.kernel_layers:
        try:
            namespaces = confine.leave_namespaces()
        except OSError as exc:
            if limits.require_kernel_layers:
                raise RuntimeError(f"the namespaces layer cannot be applied: {exc}") from exc
            namespaces = f"unavailable: {exc}"
    return Template(limits, namespaces, seccomp_filter)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job_fd, result_fd = _claim_protocol_fds()
    try:
        from agentcore_sandbox.limits import Limits

        settings = json.loads(argv[0]) if argv else {}
        if "kernel_layers" in settings:
            settings["kernel_layers"] = tuple(settings["kernel_layers"])
        limits = Limits(**settings)
        template = _prepare(limits)
        # Everything imported so far is shared with every job process: keep it out of
        # the collector's reach, so no collection touches (and copies) those pages.
        gc.collect()
        gc.freeze()
        child = template.spawn()
    except BaseException as exc:  # report why this worker cannot start, then stop
        protocol.write_message(result_fd, {"ready": False, "error": _describe(exc)})
        return 1
    protocol.write_message(
        result_fd, {"ready": True, "pid": os.getpid(), "layers": child.report.get("layers", {})}
    )

    while True:
        try:
            raw_job = protocol.read_raw(job_fd, MAX_JOB_BYTES)
        except protocol.ProtocolError:
            template.discard(child)
            return 1
        if raw_job is None:
            template.discard(child)
            return 0
        try:
            job = protocol.decode(raw_job[protocol.HEADER.size :])
        except protocol.ProtocolError:
            template.discard(child)
            return 1
        reply = template.run(child, job, raw_job)
        try:
            protocol.write_raw(result_fd, reply)
        except OSError:
            return 1
        finally:
            template.discard(child)  # a no-op for a child already reaped
        try:
            child = template.spawn()
        except (OSError, RuntimeError):
            return 1  # the engine sees the pipe close and starts a new worker, which says why


if __name__ == "__main__":
    sys.exit(main())
