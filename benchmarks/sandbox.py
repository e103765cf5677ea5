"""How much the Python sandbox costs per program, beside running the same code unprotected.

Runs one typical PAL program (the seed's bakery word problem, with a little
arithmetic and a loop) four ways and prints the median and 90th-percentile
wall time of each:

* sandbox, warm worker: ``SandboxExecutor.run`` with a worker already started
  (what PAL pays for every program after the first);
* sandbox, cold worker: a fresh worker process for every program
  (``max_jobs_per_worker=1``: start Python, import, apply limits, run, exit);
* RestrictedPython in-process: the worker's own compile + guarded exec + value
  conversion, called directly in this process (no process boundary, no OS limits);
* plain ``exec``: ``compile`` + ``exec`` + call, no protection at all.

Usage: ``python benchmarks/sandbox.py [--runs N] [--cold-runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

PROGRAM = """
def solution():
    loaves_baked = 200
    sold_morning = 93
    sold_afternoon = 39
    returned = 6
    total = 0
    for day in range(7):
        total += loaves_baked - sold_morning - sold_afternoon + returned
    return total // 7
"""
EXPECTED = 74


def measure(call: Callable[[], Any], runs: int, warmup: int = 3) -> list[float]:
    """Seconds per call, after ``warmup`` unmeasured calls; each result is checked."""
    for _ in range(warmup):
        assert call() == EXPECTED
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - started)
        assert value == EXPECTED, value
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="measured runs per warm mode")
    parser.add_argument("--cold-runs", type=int, default=20, help="measured cold-worker runs")
    args = parser.parse_args()

    from agentcore_sandbox.executor import SandboxExecutor
    from agentcore_sandbox.program import run_job

    rows: list[tuple[str, list[float]]] = []
    with SandboxExecutor() as warm:
        rows.append(("sandbox, warm worker", measure(lambda: warm.run(PROGRAM).value, args.runs)))
    with SandboxExecutor(max_jobs_per_worker=1) as cold:
        rows.append(
            ("sandbox, cold worker", measure(lambda: cold.run(PROGRAM).value, args.cold_runs, 1))
        )
    job = {"code": PROGRAM, "entrypoint": "solution"}
    rows.append(("RestrictedPython in-process", measure(lambda: run_job(job)["value"], args.runs)))

    def plain() -> Any:
        namespace: dict[str, Any] = {}
        exec(compile(PROGRAM, "<program>", "exec"), namespace)
        return namespace["solution"]()

    rows.append(("plain exec in-process", measure(plain, args.runs)))

    baseline = statistics.median(rows[-1][1])
    print(f"{'mode':<30} {'runs':>5} {'median ms':>10} {'p90 ms':>9} {'x plain exec':>13}")
    print("-" * 71)
    for name, times in rows:
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
        print(
            f"{name:<30} {len(times):>5} {median * 1e3:>10.3f} {p90 * 1e3:>9.3f} "
            f"{median / baseline:>13.0f}"
        )


if __name__ == "__main__":
    main()
