"""Engine overhead: time per ReAct step with the model and tool taken out, and CLI start-up.

The scripted backend (a test tool that replays completions) and a no-op tool isolate what the
engine itself costs per step: prompt building and fitting, parsing, validation, the tool call
wrapper, events and records. Start-up is measured for `import agentcore` and `agentcore --help`
(which lists commands from entry-point metadata and imports no plugin) in fresh interpreters.

Two ratios come out of the same run, with their targets (issue 10):
- `agentcore --help` / `python -c "import agentcore"`: at most 3×;
- a ReAct step whose no-op tool has the default time limit (the call runs on a pooled worker
  thread) / the same step with no limit (called inline): at most 1.5×.

The side-by-side with smolagents and LangGraph is benchmarks/peers/compare.py (they are
installed in their own virtualenv by benchmarks/peers/setup.sh).

The pooled worker's cost is shown beside a thread started per call and beside a bare
queue-and-lock round trip to a waiting thread: the floor under any time limit that runs the
call on another thread (which is what lets the caller stop waiting for a stuck tool).

Run: .venv/bin/python benchmarks/engine_overhead.py [--steps 20] [--runs 30]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from agentcore import ReActAgent, tool
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager
from agentcore.tool_workers import call_with_time_limit


@tool(timeout_s=None)
def noop(text: str) -> str:
    """Return the text unchanged."""
    return text


@tool
def noop_limited(text: str) -> str:
    """Return the text unchanged (with the default per-call time limit)."""
    return text


def scripted_run(steps: int, tool_name: str) -> float:
    completions = [
        f" Step {i} thinking about the question.\nAction {i}: {tool_name}[value {i}]"
        for i in range(1, steps)
    ] + [f" Done.\nAction {steps}: finish[answer]"]
    backend = ScriptedBackend(completions, context_window=1_000_000)
    pm = AgentcorePluginManager(allow=set())
    tools = [noop if tool_name == "noop" else noop_limited]
    agent = ReActAgent(
        backend, tools=tools, max_steps=steps, plugin_manager=pm, prompt="react/tools"
    )
    started = time.perf_counter()
    result = agent.run("What is the value?")
    elapsed = time.perf_counter() - started
    assert result.answer == "answer", result
    return elapsed / steps


def startup(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command in fresh processes, the commands taken in turns."""
    for command in commands.values():  # warm-up: the OS file cache, the CLI's entry-point cache
        subprocess.run(command, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def step_times(steps: int, runs: int) -> dict[str, float]:
    """Median time per step with the unlimited and the time-limited tool, runs taken in turns."""
    per_step: dict[str, list[float]] = {"noop": [], "noop_limited": []}
    for _ in range(runs):
        for name, values in per_step.items():
            values.append(scripted_run(steps, name))
    return {name: statistics.median(values) for name, values in per_step.items()}


def hand_offs(calls: int) -> dict[str, float]:
    """Seconds per cross-thread call: a thread started per call (the old way), the pooled
    worker (:func:`call_with_time_limit`), and a bare queue-and-lock round trip to a waiting
    thread, the floor under any design that runs the call on another thread."""

    def echo(text: str) -> str:
        return text

    def thread_per_call() -> None:
        thread = threading.Thread(target=echo, args=("a",), daemon=True)
        thread.start()
        thread.join(30)

    jobs: queue.SimpleQueue[threading.Lock] = queue.SimpleQueue()

    def answer() -> None:
        while True:
            jobs.get().release()

    threading.Thread(target=answer, daemon=True).start()

    def round_trip() -> None:
        done = threading.Lock()
        done.acquire()
        jobs.put(done)
        done.acquire()

    ways = {
        "thread": thread_per_call,
        "pooled": lambda: call_with_time_limit(echo, {"text": "a"}, 30),
        "floor": round_trip,
    }
    out: dict[str, float] = {}
    for name, call in ways.items():
        for _ in range(calls // 10):  # warm-up
            call()
        started = time.perf_counter()
        for _ in range(calls):
            call()
        out[name] = (time.perf_counter() - started) / calls
    return out


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f}× (target ≤ {target:g}×: {'met' if ratio <= target else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    python = sys.executable
    script = Path(python).with_name("agentcore")
    cli = [str(script)] if script.is_file() else [python, "-m", "agentcore.cli"]
    starts = startup(
        {
            "floor": [python, "-c", "pass"],
            "import": [python, "-c", "import agentcore"],
            "help": [*cli, "--help"],
        },
        args.runs,
    )
    step = step_times(args.steps, args.runs)
    hand = hand_offs(5000)

    rows: list[tuple[str, str]] = [
        (
            "ReAct step, scripted backend, no-op tool, no time limit",
            f"{step['noop'] * 1e3:.3f} ms",
        ),
        (
            "ReAct step, scripted backend, no-op tool, 30 s time limit (pooled worker)",
            f"{step['noop_limited'] * 1e3:.3f} ms",
        ),
        ("  ratio, time limit / none", verdict(step["noop_limited"] / step["noop"], 1.5)),
        ("  cross-thread call, a thread started per call", f"{hand['thread'] * 1e3:.3f} ms"),
        ("  cross-thread call, pooled worker", f"{hand['pooled'] * 1e3:.3f} ms"),
        ("  cross-thread call, bare queue+lock round trip", f"{hand['floor'] * 1e3:.3f} ms"),
        ("python -c pass (interpreter floor)", f"{starts['floor'] * 1e3:.0f} ms"),
        ("python -c 'import agentcore'", f"{starts['import'] * 1e3:.0f} ms"),
        ("agentcore --help (no plugin imported)", f"{starts['help'] * 1e3:.0f} ms"),
        ("  ratio, --help / import agentcore", verdict(starts["help"] / starts["import"], 3)),
    ]

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement'.ljust(width)}  median")
    print(f"{'-' * width}  ------")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
