"""The kernel's layer, proven on its own: RestrictedPython is switched off.

Each test runs plain Python — the real builtins, ``open``, ``os``, ``socket``
already imported — in a real job process, as an attacker who got past
RestrictedPython would, and asserts the kernel refuses. First with every layer,
then with one layer at a time, so each is shown to hold by itself.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from agentcore_sandbox.confine import KERNEL_LAYERS
from agentcore_sandbox.executor import SandboxExecutor

from agentcore.errors import ConfigError


@pytest.fixture(scope="module")
def listener() -> Iterator[int]:
    """A TCP listener on loopback in the engine's network namespace; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def unrestricted(*layers: str) -> SandboxExecutor:
    os.environ["AGENTCORE_SANDBOX_TESTING"] = "1"
    try:
        return SandboxExecutor(restricted_python=False, kernel_layers=layers, timeout_s=5.0)
    finally:
        del os.environ["AGENTCORE_SANDBOX_TESTING"]


def attacks(port: int) -> dict[str, str]:
    engine = os.getpid()
    return {
        "read /etc/passwd": "def solution():\n    return open('/etc/passwd').read()",
        "read the parent's environment": (
            "import os\ndef solution():\n    return open(f'/proc/{os.getppid()}/environ').read()"
        ),
        "read the engine's environment": (
            f"def solution():\n    return open('/proc/{engine}/environ').read()"
        ),
        "read the engine's memory map": (
            f"def solution():\n    return open('/proc/{engine}/maps').read()"
        ),
        "connect to a loopback listener": (
            "import socket\ndef solution():\n    s = socket.socket()\n"
            f"    s.settimeout(2)\n    s.connect(('127.0.0.1', {port}))\n    return 'connected'"
        ),
        "execv": "import os\ndef solution():\n    os.execv('/bin/true', ['true'])",
        "fork": (
            "import os\ndef solution():\n    pid = os.fork()\n    if pid == 0:\n"
            "        os._exit(0)\n    return pid"
        ),
        "signal the engine": f"import os\ndef solution():\n    os.kill({engine}, 0)",
        "write outside the scratch directory": (
            "def solution():\n    open('/tmp/agentcore-escape', 'w').write('x')"
        ),
        "list the root directory": "import os\ndef solution():\n    return os.listdir('/')",
    }


def _refused(result, *kinds: str) -> bool:
    """The program failed with an OS-level refusal (an OSError subclass), nothing leaked."""
    if result.ok or result.error is None:
        return False
    message = result.error.message
    return result.error.kind == "runtime_error" and any(k in message for k in kinds)


OS_REFUSALS = ("PermissionError", "OSError", "ConnectionRefused", "Errno")


def test_testing_flags_are_refused_outside_tests(monkeypatch):
    monkeypatch.delenv("AGENTCORE_SANDBOX_TESTING", raising=False)
    with pytest.raises(ConfigError, match="AGENTCORE_SANDBOX_TESTING"):
        SandboxExecutor(restricted_python=False)
    with pytest.raises(ConfigError, match="AGENTCORE_SANDBOX_TESTING"):
        SandboxExecutor(kernel_layers=("seccomp",))
    with pytest.raises(ConfigError, match="unknown sandbox kernel layer"):
        SandboxExecutor(kernel_layers=("selinux",))


def test_every_layer_is_applied_here():
    with SandboxExecutor() as executor:
        layers = executor.isolation()
    assert layers["restricted_python"] == "on"
    for name in KERNEL_LAYERS:
        assert not layers[name].startswith(("unavailable", "off")), (name, layers[name])
    assert layers["landlock"].startswith("ABI ")


@pytest.mark.parametrize("name", sorted(attacks(0)))
def test_all_kernel_layers_stop_unrestricted_python(listener, name):
    code = attacks(listener)[name]
    with unrestricted(*KERNEL_LAYERS) as executor:
        result = executor.run(code)
    assert _refused(result, *OS_REFUSALS), (name, result)


