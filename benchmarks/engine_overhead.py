"""Engine overhead: time per ReAct step with the model and tool taken out, and CLI start-up.

The scripted backend (a test tool that replays completions) and a no-op tool isolate what the
engine itself costs per step: prompt building and fitting, parsing, validation, the tool call
wrapper, events and records. Start-up is measured for `import agentcore` and `agentcore --help`
(which loads every installed plugin's module) in fresh interpreters.

smolagents is not a dependency; the table says so when it is not importable (a side-by-side on
the same scripted trajectory needs it installed in a separate environment).

Run: .venv/bin/python benchmarks/engine_overhead.py [--steps 20] [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from agentcore import ReActAgent, tool
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager


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


def startup(code: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(code, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    for name, label in (("noop", "no time limit"), ("noop_limited", "30 s time limit (thread)")):
        per_step = [scripted_run(args.steps, name) for _ in range(args.runs)]
        rows.append(
            (
                f"ReAct step, scripted backend, no-op tool, {label}",
                f"{statistics.median(per_step) * 1e3:.3f} ms",
            )
        )
    python = sys.executable
    floor = startup([python, "-c", "pass"], 10)
    rows.append(("python -c pass (interpreter floor)", f"{floor * 1e3:.0f} ms"))
    core = startup([python, "-c", "import agentcore"], 10)
    rows.append(("python -c 'import agentcore'", f"{core * 1e3:.0f} ms"))
    rows.append(
        (
            "agentcore --help (all plugins loaded)",
            f"{startup([python, '-m', 'agentcore.cli', '--help'], 10) * 1e3:.0f} ms",
        )
    )
    try:
        import smolagents  # noqa: F401
    except ImportError:
        rows.append(("smolagents, same trajectory", "not installed here (see docstring)"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement'.ljust(width)}  median")
    print(f"{'-' * width}  ------")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
