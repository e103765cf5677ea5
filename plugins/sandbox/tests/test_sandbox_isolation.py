"""No job can see or affect another: each runs in a fresh process forked from a pristine template.

Every attack below worked against the earlier warm worker that reset itself
between jobs. Each is run on the same executor (the same template worker) as
the job it tries to reach, and the victim's result must be exactly what it is
when it runs first. The attacks run as plain Python (RestrictedPython off), so
they do everything a program that escaped the policy could, and still cannot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from agentcore_sandbox.confine import KERNEL_LAYERS
from agentcore_sandbox.executor import SandboxExecutor

# A program whose result depends on every piece of state an earlier job could poison.
PROBE = """
import collections, decimal, json, math, random, typing
def solution():
    random.seed(7)
    return [
        random.random(),
        str(decimal.Decimal(1) / decimal.Decimal(7)),
        math.pi,
        isinstance(5, typing.Sequence),
        json.dumps({"a": [1, 2]}),
        sum(collections.Counter("abca").values()),
        sorted([3, 1, 2]),
    ]
"""

POISONERS = {
    "patch modules": (
        "import math, json, random, collections\n"
        "math.pi = 3\n"
        "json.dumps = lambda *a, **k: 'pwned'\n"
        "random.seed = lambda *a, **k: None\n"
        "collections.Counter.values = lambda self: [1000]\n"
        "def solution():\n    return 'patched'"
    ),
    "register with an ABC": (
        "import collections.abc\n"
        "collections.abc.Sequence.register(int)\n"
        "def solution():\n    return isinstance(5, collections.abc.Sequence)"
    ),
    "change the decimal context": (
        "import decimal\n"
        "decimal.getcontext().prec = 2\n"
        "decimal.DefaultContext.prec = 2\n"
        "def solution():\n    return 'changed'"
    ),
    "leave a suspended generator": (
        "import builtins\n"
        "def spy():\n    try:\n        yield 1\n    finally:\n"
        "        builtins.sorted = lambda *a, **k: ['hijacked']\n"
        "g = spy()\nnext(g)\n"
        "builtins.keep = [g]\n"
        "def solution():\n    return 'suspended'"
    ),
    "replace a builtin": (
        "import builtins\nbuiltins.sorted = lambda *a, **k: ['hijacked']\n"
        "builtins.max = lambda *a, **k: -1\n"
        "def solution():\n    return 'replaced'"
    ),
}


@pytest.fixture(scope="module")
def executor() -> Iterator[SandboxExecutor]:
    os.environ["AGENTCORE_SANDBOX_TESTING"] = "1"
    try:
        sandbox = SandboxExecutor(restricted_python=False, kernel_layers=KERNEL_LAYERS)
    finally:
        del os.environ["AGENTCORE_SANDBOX_TESTING"]
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def baseline(executor) -> list:
    first = executor.run(PROBE)
    assert first.ok, first.error
    return first.value


@pytest.mark.parametrize("name", sorted(POISONERS))
def test_a_job_cannot_change_what_a_later_job_computes(executor, baseline, name):
    poisoned = executor.run(POISONERS[name])
    assert poisoned.ok, poisoned.error  # the attack itself ran, in its own process
    after = executor.run(PROBE)
    assert after.ok, after.error
    assert after.value == baseline


def test_a_job_cannot_find_an_earlier_jobs_data_in_memory(executor):
    secret = "agentcore-secret-" + os.urandom(8).hex()
    kept = executor.run(f"KEEP = ['{secret}'] * 3\ndef solution():\n    return KEEP[0]")
    assert kept.value == secret
    search = executor.run(
        "import gc\n"
        "def solution():\n"
        f"    needle = 'agentcore-secret-' + {secret[17:]!r}\n"
        "    return sum(1 for o in gc.get_objects() if isinstance(o, list) and needle in o)"
    )
    assert search.ok, search.error
    assert search.value == 0


def test_a_restricted_job_gets_the_same_answer_first_and_after_others():
    """The same with RestrictedPython on: program-level mischief stays in its own job."""
    with SandboxExecutor() as sandbox:
        first = sandbox.run(PROBE)
        mischief = sandbox.run(
            "import random, decimal\n"
            "sorted = lambda *a: ['hijacked']\n"
            "def solution():\n"
            "    random.seed(1)\n"
            "    decimal.getcontext().prec = 2\n"
            "    def g():\n        try:\n            yield 1\n        finally:\n"
            "            print('LEAK')\n"
            "    gen = g()\n    next(gen)\n    cycle = [gen]\n    cycle.append(cycle)\n"
            "    return 1"
        )
        after = sandbox.run(PROBE)
        printed = sandbox.run("def solution():\n    return 2")
    assert first.ok and mischief.ok and after.ok
    assert after.value == first.value
    assert "LEAK" not in printed.stdout


def test_random_differs_between_jobs_unless_seeded():
    """Each job process has its own generator state (reseeded after the fork)."""
    with SandboxExecutor() as sandbox:
        values = {
            sandbox.run("import random\ndef solution():\n    return random.random()").value
            for _ in range(3)
        }
    assert len(values) == 3
