"""What recording every run in the DuckDB store costs, next to the same runs unrecorded.

A ReAct run on the scripted backend (a test tool that replays completions) with a no-op tool
takes well under a millisecond per step, so what is left is the store: buffering each call's
prompt and completion through the event hooks, then one transaction per run that writes the
run, its steps, LLM calls and tool calls to a DuckDB file. Three rows, side by side in one run:
store off (``AGENTCORE_STORE=off``), store on with a fresh file, and store on with a file that
already holds ``--existing`` runs (inserts into a larger table). Two more rows, with the trace
store off, measure durable runs' checkpoints (a commit when the run starts, before each tool
call, after each step and at the end) in a DuckDB run store held open by the process (a
server's, or ``Agent(checkpoints=...)``'s) and in one opened per commit (the command line's,
shared with other processes).

For scale: one ReAct step on the embedded 1.5B model takes seconds.

Run: .venv/bin/python benchmarks/store_overhead.py [--runs 30] [--steps 5] [--existing 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from agentcore import ReActAgent, tool
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager


@tool(timeout_s=None)
def noop(text: str) -> str:
    """Return the text unchanged."""
    return text


def one_run(pm: AgentcorePluginManager, steps: int, checkpoints=None) -> float:
    completions = [
        f" Step {i} thinking about the question.\nAction {i}: noop[value {i}]"
        for i in range(1, steps)
    ] + [f" Done.\nAction {steps}: finish[answer]"]
    agent = ReActAgent(
        ScriptedBackend(completions, context_window=1_000_000),
        tools=[noop],
        max_steps=steps,
        plugin_manager=pm,
        prompt="react/tools",
        checkpoints=checkpoints,
    )
    started = time.perf_counter()
    result = agent.run("What does the no-op tool return?")
    elapsed = time.perf_counter() - started
    assert result.answer == "answer", result.error
    return elapsed


def measure(store: str, runs: int, steps: int, warm: int = 0, checkpoints=None) -> list[float]:
    os.environ["AGENTCORE_STORE"] = store
    pm = AgentcorePluginManager(allow={"store"})
    for _ in range(warm):
        one_run(pm, steps, checkpoints)
    return [one_run(pm, steps, checkpoints) for _ in range(runs)]


def checkpoint_store(path: Path, hold: bool):
    from agentcore.plugin import create_provider

    return create_provider("run_store", "duckdb", path=path, hold=hold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--existing", type=int, default=1000, help="runs already in the file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        fresh = str(Path(scratch) / "fresh.duckdb")
        full = str(Path(scratch) / "full.duckdb")
        measure(full, args.existing, args.steps)  # fill the second file
        rows = [
            ("store off", measure("off", args.runs, args.steps, warm=3)),
            ("store on, new file", measure(fresh, args.runs, args.steps, warm=1)),
            (f"store on, {args.existing} runs in file", measure(full, args.runs, args.steps)),
        ]
        for label, hold in (("held open", True), ("opened per commit", False)):
            store = checkpoint_store(Path(scratch) / f"checkpoints-{hold}.duckdb", hold)
            times = measure("off", args.runs, args.steps, warm=1, checkpoints=store)
            rows.append((f"store off, checkpoints in DuckDB {label}", times))
    base = statistics.median(rows[0][1])
    print(
        f"ReAct run of {args.steps} steps, scripted backend, no-op tool; "
        f"median and p90 of {args.runs} runs"
    )
    print("| variant | median ms/run | p90 ms/run | added vs off (median) |")
    print("|---|---:|---:|---:|")
    for label, times in rows:
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"| {label} | {median * 1e3:.2f} | {p90 * 1e3:.2f} | {(median - base) * 1e3:+.2f} |")


if __name__ == "__main__":
    main()
