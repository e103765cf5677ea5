"""The attack suite: every way out we know of ends blocked, quickly, with the engine unharmed.

Each case runs a real program through a real worker process and asserts the
specific error kind and what the message names. After each case a normal
program must still run on the same executor.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from agentcore_sandbox.executor import SandboxExecutor

NOT_HUNG_S = 15.0


def _case(id_: str, code: str, kind: str, *names: str, timeout_s: float = 1.0):
    return pytest.param(code, kind, names, timeout_s, id=id_)


DUNDER_WALKING = [
    _case(
        "subclasses-walk",
        "def solution():\n    return ().__class__.__bases__[0].__subclasses__()",
        "forbidden",
        "attribute '__class__' is not allowed",
    ),
    _case(
        "function-globals",
        "def solution():\n    return solution.__globals__['__builtins__']",
        "forbidden",
        "'__globals__'",
    ),
    _case(
        "function-code",
        "def solution():\n    return (lambda: 0).__code__",
        "forbidden",
        "'__code__'",
    ),
    _case(
        "builtins-name", "def solution():\n    return __builtins__", "forbidden", "'__builtins__'"
    ),
    _case(
        "generator-frame",
        "def solution():\n    g = (i for i in [1])\n    return g.gi_frame.f_back.f_globals",
        "forbidden",
        "'gi_frame'",
    ),
    _case(
        "generator-frame-getattr",
        "def solution():\n    g = (i for i in [1])\n    return getattr(g, 'gi_frame')",
        "forbidden",
        "attribute 'gi_frame' is not allowed",
    ),
    _case(
        "generator-code-getattr",
        "def solution():\n    g = (i for i in [1])\n    return getattr(g, 'gi_code')",
        "forbidden",
        "'gi_code'",
    ),
    _case(
        "frame-back-getattr",
        "def solution():\n    return getattr(solution, 'f_back', None)",
        "forbidden",
        "'f_back'",
    ),
    _case(
        "coroutine-frame",
        "async def f():\n    pass\ndef solution():\n    return f().cr_frame",
        "forbidden",
        "cr_frame",
    ),
    _case(
        "traceback-attribute",
        "def solution():\n    try:\n        1 / 0\n    except Exception as e:\n"
        "        return e.__traceback__",
        "forbidden",
        "'__traceback__'",
    ),
    _case(
        "traceback-getattr",
        "def solution():\n    try:\n        1 / 0\n    except Exception as e:\n"
        "        return getattr(e, '__traceback__').tb_frame",
        "forbidden",
        "tb_frame",
    ),
    _case(
        "getattr-dunder",
        "def solution():\n    return getattr(1, '__class__')",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "hasattr-dunder",
        "def solution():\n    return hasattr(1, '__class__')",
        "forbidden",
        "'__class__'",
    ),
    _case("mro", "def solution():\n    return int.mro()", "forbidden", "'mro'"),
    _case(
        "type-of-class",
        "def solution():\n    return type(int)('X', (), {})",
        "forbidden",
        "type() of a class",
    ),
    _case(
        "type-three-args",
        "def solution():\n    return type('X', (object,), {'y': 1})",
        "forbidden",
        "type() with 3 arguments",
    ),
    _case(
        "dunder-in-class-body",
        "class A:\n    def __getattribute__(self, name):\n        return 1\n"
        "def solution():\n    return A()",
        "forbidden",
        "'__getattribute__'",
    ),
    _case(
        "augmented-dunder",
        "class A:\n    pass\ndef solution():\n    a = A()\n    a.__dict__ += 1",
        "forbidden",
        "'__dict__'",
    ),
]

FORMAT_STRINGS = [
    _case(
        "str-format-attribute",
        "def solution():\n    return '{0.__class__}'.format(1)",
        "forbidden",
        "attribute '__class__' is not allowed",
    ),
    _case(
        "str-format-deep-walk",
        "def solution():\n    return '{0.__class__.__base__.__subclasses__}'.format(1)",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "str-format-nested-spec",
        "def solution():\n    return '{0:{1.__class__}}'.format(1, 2)",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "format-map-attribute",
        "def solution():\n    return '{x.__class__}'.format_map({'x': 1})",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "str-format-frame-attribute",
        "def solution():\n    g = (i for i in [1])\n    return '{0.gi_frame}'.format(g)",
        "forbidden",
        "'gi_frame'",
    ),
    _case(
        "unbound-str-format",
        "def solution():\n    return str.format('{0.__class__}', 1)",
        "forbidden",
        "str.format",
    ),
    _case(
        "f-string-attribute",
        "def solution():\n    return f'{(1).__class__}'",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "string-formatter",
        "import string\ndef solution():\n    return string.Formatter().format('{0.__class__}', 1)",
        "forbidden",
        "string.Formatter is not allowed",
    ),
    _case(
        "string-formatter-import",
        "from string import Formatter\ndef solution():\n    return 1",
        "forbidden",
        "string.Formatter",
    ),
    _case(
        "operator-attrgetter",
        "import operator\ndef solution():\n    return operator.attrgetter('__class__')(1)",
        "forbidden",
        "operator.attrgetter",
    ),
    _case(
        "operator-methodcaller",
        "from operator import methodcaller\ndef solution():\n    return 1",
        "forbidden",
        "operator.methodcaller",
    ),
]

# Format strings run by *trusted* code on the program's behalf: wrapper classes from
# allowed modules, str subclasses and super(), bound methods passed around.
TRUSTED_FORMATTING = [
    _case(
        "userstring-format",
        "import collections\ndef solution():\n"
        "    return collections.UserString('{0.__init__.__globals__}').format(1)",
        "forbidden",
        "collections.UserString is not allowed",
    ),
    _case(
        "userstring-from-import",
        "from collections import UserString\ndef solution():\n    return UserString('x')",
        "forbidden",
        "UserString",
    ),
    _case(
        "str-subclass-super-format",
        "class S(str):\n    def f(self, x):\n        return super().format(x)\n"
        "def solution():\n    return S('{0.__class__.__base__}').f(1)",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "str-subclass-super-format-map",
        "class S(str):\n    def f(self, m):\n        return super().format_map(m)\n"
        "def solution():\n    return S('{a.__class__}').f({'a': 1})",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "str-subclass-format",
        "class S(str):\n    pass\ndef solution():\n    return S('{0.__class__}').format(1)",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "bound-format-through-map",
        "def solution():\n    return list(map('{0.__class__}'.format, [1]))",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "bound-format-through-partial",
        "import functools\ndef solution():\n"
        "    return functools.partial('{0.gi_frame}'.format)((i for i in [1]))",
        "forbidden",
        "'gi_frame'",
    ),
    _case(
        "format-item-then-attribute",
        "def solution():\n    return '{0[0].__class__}'.format([1])",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "format-spec-nested-field",
        "def solution():\n    return '{0:{1.__class__}}'.format(1, 2)",
        "forbidden",
        "'__class__'",
    ),
    _case(
        "format-map-missing-attribute-carries-obj",
        "def solution():\n    try:\n        '{a.__init__.zz}'.format_map({'a': 1})\n"
        "    except AttributeError as e:\n        return e.obj",
        "forbidden",
        "'__init__'",
    ),
    _case(
        "getattr-format-of-str-type",
        "def solution():\n    return getattr(str, 'format')('{0.__class__}', 1)",
        "forbidden",
        "str.format",
    ),
    _case(
        "typing-forwards-to-abc",
        "import typing\nclass X:\n    pass\ndef solution():\n"
        "    typing.Sequence.register(X)\n    return 1",
        "forbidden",
        "typing object",
    ),
    _case(
        "singledispatch-evaluates-annotations",
        "import functools\ndef solution():\n    return functools.singledispatch",
        "forbidden",
        "unrestricted code",
    ),
]

# Exceptions raised by trusted code carry real objects; nothing refused comes back.
EXCEPTION_PAYLOADS = [
    _case(
        "attributeerror-obj-of-a-module-view",
        "import math\ndef solution():\n    try:\n        math.nope\n"
        "    except AttributeError as e:\n        return type(e.obj).__name__",
        "forbidden",
        "'__name__'",
    ),
    _case(
        "exception-group",
        "def solution():\n    try:\n        raise ExceptionGroup('x', [ValueError(1)])\n"
        "    except* ValueError as e:\n        return 1",
        "forbidden",
        "TryStar",
    ),
]

ESCAPE_BUILTINS = [
    _case("getattr-globals", "def solution():\n    return globals()", "forbidden", "'globals'"),
    _case("locals", "def solution():\n    return locals()", "forbidden", "'locals'"),
    _case("vars", "def solution():\n    return vars()", "forbidden", "'vars'"),
    _case("dir", "def solution():\n    return dir()", "forbidden", "'dir'"),
    _case(
        "eval-call", "def solution():\n    return eval('1')", "forbidden", "eval() is not allowed"
    ),
    _case("exec-call", "def solution():\n    exec('x = 1')", "forbidden", "exec() is not allowed"),
    _case(
        "eval-alias",
        "def solution():\n    e = eval\n    return e('1 + 1')",
        "forbidden",
        "builtin 'eval' is not allowed",
    ),
    _case(
        "compile",
        "def solution():\n    return compile('1', 'x', 'eval')",
        "forbidden",
        "builtin 'compile' is not allowed",
    ),
    _case(
        "open-read-passwd",
        "def solution():\n    return open('/etc/passwd').read()",
        "forbidden",
        "builtin 'open' is not allowed",
    ),
    _case(
        "open-write-file",
        "def solution():\n    open('out.txt', 'w').write('x')\n    return 1",
        "forbidden",
        "builtin 'open' is not allowed",
    ),
    _case(
        "dunder-import", "def solution():\n    return __import__('os')", "forbidden", "'__import__'"
    ),
    _case("breakpoint", "def solution():\n    breakpoint()", "forbidden", "'breakpoint'"),
    _case("input", "def solution():\n    return input()", "forbidden", "'input'"),
    _case(
        "caught-violation-still-counts",
        "def solution():\n    try:\n        import os\n    except BaseException:\n        pass\n"
        "    return 1",
        "forbidden",
        "import of 'os' is not allowed",
    ),
    _case(
        "module-write",
        "import math\ndef solution():\n    math.pi = 3\n    return math.pi",
        "forbidden",
        "changing a module",
    ),
    _case(
        "function-attribute-write",
        "def solution():\n    setattr(solution, 'x', 1)\n    return 1",
        "forbidden",
        "changing a function",
    ),
    _case(
        "operator-setitem-on-module",
        "import operator, math\ndef solution():\n    operator.setitem(math, 'pi', 3)",
        "forbidden",
        "changing a module",
    ),
    _case(
        "decimal-shared-context",
        "import decimal\ndef solution():\n    decimal.DefaultContext.prec = 2\n    return 1",
        "forbidden",
        "decimal.DefaultContext",
    ),
]

IMPORTS = [
    _case(
        f"import-{name}",
        f"import {name}\ndef solution():\n    return 1",
        "forbidden",
        f"import of '{name}'",
    )
    for name in (
        "os",
        "sys",
        "subprocess",
        "socket",
        "ctypes",
        "importlib",
        "io",
        "pathlib",
        "shutil",
        "multiprocessing",
        "threading",
        "signal",
        "time",
        "pickle",
        "inspect",
        "gc",
        "resource",
        "collections.abc",
        "os.path",
    )
] + [
    _case(
        "import-builtins",
        "import builtins\ndef solution():\n    builtins.len = None",
        "forbidden",
        "'builtins' is not allowed",
    ),
    _case(
        "from-builtins-import",
        "from builtins import open as o\ndef solution():\n    return o('/etc/passwd').read()",
        "forbidden",
        "import of 'builtins'",
    ),
    _case(
        "from-private-module-import",
        "from _strptime import time\ndef solution():\n    return time.time()",
        "forbidden",
        "import of '_strptime'",
    ),
    _case(
        "from-os-import",
        "from os import system\ndef solution():\n    return 1",
        "forbidden",
        "import of 'os'",
    ),
    _case(
        "relative-import",
        "from . import x\ndef solution():\n    return 1",
        "forbidden",
        "relative imports",
    ),
    _case(
        "fork",
        "import os\ndef solution():\n    return os.fork()",
        "forbidden",
        "import of 'os' is not allowed",
    ),
    _case(
        "pty-spawn",
        "import pty\ndef solution():\n    pty.spawn('/bin/sh')",
        "forbidden",
        "import of 'pty'",
    ),
    _case(
        "env-secrets",
        "import os\ndef solution():\n    return dict(os.environ)",
        "forbidden",
        "import of 'os'",
    ),
]

RESOURCES = [
    _case("huge-string", "def solution():\n    return len('a' * 10**10)", "memory"),
    _case("huge-list", "def solution():\n    return len([0] * 10**9)", "memory"),
    _case(
        "huge-power", "def solution():\n    return 10**10**8", "memory", "integer power too large"
    ),
    _case(
        "huge-power-2",
        "def solution():\n    return 2**(2**40)",
        "memory",
        "integer power too large",
    ),
    _case("huge-pow-builtin", "def solution():\n    return pow(10, 10**9)", "memory", "too large"),
    _case(
        "huge-pow-augmented",
        "def solution():\n    n = 7\n    n **= 10**12\n    return n",
        "memory",
        "too large",
    ),
    _case(
        "huge-int-to-str",
        "def solution():\n    return len(str(10**5000))",
        "runtime_error",
        "4300 digits",
    ),
    _case(
        "deep-recursion",
        "def f(n):\n    return f(n + 1)\ndef solution():\n    return f(0)",
        "runtime_error",
        "RecursionError",
    ),
    _case(
        "infinite-loop", "def solution():\n    while True:\n        pass", "timeout", "time limit"
    ),
    _case(
        "catastrophic-regex",
        "import re\ndef solution():\n    return bool(re.match('(a+)+$', 'a' * 40 + 'b'))",
        "timeout",
        "time limit",
    ),
    _case(
        "factorial-bomb",
        "import math\ndef solution():\n    return math.factorial(10**8) % 7",
        "timeout",
    ),
    _case(
        "output-flood-loop",
        "def solution():\n    while True:\n        print('x' * 100)",
        "output_limit",
        "printed more than",
    ),
    _case(
        "output-flood-one-print",
        "def solution():\n    print('y' * 10**7)",
        "output_limit",
        "printed more than",
    ),
    _case(
        "output-flood-caught",
        "def solution():\n    for i in range(10**5):\n        try:\n            print('z' * 100)\n"
        "        except BaseException:\n            pass\n    return 1",
        "output_limit",
    ),
    _case(
        "huge-return-value",
        "def solution():\n    return ['v' * 1000] * 5000",
        "output_limit",
        "return value",
    ),
    _case(
        "system-exit",
        "def solution():\n    raise SystemExit(3)",
        "runtime_error",
        "SystemExit",
    ),
    _case(
        "keyboard-interrupt",
        "def solution():\n    raise KeyboardInterrupt",
        "runtime_error",
        "KeyboardInterrupt",
    ),
    _case(
        "nested-parentheses",
        "x = " + "(" * 1000 + "1" + ")" * 1000 + "\ndef solution():\n    return x",
        "compile_error",
        "nested",
    ),
    _case(
        "nested-unary",
        "x = " + "-" * 100_000 + "1\ndef solution():\n    return x",
        "compile_error",
    ),
]


def _assert_blocked(
    executor: SandboxExecutor, code: str, kind: str, names: tuple[str, ...], timeout_s: float
) -> None:
    result = executor.run(code, entrypoint="solution", timeout_s=timeout_s)
    assert result.error is not None, f"not blocked: value={result.value!r}"
    assert result.error.kind == kind, result.error
    for name in names:
        assert name in result.error.message, result.error.message
    assert result.value is None
    assert result.duration_s < NOT_HUNG_S
    # The engine is unharmed: the same executor runs a normal program.
    after = executor.run("def solution():\n    return 6 * 7")
    assert after.ok and after.value == 42, after


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), DUNDER_WALKING)
def test_dunder_walking_is_blocked(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), FORMAT_STRINGS)
def test_format_string_attribute_access_is_blocked(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), TRUSTED_FORMATTING)
def test_formatting_done_by_trusted_code_is_guarded(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), EXCEPTION_PAYLOADS)
def test_exception_payloads_are_blocked(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


def test_formatting_still_works(sandbox):
    result = sandbox.run(
        "import collections\nclass S(str):\n    def f(self, x):\n        return super().format(x)\n"
        "def solution():\n"
        "    p = collections.namedtuple('P', 'x y')(1, 2)\n"
        "    return ['{0.x}+{0.y}={1:>4}'.format(p, p.x + p.y),"
        " '{a[k]}'.format_map({'a': {'k': 5}}),"
        " S('<{}>').f(3), '{} {}'.format(*'ab'), '{:.2f}'.format(3.14159)]"
    )
    assert result.ok, result.error
    assert result.value == ["1+2=   3", "5", "<3>", "a b", "3.14"]


def test_an_exception_from_the_programs_own_objects_keeps_its_payload(sandbox):
    result = sandbox.run(
        "class Box:\n    pass\n"
        "def solution():\n    b = Box()\n    try:\n        b.missing\n"
        "    except AttributeError as e:\n        return [e.obj is b, e.name, e.args[0][:20]]"
    )
    assert result.ok, result.error
    assert result.value == [True, "missing", "'Box' object has no "]


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), ESCAPE_BUILTINS)
def test_escape_builtins_are_blocked(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), IMPORTS)
def test_imports_outside_the_allow_list_are_blocked(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


@pytest.mark.parametrize(("code", "kind", "names", "timeout_s"), RESOURCES)
def test_resource_exhaustion_is_stopped(sandbox, code, kind, names, timeout_s):
    _assert_blocked(sandbox, code, kind, names, timeout_s)


def test_output_flood_keeps_exactly_the_cap(sandbox):
    result = sandbox.run("def solution():\n    while True:\n        print('x' * 100)")
    assert result.error is not None and result.error.kind == "output_limit"
    assert len(result.stdout) == 5_000
    assert set(result.stdout) <= {"x", "\n"}


def test_a_program_cannot_change_what_the_next_one_sees(sandbox):
    """Builtins, module state and decimal precision do not leak between programs."""
    first = sandbox.run(
        "import decimal, random\n"
        "sum = lambda xs: -1\n"
        "len = None\n"
        "def solution():\n"
        "    decimal.getcontext().prec = 3\n"
        "    random.seed(1)\n"
        "    return str(decimal.Decimal(1) / decimal.Decimal(7))"
    )
    assert first.ok and first.value == "0.143"
    second = sandbox.run(
        "import decimal, math\n"
        "def solution():\n"
        "    return sum([1, 2]), len('abc'), str(decimal.Decimal(1) / decimal.Decimal(7)), math.pi"
    )
    assert second.ok, second.error
    assert second.value[:2] == [3, 3]
    assert len(second.value[2]) == 30  # "0." + 28 significant digits: a fresh context
    assert second.value[3] == pytest.approx(3.141592653589793)


def test_huge_program_is_refused_before_it_reaches_a_worker(sandbox):
    result = sandbox.run("x = 1\n" * 100_000)
    assert result.error is not None and result.error.kind == "compile_error"
    assert "characters long" in result.error.message


def test_secrets_in_the_engine_environment_do_not_reach_the_worker(monkeypatch, fresh_sandbox):
    monkeypatch.setenv("AGENTCORE_TEST_SECRET", "hunter2-sk-live")
    result = fresh_sandbox.run("def solution():\n    return 1")
    assert result.ok
    environ = Path(f"/proc/{fresh_sandbox.worker_pids()[0]}/environ")
    if not environ.exists():
        pytest.skip("needs /proc to read the worker's environment")
    text = environ.read_bytes().decode()
    assert "hunter2" not in text
    names = sorted(item.split("=", 1)[0] for item in text.split("\0") if item)
    assert names == ["LANG", "LC_ALL", "PATH"]


def _job_process(sandbox: SandboxExecutor) -> Path:
    """The /proc directory of the job process the worker keeps armed for the next program."""
    assert sandbox.run("def solution():\n    return 1").ok
    template = sandbox.worker_pids()[0]
    children = Path(f"/proc/{template}/task/{template}/children")
    if not children.exists():
        pytest.skip("needs /proc")
    deadline = time.monotonic() + NOT_HUNG_S
    while time.monotonic() < deadline:  # the worker forks and arms it after each result
        pids = children.read_text().split()
        if pids and _limit(Path(f"/proc/{pids[0]}"), "Max processes") == ["0", "0"]:
            return Path(f"/proc/{pids[0]}")
        time.sleep(0.01)
    raise AssertionError("the worker did not arm a job process")


def _limit(proc: Path, name: str) -> list[str] | None:
    try:
        lines = (proc / "limits").read_text().splitlines()[1:]
    except OSError:
        return None
    found = [line[26:].split()[:2] for line in lines if line[:26].strip() == name]
    return found[0] if found else None


def _snapshot(proc: Path) -> dict[str, Any] | None:
    """Limits, status, open fds, cwd and the cwd's entries of ``proc`` read together.

    ``None`` if the process or its job directory vanished meanwhile: the worker may replace the
    armed process (and remove its directory) between two readings.
    """
    try:
        cwd = os.readlink(proc / "cwd")
        return {
            "limits": (proc / "limits").read_text(),
            "status": (proc / "status").read_text(),
            "fds": os.listdir(proc / "fd"),
            "cwd": cwd,
            "cwd_entries": os.listdir(cwd),
        }
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_each_job_process_runs_under_operating_system_limits(fresh_sandbox):
    """Read from the kernel's view of the process that will run the next program.

    Its limits are set a moment before it finishes arming (it still warms up, and the worker
    may replace it), so it is read until a whole reading shows it settled — its two pipe ends
    open beside /dev/null — or the time is up; the assertions then hold for that reading.
    """
    deadline = time.monotonic() + NOT_HUNG_S
    while True:
        snap = _snapshot(_job_process(fresh_sandbox))
        settled = snap is not None and len(snap["fds"]) == 5
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert snap is not None, "the job process vanished every time it was read"
    limits = {line[:26].strip(): line[26:].split()[:2] for line in snap["limits"].splitlines()[1:]}
    assert limits["Max file size"] == ["0", "0"]
    assert limits["Max address space"] == [str(512 * 1024 * 1024)] * 2
    assert limits["Max open files"] == ["16", "16"]
    assert limits["Max processes"] == ["0", "0"]
    assert limits["Max core file size"] == ["0", "0"]
    status = dict(line.split(":", 1) for line in snap["status"].splitlines() if ":" in line)
    uids = {int(u) for u in status["Uid"].split()}
    assert os.geteuid() not in uids, "a job never runs with the engine's uid"
    assert 0 not in uids
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Seccomp"].strip() == "2"  # filter mode
    assert len(snap["fds"]) == 5  # /dev/null as 0-2, and its own two pipe ends
    cwd = snap["cwd"]
    assert "agentcore-sandbox-" in cwd and cwd != os.getcwd()
    assert snap["cwd_entries"] == []
