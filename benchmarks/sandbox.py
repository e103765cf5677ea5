"""How much the Python sandbox costs per program, beside running the same code unprotected.

Runs one typical PAL program (the seed's bakery word problem, with a little
arithmetic and a loop) several ways and prints the median and 90th-percentile
wall time of each:

* sandbox, after a pause: ``SandboxExecutor.run`` when the worker has had 50 ms
  to arm the next job process (what PAL and the python tool pay between model
  steps, which take far longer): hand-over, run, result;
* sandbox, back to back: programs sent one right after the other, so each also
  waits for its job process to be forked and confined;
* sandbox, kernel layers off: back to back, a process per job but no Landlock,
  seccomp, namespaces or uid change (``AGENTCORE_SANDBOX_TESTING``), to show what
  the layers themselves cost;
* sandbox, cold worker: a new template worker for every program
  (``max_jobs_per_worker=1``: start Python, import, fork, confine, run);
* before (``--before REV``): the warm worker of revision REV, which reused one
  process for every program (reset, not replaced) — measured from a temporary
  git worktree of REV in a subprocess, in the same run;
* RestrictedPython in-process: the worker's own compile + guarded exec + value
  conversion, called directly in this process (no process boundary, no OS limits);
* plain ``exec``: ``compile`` + ``exec`` + call, no protection at all.

Usage: ``python benchmarks/sandbox.py [--runs N] [--cold-runs N] [--before REV]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The last revision whose worker ran every program in one reused process.
REUSED_WORKER_REVISION = "c182024"

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


def measure(
    call: Callable[[], Any], runs: int, warmup: int = 3, pause_s: float = 0.0
) -> list[float]:
    """Seconds per call, after ``warmup`` unmeasured calls; each result is checked."""
    for _ in range(warmup):
        assert call() == EXPECTED
    times = []
    for _ in range(runs):
        if pause_s:
            time.sleep(pause_s)
        started = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - started)
        assert value == EXPECTED, value
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="measured runs per warm mode")
    parser.add_argument("--cold-runs", type=int, default=20, help="measured cold-worker runs")
    parser.add_argument(
        "--before",
        default=REUSED_WORKER_REVISION,
        help="git revision to measure the earlier warm worker of ('' to skip)",
    )
    args = parser.parse_args()

    from agentcore_sandbox.executor import SandboxExecutor
    from agentcore_sandbox.program import run_job

    rows: list[tuple[str, list[float]]] = []
    with SandboxExecutor() as warm:
        run = lambda: warm.run(PROGRAM).value  # noqa: E731
        rows.append(("sandbox, after a 50 ms pause", measure(run, args.runs, pause_s=0.05)))
        rows.append(("sandbox, back to back", measure(run, args.runs)))
    os.environ["AGENTCORE_SANDBOX_TESTING"] = "1"
    with SandboxExecutor(kernel_layers=()) as bare:
        rows.append(
            ("sandbox, kernel layers off", measure(lambda: bare.run(PROGRAM).value, args.runs))
        )
    del os.environ["AGENTCORE_SANDBOX_TESTING"]
    with SandboxExecutor(max_jobs_per_worker=1) as cold:
        rows.append(
            ("sandbox, cold worker", measure(lambda: cold.run(PROGRAM).value, args.cold_runs, 1))
        )
    if args.before:
        before = measure_revision(args.before, args.runs)
        if before:
            rows.append((f"before ({args.before}): reused worker", before))
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


BEFORE_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from agentcore_sandbox.executor import SandboxExecutor
program, runs = sys.argv[2], int(sys.argv[3])
times = []
with SandboxExecutor() as warm:
    for _ in range(3):
        warm.run(program)
    for _ in range(runs):
        started = time.perf_counter()
        value = warm.run(program).value
        times.append(time.perf_counter() - started)
        assert value == 74, value
print(json.dumps(times))
"""


def measure_revision(revision: str, runs: int) -> list[float]:
    """Warm-worker times of the sandbox plugin as it was at ``revision`` (a git worktree)."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="agentcore-before-") as tree:
        added = subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", tree, revision],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            print(f"(skipping 'before': {added.stderr.strip()})", file=sys.stderr)
            return []
        try:
            plugin = str(Path(tree) / "plugins" / "sandbox")
            out = subprocess.run(
                [sys.executable, "-c", BEFORE_SCRIPT, plugin, PROGRAM, str(runs)],
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout)
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", tree],
                capture_output=True,
            )


if __name__ == "__main__":
    main()
