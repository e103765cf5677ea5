"""The scripted trajectory every framework replays, and how a runner reports its timing.

A run of N steps is N model calls: N - 1 calls of a no-op tool (``echo`` with
``{"text": "value i"}``), then a final answer. The "model" is a fake that replays that list,
so what is timed is each framework's own work per step: building the model input, parsing
the call, running the tool, recording the step. Standard library only: every runner imports
this from its own interpreter (agentcore's venv or benchmarks/peers/.venv).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

TASK = "What is the value?"
ANSWER = "answer"
TOOL_DESCRIPTION = "Return the text unchanged."


def tool_arguments(steps: int) -> list[dict[str, str]]:
    """The arguments of the tool calls in a run of ``steps`` steps (the last step answers)."""
    return [{"text": f"value {i}"} for i in range(1, steps)]


_calls = [0]


def echo(text: str) -> str:
    """The no-op tool's body (it counts its calls, so a runner that skips them is caught)."""
    _calls[0] += 1
    return text


def measure(framework: str, run_once: Callable[[int], str]) -> None:
    """Time ``run_once(steps)`` (which returns the final answer) and print one JSON object.

    ``--steps`` lists the run lengths; each is run ``--runs`` times after one warm-up run,
    and the median wall time per step is reported.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[8, 50, 200])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rows = []
    for steps in args.steps:
        _calls[0] = 0
        answer = run_once(steps)  # warm-up: imports, caches, first-call set-up
        if answer != ANSWER or _calls[0] != steps - 1:
            sys.exit(
                f"{framework}: a {steps}-step run answered {answer!r} after {_calls[0]} tool "
                f"calls; expected {ANSWER!r} after {steps - 1}"
            )
        per_step = []
        for _ in range(args.runs):
            started = time.perf_counter()
            run_once(steps)
            per_step.append((time.perf_counter() - started) / steps)
        rows.append(
            {
                "steps": steps,
                "runs": args.runs,
                "ms_per_step": statistics.median(per_step) * 1e3,
                "min_ms_per_step": min(per_step) * 1e3,
            }
        )
    print(json.dumps({"framework": framework, "rows": rows}))
