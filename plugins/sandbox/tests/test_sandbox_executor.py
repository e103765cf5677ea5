"""The sandbox as PAL uses it: normal programs, values, errors, warm workers, threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from agentcore_sandbox.executor import SandboxExecutor

from agentcore.errors import ConfigError
from agentcore.executors import CodeExecutor
from agentcore.plugins import get_plugin_manager

NOT_HUNG_S = 15.0

# The seed's PAL program, the one the README runs with `agentcore sandbox run`.
SOLUTION = Path(__file__).resolve().parents[3] / "examples" / "pal_math" / "solution.py"
BAKERY = SOLUTION.read_text(encoding="utf-8")


def test_the_seed_pal_program_returns_its_answer(sandbox):
    result = sandbox.run(BAKERY, entrypoint="solution")
    assert result.ok, result.error
    assert result.value == 74
    assert result.stdout == ""
    assert result.duration_s > 0


def test_allowed_modules_work(sandbox):
    code = """
import math, statistics, itertools, heapq, bisect, re, string, json, random
from fractions import Fraction
from decimal import Decimal, ROUND_HALF_UP
from datetime import date, datetime, timedelta
from collections import Counter, defaultdict, deque, namedtuple
from functools import lru_cache, reduce
from operator import mul

@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def solution():
    counts = defaultdict(int)
    for word in "a b a c a".split():
        counts[word] += 1
    point = namedtuple("Point", "x y")(3, 4)
    return {
        "sqrt": math.sqrt(16),
        "fraction": Fraction(1, 3) + Fraction(1, 6),
        "money": str(Decimal("2.675").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "days": (date(2024, 3, 1) - date(2024, 2, 1)).days,
        "later": date(2024, 1, 31) + timedelta(days=1),
        "mean": statistics.mean([1, 2, 3, 4]),
        "pairs": len(list(itertools.combinations(range(5), 2))),
        "smallest": heapq.nsmallest(2, [5, 1, 4]),
        "position": bisect.bisect_left([1, 3, 5], 4),
        "digits": re.findall(r"\\d+", "a1b22"),
        "upper": string.ascii_uppercase[:3],
        "json": json.loads(json.dumps({"k": [1]})),
        "top": Counter("abracadabra").most_common(1)[0][0],
        "counts": dict(counts),
        "queue": list(deque([1, 2, 3], maxlen=2)),
        "fib": fib(60),
        "product": reduce(mul, [1, 2, 3, 4]),
        "hypot": point.x ** 2 + point.y ** 2,
        "choice_ok": random.choice([7]) == 7,
        "parsed": datetime.strptime("2024-03-05", "%Y-%m-%d").strftime("%d %B %Y"),
        "encoded": len("héllo".encode("utf-16")) + len("é".encode("latin-1")),
    }
"""
    result = sandbox.run(code)
    assert result.ok, result.error
    assert result.value == {
        "sqrt": 4.0,
        "fraction": 0.5,
        "money": "2.68",
        "days": 29,
        "later": "2024-02-01",
        "mean": 2.5,
        "pairs": 10,
        "smallest": [1, 4],
        "position": 2,
        "digits": ["1", "22"],
        "upper": "ABC",
        "json": {"k": [1]},
        "top": "a",
        "counts": {"a": 3, "b": 1, "c": 1},
        "queue": [2, 3],
        "fib": 1548008755920,
        "product": 24,
        "hypot": 25,
        "choice_ok": True,
        "parsed": "05 March 2024",
        "encoded": 13,
    }


def test_python_features_models_write(sandbox):
    code = """
from typing import List

class Account:
    def __init__(self, balance):
        self.balance = balance
    def deposit(self, amount):
        self.balance += amount
        return self

class Savings(Account):
    def deposit(self, amount):
        return super().deposit(amount * 2)

def solution() -> int:
    total: int = 0
    items: List[int] = [3, 1, 2]
    for i, (a, b) in enumerate(zip(items, sorted(items))):
        total += i * a * b
    first, *rest = reversed(items)
    squares = {n: n ** 2 for n in items if n > 1}
    label = f"{total:>5}|{'{:.1f}'.format(2.25)}|{'%d%%' % 50}"
    acct = Savings(10).deposit(5)
    return [total, first, rest, squares, label, acct.balance, max(items, key=lambda n: -n)]
"""
    result = sandbox.run(code)
    assert result.ok, result.error
    assert result.value == [14, 2, [1, 3], {"3": 9, "2": 4}, "   14|2.2|50%", 20, 1]


def test_stdout_is_captured_from_every_function(sandbox):
    code = (
        "def helper(x):\n    print('helper', x)\n"
        "print('module level')\n"
        "def solution():\n    helper(1)\n    print('a', 'b', sep='-', end='!\\n')\n    return 5"
    )
    result = sandbox.run(code)
    assert result.ok
    assert result.stdout == "module level\nhelper 1\na-b!\n"
    assert result.value == 5


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("None", None),
        ("True", True),
        ("3", 3),
        ("2.5", 2.5),
        ("'text'", "text"),
        ("(1, 2)", [1, 2]),
        ("{3, 1, 2}", [1, 2, 3]),
        ("{1: 'a', 'b': [2]}", {"1": "a", "b": [2]}),
        ("Fraction(3, 2)", 1.5),
        ("Fraction(4, 2)", 2),
        ("Decimal('1.10')", 1.1),
        ("Decimal('12')", 12),
        ("1 + 2j", "(1+2j)"),
        ("date(2024, 5, 6)", "2024-05-06"),
        ("range(3)", [0, 1, 2]),
        ("float('nan')", "nan"),
        ("-float('inf')", "-inf"),
        ("Decimal('Infinity')", "inf"),
    ],
)
def test_values_come_back_as_json(sandbox, expression, expected):
    code = (
        "from fractions import Fraction\nfrom decimal import Decimal\nfrom datetime import date\n"
        f"def solution():\n    return {expression}"
    )
    result = sandbox.run(code)
    assert result.ok, result.error
    assert result.value == expected
    assert type(result.value) is type(expected)


@pytest.mark.parametrize(
    ("code", "kind", "fragment"),
    [
        ("def solution(:\n    return 1", "compile_error", "line 1: SyntaxError"),
        ("def solution():\n    return 1\n  x = 2", "compile_error", "line 3"),
        ("def solution():\n    break", "compile_error", "SyntaxError"),
        ("x = 1", "missing_entrypoint", "def solution():"),
        ("solution = 3", "missing_entrypoint", "not a function"),
        (
            "def solution():\n    return 1 / 0",
            "runtime_error",
            "ZeroDivisionError: division by zero (line 2)",
        ),
        ("def solution():\n    return [].pop()", "runtime_error", "IndexError"),
        ("def solution():\n    return solution", "result_not_serializable", "function"),
        ("def solution():\n    return (i for i in [1])", "result_not_serializable", "generator"),
        (
            "def solution():\n    a = []\n    a.append(a)\n    return a",
            "result_not_serializable",
            "nested",
        ),
        ("def solution():\n    return 10 ** 5000", "result_not_serializable", "4300"),
    ],
)
def test_program_errors_are_reported_by_kind(sandbox, code, kind, fragment):
    result = sandbox.run(code)
    assert result.error is not None
    assert result.error.kind == kind
    assert fragment in result.error.message
    assert result.value is None


def test_entrypoint_can_be_named_or_omitted(sandbox):
    assert sandbox.run("def main():\n    return 'm'", entrypoint="main").value == "m"
    script = sandbox.run("print('ran')\nx = 2", entrypoint=None)
    assert script.ok and script.value is None and script.stdout == "ran\n"


def test_tool_mode_shows_the_last_expression_or_calls_solution(sandbox):
    last = sandbox.execute(
        "x = 6\nx * 7",
        entrypoint="solution",
        entrypoint_optional=True,
        value_of_last_expression=True,
    )
    assert last.ok and last.value == 42
    called = sandbox.execute(
        "def solution():\n    return 'called'",
        entrypoint="solution",
        entrypoint_optional=True,
        value_of_last_expression=True,
    )
    assert called.value == "called"


def _job_pids(sandbox: SandboxExecutor) -> set[int]:
    """Process ids of the job processes the template worker has forked and not reaped."""
    found: set[int] = set()
    for template in sandbox.worker_pids():
        children = Path(f"/proc/{template}/task/{template}/children")
        if not children.exists():
            pytest.skip("needs /proc")
        found.update(int(p) for p in children.read_text().split())
    return found


def test_warm_worker_stays_and_a_timed_out_program_is_killed(fresh_sandbox):
    first = fresh_sandbox.run("def solution():\n    return 1")
    pids = fresh_sandbox.worker_pids()
    for _ in range(3):
        assert fresh_sandbox.run("def solution():\n    return 2").value == 2
    assert fresh_sandbox.worker_pids() == pids and len(pids) == 1
    assert first.ok

    started = time.monotonic()
    stuck = fresh_sandbox.run("def solution():\n    while True:\n        pass", timeout_s=0.5)
    assert stuck.error is not None and stuck.error.kind == "timeout"
    assert "0.5 s time limit" in stuck.error.message
    assert time.monotonic() - started < NOT_HUNG_S
    # The template kept no trace of the job: it is still the same, warm process, and
    # the process that ran the loop is gone (the only child left is the next one, armed).
    assert fresh_sandbox.worker_pids() == pids
    assert len(_job_pids(fresh_sandbox)) <= 1
    assert fresh_sandbox.run("def solution():\n    return 3").value == 3


def test_running_out_of_memory_ends_only_that_programs_process(fresh_sandbox):
    fresh_sandbox.run("def solution():\n    return 1")
    before = fresh_sandbox.worker_pids()
    blown = fresh_sandbox.run("def solution():\n    return len('a' * 10**10)")
    assert blown.error is not None and blown.error.kind == "memory"
    assert fresh_sandbox.run("def solution():\n    return 4").value == 4
    assert fresh_sandbox.worker_pids() == before


def test_worker_is_replaced_after_max_jobs():
    with SandboxExecutor(max_jobs_per_worker=2) as executor:
        pids = []
        for _ in range(4):
            assert executor.run("def solution():\n    return 1").ok
            pids.append(tuple(executor.worker_pids()))
        # A worker serves two programs, then is retired; the next program starts a new one.
        assert pids[0] != () and pids[1] == ()
        assert pids[2] != () and pids[2] != pids[0] and pids[3] == ()


def test_concurrent_callers_share_the_pool_safely():
    with SandboxExecutor(workers=2) as executor:
        results: dict[int, object] = {}

        def call(n: int) -> None:
            results[n] = executor.run(f"def solution():\n    return sum(range({n}))")

        threads = [threading.Thread(target=call, args=(n,)) for n in range(1, 9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert {n: r.value for n, r in results.items()} == {n: sum(range(n)) for n in range(1, 9)}
        assert 1 <= len(executor.worker_pids()) <= 2


def test_close_stops_workers_and_a_later_run_starts_fresh(fresh_sandbox):
    fresh_sandbox.run("def solution():\n    return 1")
    (pid,) = fresh_sandbox.worker_pids()
    fresh_sandbox.close()
    assert fresh_sandbox.worker_pids() == []
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(pid, 0)
    assert fresh_sandbox.run("def solution():\n    return 5").value == 5


@pytest.mark.parametrize(
    "options",
    [
        {"timeout_s": 0},
        {"timeout_s": "soon"},
        {"memory_mb": 8},
        {"workers": 0},
        {"max_output_chars": -1},
    ],
)
def test_invalid_settings_are_config_errors(options):
    with pytest.raises(ConfigError, match="sandbox"):
        SandboxExecutor(**options)


def test_plugin_registers_the_executor_and_the_tool():
    pm = get_plugin_manager()
    assert "sandbox" in pm.registry.names("executor")
    assert "python" in pm.registry.names("tool")
    executor = pm.create("executor", "sandbox", timeout_s=3)
    try:
        assert isinstance(executor, CodeExecutor) and executor.name == "sandbox"
        assert executor.run(BAKERY).value == 74
    finally:
        executor.close()


def test_loading_the_plugin_does_not_import_restrictedpython():
    code = (
        "import sys, agentcore_sandbox.plugin as p\n"
        "from agentcore.plugins import get_plugin_manager\n"
        "pm = get_plugin_manager(); pm.registry\n"
        "import agentcore_sandbox.cli, agentcore_sandbox.tool\n"
        "print('RestrictedPython' in sys.modules, 'agentcore_sandbox.policy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("signal_name", "kind", "fragment"),
    [("SIGSEGV", "crashed", "SIGSEGV"), ("SIGXCPU", "timeout", "CPU time limit")],
)
def test_a_worker_dying_mid_program_is_reported_and_replaced(
    fresh_sandbox, signal_name, kind, fragment
):
    """A crash (here a signal delivered to the worker) becomes a result, never an exception."""
    import os
    import signal
    import time

    fresh_sandbox.run("def solution():\n    return 1")
    (pid,) = fresh_sandbox.worker_pids()
    outcome: dict[str, object] = {}
    runner = threading.Thread(
        target=lambda: outcome.update(
            result=fresh_sandbox.run("def solution():\n    while True:\n        pass", timeout_s=20)
        )
    )
    runner.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait until the worker is busy running the program
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "R":
                break
        time.sleep(0.01)
    os.kill(pid, getattr(signal, signal_name))
    runner.join(timeout=20)
    result = outcome["result"]
    assert result.error is not None and result.error.kind == kind
    assert fragment in result.error.message
    assert fresh_sandbox.run("def solution():\n    return 9").value == 9
    assert fresh_sandbox.worker_pids() != [pid]


EXIT_WHILE_BUSY = """
import sys, threading, time
from agentcore_sandbox.executor import SandboxExecutor

executor = SandboxExecutor(timeout_s=120)
executor.run("def solution():\\n    return 1")
(pid,) = executor.worker_pids()
threading.Thread(
    target=executor.run, args=("def solution():\\n    while True:\\n        pass",), daemon=True
).start()
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    with open(f"/proc/{pid}/stat") as stat:
        if stat.read().rsplit(")", 1)[1].split()[0] == "R":
            break
    time.sleep(0.01)
print(pid, flush=True)
"""  # then the interpreter exits without calling close()


def _process_gone(pid: int) -> bool:
    from pathlib import Path

    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_workers_are_killed_when_the_engine_exits_without_closing():
    """A busy worker does not outlive the engine (it would never see its pipe close)."""
    import time

    done = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_BUSY], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _process_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process_gone(pid)


def test_any_text_survives_the_trip(sandbox):
    code = "def solution():\n    print('\\ud800 é 😀')\n    return ['\\udfff', 'naïve', '日本']"
    result = sandbox.run(code)
    assert result.ok, result.error
    assert result.stdout == "\ud800 é 😀\n"
    assert result.value == ["\udfff", "naïve", "日本"]
    # Source text that is not valid Unicode cannot be parsed: a compile error, not a crash.
    broken = sandbox.run(code + "\n# \ud800 in a comment")
    assert broken.error is not None and broken.error.kind == "compile_error"
