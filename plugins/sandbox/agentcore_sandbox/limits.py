"""Operating-system limits the worker puts on itself before it runs any program.

These are the second line of defence, for the case where the RestrictedPython
policy is ever bypassed: the process cannot grow past its address-space limit,
burn more CPU seconds than the job allows, write a byte to any file, open more
than a few descriptors, start processes, or dump core. When it runs as root it
also gives up root (to ``nobody``, which owns nothing but the scratch directory
and cannot read root's files), since root ignores ``RLIMIT_NPROC``; and it
removes the process-spawning functions from ``os``/``posix`` and blocks the
modules that spawn processes, open sockets or call C, so even unrestricted code
in this process would find no way to fork.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
from dataclasses import dataclass

NOBODY = 65534
SCRATCH_PREFIX = "agentcore-sandbox-"

SPAWNING_FUNCTIONS = (
    "fork",
    "forkpty",
    "vfork",
    "system",
    "popen",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
    "kill",
    "killpg",
    "register_at_fork",
)

BLOCKED_MODULES = (
    "subprocess",
    "_posixsubprocess",
    "multiprocessing",
    "_multiprocessing",
    "socket",
    "_socket",
    "ssl",
    "_ssl",
    "ctypes",
    "_ctypes",
    "pty",
    "shutil",
    "pathlib",
    "tempfile",
)

CPU_HARD_LIMIT_S = 3600


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process."""

    memory_mb: int = 512
    max_open_files: int = 16
    recursion_limit: int = 1000
    int_max_str_digits: int = 4300
    drop_privileges: bool = True


def apply_limits(limits: Limits) -> dict[str, object]:
    """Limit this process; return what was applied (for the worker's ready message)."""
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files))
    # The soft CPU limit is raised per job (see set_cpu_budget); the hard one is a ceiling.
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_HARD_LIMIT_S, CPU_HARD_LIMIT_S))
    # A write past RLIMIT_FSIZE then fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.setrecursionlimit(limits.recursion_limit)
    sys.set_int_max_str_digits(limits.int_max_str_digits)

    dropped = False
    if limits.drop_privileges and os.geteuid() == 0:
        try:
            cwd = os.getcwd()
            # Only the worker's own scratch directory changes hands, never a shared one.
            if os.path.basename(cwd).startswith(SCRATCH_PREFIX):
                os.chown(cwd, NOBODY, NOBODY)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            dropped = True
        except OSError:  # no CAP_SETUID (some containers): the other limits still hold
            dropped = False
    # Unprivileged now (or never root): RLIMIT_NPROC=0 means this process cannot fork.
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    remove_process_spawning()
    return {"uid": os.getuid(), "dropped_privileges": dropped}


def remove_process_spawning() -> None:
    """Take the ways to start a process, a socket or foreign code out of reach."""
    import posix

    for module in (os, posix):
        for name in SPAWNING_FUNCTIONS:
            if hasattr(module, name):
                delattr(module, name)
    for name in BLOCKED_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail


def set_cpu_budget(seconds: float) -> None:
    """Let the next job use ``seconds`` more CPU time before the kernel stops the process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = min(CPU_HARD_LIMIT_S, math.ceil(used + seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, CPU_HARD_LIMIT_S))