def test_unrestricted_python_still_runs_plain_programs():
    """The flag really runs plain Python (so the refusals above are the kernel's)."""
    with unrestricted(*KERNEL_LAYERS) as executor:
        result = executor.run(
            "import os, socket\ndef solution():\n    return [os.getcwd() != '/', 6 * 7]"
        )
    assert result.ok, result.error
    assert result.value == [True, 42]


# One layer at a time: what that layer alone must stop.
SINGLE_LAYER = {
    "landlock": (
        "read /etc/passwd",
        "read the parent's environment",
        "read the engine's environment",
        "read the engine's memory map",
        "connect to a loopback listener",
        "execv",
        "write outside the scratch directory",
        "list the root directory",
    ),
    "seccomp": ("connect to a loopback listener", "execv", "fork", "signal the engine"),
    "uid": ("read the parent's environment", "read the engine's environment"),
    "namespaces": ("connect to a loopback listener",),
}


@pytest.mark.parametrize(
    ("layer", "name"), [(layer, name) for layer, names in SINGLE_LAYER.items() for name in names]
)
def test_each_layer_holds_on_its_own(listener, layer, name):
    if layer in ("uid", "namespaces") and os.geteuid() != 0:
        pytest.skip("without root these layers come from a user namespace, tested with the rest")
    with unrestricted(layer) as executor:
        applied = executor.isolation()[layer]
        if applied.startswith("unavailable"):
            pytest.skip(f"{layer}: {applied}")
        result = executor.run(attacks(listener)[name])
    assert _refused(result, *OS_REFUSALS), (layer, name, result)


def test_without_any_kernel_layer_the_attacks_work(listener):
    """The control: the same programs succeed with no layer, so each test above can fail."""
    with unrestricted() as executor:
        passwd = executor.run(attacks(listener)["read /etc/passwd"])
        connected = executor.run(attacks(listener)["connect to a loopback listener"])
    assert passwd.ok and "root:" in passwd.value
    assert connected.ok and connected.value == "connected"


def test_memory_and_file_size_limits_hold_without_restricted_python():
    with unrestricted(*KERNEL_LAYERS) as executor:
        big = executor.run("def solution():\n    return len(bytearray(1 << 30))")
        write = executor.run("def solution():\n    open('x.txt', 'w').write('x' * 10_000)")
    assert big.error is not None and big.error.kind in {"memory", "runtime_error"}
    assert write.error is not None and "Errno 27" in write.error.message  # EFBIG


def test_a_crash_of_the_job_process_is_reported_and_the_worker_goes_on():
    with unrestricted(*KERNEL_LAYERS) as executor:
        crashed = executor.run("import ctypes\ndef solution():\n    ctypes.string_at(0)")
        after = executor.run("def solution():\n    return 5")
    assert crashed.error is not None and crashed.error.kind == "crashed"
    assert "SIGSEGV" in crashed.error.message
    assert after.value == 5


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user first")
def test_without_root_the_worker_enters_a_user_namespace_of_its_own(listener):
    """The non-root path of ``leave_namespaces``, in a forked child that gave up root."""
    from agentcore_sandbox import confine

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: an unprivileged engine
        outcome = "?"
        try:
            os.setgroups([])
            os.setresgid(54321, 54321, 54321)
            os.setresuid(54321, 54321, 54321)
            applied = confine.leave_namespaces()
            probe = socket.socket()
            try:
                probe.connect(("127.0.0.1", listener))
                network = "connected"
            except OSError as exc:
                network = type(exc).__name__
            outcome = f"{applied}|{os.geteuid()}|{network}"
        except BaseException as exc:
            outcome = f"error {type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    outcome = os.read(read_end, 4096).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    if outcome.startswith("error PermissionError"):
        pytest.skip(f"unprivileged user namespaces are off here: {outcome}")
    applied, uid, network = outcome.split("|")
    assert applied == "user, net, ipc"
    assert int(uid) == confine.SANDBOX_UID
    assert network != "connected"
