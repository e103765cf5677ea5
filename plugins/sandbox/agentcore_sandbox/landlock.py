"""Landlock, through the kernel's own interface (worker side).

Landlock (Linux 5.13+) lets an unprivileged process take away its own access to
the file system, to TCP ports (ABI 4) and to processes and abstract Unix sockets
outside its domain (ABI 6). The rules bind the process and everything it could
ever start; nothing can lift them. Three system calls make the whole interface
(``landlock_create_ruleset``, ``landlock_add_rule``, ``landlock_restrict_self``),
so they are called directly here rather than through a wrapper package: the one
on PyPI is a development release that knows neither network rules nor scopes.

Reference: ``Documentation/userspace-api/landlock.rst`` in the Linux sources.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass

# Landlock's system call numbers are the same on every architecture.
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# File-system access rights, with the ABI version that introduced each.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
# Rights that may be granted on a file (the others only make sense on directories).
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

READ_ONLY = READ_FILE | READ_DIR
READ_WRITE = (
    READ_ONLY | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | TRUNCATE | REFER
)


class LandlockUnavailable(OSError):
    """The kernel cannot apply Landlock (too old, disabled at boot, or blocked)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed: 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(number: int, *args: object) -> int:
    result = _libc.syscall(number, *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(result)


def abi_version() -> int:
    """The kernel's Landlock ABI version; raise :class:`LandlockUnavailable` saying why not."""
    try:
        return _syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    except OSError as exc:
        reasons = {
            errno.ENOSYS: "the kernel has no Landlock (needs Linux 5.13+ built with "
            "CONFIG_SECURITY_LANDLOCK), or a container's seccomp profile hides it",
            errno.EOPNOTSUPP: "Landlock is disabled at boot (add 'landlock' to the lsm= "
            "kernel parameter)",
        }
        reason = reasons.get(exc.errno or 0, exc.strerror)
        raise LandlockUnavailable(exc.errno, f"Landlock is unavailable: {reason}") from None


@dataclass(frozen=True)
class LandlockReport:
    """What :func:`restrict_self` enforced, for the worker's ready message."""

    abi: int
    tcp: bool
    scopes: bool

    def describe(self) -> str:
        parts = ["files", *(["tcp"] if self.tcp else []), *(["signals"] if self.scopes else [])]
        return f"ABI {self.abi}: " + ", ".join(parts)


def restrict_self(read_only: Iterable[str], read_write: Iterable[str]) -> LandlockReport:
    """Confine this process for good: files only beneath the given paths, no TCP, own scope.

    ``read_only`` paths may be read (files and directory listings), ``read_write``
    ones also written, created in and removed from; nothing anywhere may be
    executed. With ABI 4+ no TCP port may be bound or connected to; with ABI 6+
    no signal may be sent and no abstract Unix socket reached outside the
    domain. Paths that do not exist are skipped.
    """
    abi = abi_version()
    handled_fs = _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= abi)]
    attr = _RulesetAttr(
        handled_access_fs=handled_fs,
        handled_access_net=(NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
        scoped=(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else (16 if abi < 6 else ctypes.sizeof(_RulesetAttr))
    ruleset = _syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    try:
        for paths, access in ((read_only, READ_ONLY), (read_write, READ_WRITE)):
            for path in paths:
                _allow_beneath(ruleset, path, access & handled_fs)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(code)}")
        _syscall(_SYS_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return LandlockReport(abi=abi, tcp=abi >= 4, scopes=abi >= 6)


def _allow_beneath(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            access &= _FILE_RIGHTS
        rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
        _syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(fd)
