"""Resource limits a job process puts on itself before it runs its program.

With the kernel layers (:mod:`agentcore_sandbox.confine`) these hold whatever
code runs in the process: it cannot grow past its address-space limit, burn
more CPU seconds than the job allows, write a byte to any file, open more than a
few descriptors, start processes, or dump core. On top, the process-spawning
functions are removed from ``os``/``posix`` and the modules that spawn
processes, open sockets or call C are blocked, so Python itself offers no way.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
from dataclasses import dataclass

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
    """Resource limits and isolation layers of the job processes a worker forks.

    ``kernel_layers`` and ``restricted_python`` exist so tests can prove each
    layer on its own; ``SandboxExecutor`` only lets them be weakened under
    ``AGENTCORE_SANDBOX_TESTING=1``.
    """

    memory_mb: int = 512
    max_open_files: int = 16
    recursion_limit: int = 1000
    int_max_str_digits: int = 4300
    kernel_layers: tuple[str, ...] = ("namespaces", "uid", "landlock", "seccomp")
    require_kernel_layers: bool = False
    restricted_python: bool = True


def apply_rlimits(limits: Limits) -> None:
    """Limit this (job) process's memory, files, descriptors, core dumps and children."""
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files))
    # No new processes for this uid (root ignores it, and a job is never root).
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    # The soft CPU limit is set per job (see set_cpu_budget); the hard one is a ceiling.
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_HARD_LIMIT_S, CPU_HARD_LIMIT_S))
    # A write past RLIMIT_FSIZE then fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    sys.setrecursionlimit(limits.recursion_limit)
    sys.set_int_max_str_digits(limits.int_max_str_digits)


def remove_process_spawning() -> None:
    """Take the ways to start a process, a socket or foreign code out of Python's reach."""
    import posix

    for module in (os, posix):
        for name in SPAWNING_FUNCTIONS:
            if hasattr(module, name):
                delattr(module, name)
    for name in BLOCKED_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail


def set_cpu_budget(seconds: float) -> None:
    """Let the job use ``seconds`` more CPU time before the kernel stops the process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = min(CPU_HARD_LIMIT_S, math.ceil(used + seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, CPU_HARD_LIMIT_S))
