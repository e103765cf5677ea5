"""The kernel's layer under RestrictedPython: namespaces, a uid of its own, Landlock, seccomp.

RestrictedPython decides what a program may *name*; if that policy is ever
bypassed, the program holds the real interpreter. These layers decide what the
process itself may *do*, whatever code runs in it, and each one holds on its own
(the tests switch RestrictedPython off to prove it):

``namespaces``
    The template worker leaves the engine's network and IPC namespaces: its jobs
    see only a loopback interface that is down, and no System V IPC object of
    the host. Without root it first enters a user namespace of its own.
``uid``
    A job never runs with the engine's uid. Started as root, a job switches to
    :data:`SANDBOX_UID`, a uid no account owns, with no groups; in a user
    namespace (engine not root) it runs as that uid inside the namespace, with
    no capabilities outside it.
``landlock``
    Files: read-only beneath the Python standard library, read-write beneath
    the job's scratch directory, nothing else (no ``/etc``, no ``/proc``, no
    home); nothing may be executed. TCP: no bind, no connect (ABI 4). Signals
    and abstract Unix sockets: none outside the job (ABI 6).
``seccomp``
    A filter that makes the system calls a program needs none of fail with
    ``EPERM``: sockets, ``exec``, new processes (threads stay possible),
    ``ptrace`` and reading other processes' memory, namespaces and mounts,
    signals, credentials, BPF, io_uring, keyrings, System V IPC, kernel modules.

Each layer reports what it applied, or why it could not (a kernel without
Landlock, a container that forbids user namespaces); the executor shows that
report (``agentcore sandbox check``) and can require every layer.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sysconfig

from agentcore_sandbox import landlock

SANDBOX_UID = 2_000_000_000
SANDBOX_GID = 2_000_000_000

KERNEL_LAYERS = ("namespaces", "uid", "landlock", "seccomp")

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CLONE_THREAD = 0x00010000
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_TIOCSTI = 0x5412

# System calls a sandboxed program has no use for; each fails with EPERM.
DENIED_SYSCALLS = (
    # network
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    # programs and processes (clone is allowed for threads only, below)
    "execve",
    "execveat",
    "fork",
    "vfork",
    # other processes
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    # namespaces, mounts, root directory
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    # credentials
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setfsuid",
    "setfsgid",
    "capset",
    # kernel facilities with a history of escapes
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
    "personality",
    # System V and POSIX IPC (objects outside the file system)
    "msgget",
    "semget",
    "shmget",
    "mq_open",
    # the machine itself
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "sethostname",
    "setdomainname",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
)

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


# --- in the template worker, once ----------------------------------------------------------


def leave_namespaces() -> str:
    """Leave the engine's network and IPC namespaces (template side); say what was done.

    As root this is a plain ``unshare``. Otherwise the worker first creates a
    user namespace in which it is :data:`SANDBOX_UID`; the new network and IPC
    namespaces belong to it. Must run before any thread exists.
    """
    if os.geteuid() == 0:
        _check(_libc.unshare(_CLONE_NEWNET | _CLONE_NEWIPC), "unshare(net, ipc)")
        return "net, ipc"
    uid, gid = os.geteuid(), os.getegid()
    # A process that changed credentials is not dumpable, which makes its /proc files
    # root's: it could not write its own id maps. (Each job process sets it back to 0.)
    _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWIPC), "unshare(user, net, ipc)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{SANDBOX_UID} {uid} 1")
    _write("/proc/self/gid_map", f"{SANDBOX_GID} {gid} 1")
    os.setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID)
    os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    return "user, net, ipc"


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


# What a job may read: the standard library (lazy imports, codecs), nothing else.
# "stdlib" is the base interpreter's library even in a virtual environment, whose
# own lib directory (site-packages) stays out of reach. Computed once, in the template.
READABLE_ROOTS: tuple[str, ...] = (sysconfig.get_path("stdlib"),)


# --- in each job process, after fork -------------------------------------------------------


def die_with_parent() -> None:
    """The job is killed if the template worker dies (set after every credential change)."""
    _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)


def drop_uid() -> str:
    """Switch to :data:`SANDBOX_UID` with no groups; return the uid now in force.

    Inside the worker's user namespace the process already is that uid.
    """
    if os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    if 0 in os.getresuid():
        raise OSError(errno.EPERM, "the job still runs as root")
    # Not dumpable: no other process of the same uid may ptrace it or read its /proc files.
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    return str(os.geteuid())


def apply_landlock(scratch: str) -> str:
    """Landlock this process: see the module docstring."""
    report = landlock.restrict_self(READABLE_ROOTS, [scratch])
    return report.describe()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_BPF_INSTRUCTION_BYTES = 8


def build_seccomp_filter() -> bytes:
    """Compile the deny-list filter to BPF with libseccomp (template side, once).

    Every job process loads the same compiled program (:func:`load_seccomp_filter`),
    so none of them pays for the compilation.
    """
    import pyseccomp

    denied = pyseccomp.ERRNO(errno.EPERM)
    syscall_filter = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            syscall_filter.add_rule(denied, name)
        except (ValueError, RuntimeError, OSError):
            continue  # not a system call on this architecture
    # clone creates threads (allowed) or processes (CLONE_THREAD unset: refused);
    # clone3 passes its flags in memory, which a filter cannot read: glibc then uses clone.
    syscall_filter.add_rule(
        denied, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, _CLONE_THREAD, 0)
    )
    syscall_filter.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    # Typing into the terminal of whoever reads it (TIOCSTI) is refused too.
    syscall_filter.add_rule(denied, "ioctl", pyseccomp.Arg(1, pyseccomp.EQ, _TIOCSTI))
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=True) as sink:
            syscall_filter.export_bpf(sink)
        return _read_all(read_end)
    finally:
        os.close(read_end)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def load_seccomp_filter(program: bytes) -> str:
    """Install a compiled filter on this process for good (it binds every later thread too)."""
    if not program or len(program) % _BPF_INSTRUCTION_BYTES:
        raise OSError(errno.EINVAL, "no compiled seccomp filter (is libseccomp installed?)")
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // _BPF_INSTRUCTION_BYTES, ctypes.addressof(buffer))
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(
        _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
        "prctl(PR_SET_SECCOMP)",
    )
    return f"{len(DENIED_SYSCALLS) + 3} rules, {fprog.len} BPF instructions"
