"""The worker's second line of defence, tested in a process that applies it for real.

If the RestrictedPython policy were ever bypassed, code would run with the
worker's full Python. These tests apply the worker's own limits in a separate
interpreter and then try, without any restriction, to fork, spawn, open
sockets, call C and write files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import agentcore_sandbox
import pytest

PACKAGE_PARENT = str(Path(agentcore_sandbox.__file__).resolve().parent.parent)

PROBE = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from agentcore_sandbox.limits import Limits, apply_limits

saved_fork = os.fork  # kept from before hardening, to test the kernel's own limit
applied = apply_limits(Limits(memory_mb=256))
out = {"applied": applied}

def attempt(name, action):
    try:
        action()
        out[name] = "allowed"
    except BaseException as exc:
        out[name] = type(exc).__name__

attempt("os.fork", lambda: os.fork())
attempt("os.system", lambda: os.system("true"))
attempt("os.posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {}))
attempt("os.execv", lambda: os.execv("/bin/true", ["true"]))
attempt("import subprocess", lambda: __import__("subprocess"))
attempt("import _posixsubprocess", lambda: __import__("_posixsubprocess"))
attempt("import multiprocessing", lambda: __import__("multiprocessing"))
attempt("import socket", lambda: __import__("socket"))
attempt("import ctypes", lambda: __import__("ctypes"))
def write_file():
    with open("probe.txt", "w") as handle:
        handle.write("x" * 10_000)

attempt("write a file", write_file)
attempt("allocate 1 GiB", lambda: bytearray(1 << 30))
if applied["dropped_privileges"]:
    def fork_with_saved():
        pid = saved_fork()
        if pid == 0:
            os._exit(0)
    attempt("fork (kernel)", fork_with_saved)
print(json.dumps(out))
"""


@pytest.fixture
def probe(tmp_path):
    scratch = tmp_path / "agentcore-sandbox-probe"  # the worker's scratch directory name
    scratch.mkdir()
    completed = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, PACKAGE_PARENT],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout), scratch


def test_process_spawning_functions_are_gone(probe):
    out, _ = probe
    for name in ("os.fork", "os.system", "os.posix_spawn", "os.execv"):
        assert out[name] == "AttributeError", (name, out[name])


def test_spawning_socket_and_c_modules_cannot_be_imported(probe):
    out, _ = probe
    for name in (
        "import subprocess",
        "import _posixsubprocess",
        "import multiprocessing",
        "import socket",
        "import ctypes",
    ):
        assert out[name] in {"ImportError", "ModuleNotFoundError"}, (name, out[name])


def test_files_cannot_grow_and_memory_is_capped(probe):
    out, tmp_path = probe
    assert out["write a file"] == "OSError"  # EFBIG: RLIMIT_FSIZE is 0
    written = tmp_path / "probe.txt"
    assert not written.exists() or written.stat().st_size == 0
    assert out["allocate 1 GiB"] == "MemoryError"


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges are dropped only when started as root")
def test_root_is_given_up_and_the_kernel_refuses_fork(probe):
    out, _ = probe
    if not out["applied"]["dropped_privileges"]:
        pytest.skip("this container does not allow setuid; the other layers still hold")
    assert out["applied"]["uid"] != 0
    assert out["fork (kernel)"] == "BlockingIOError"
