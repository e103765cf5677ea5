"""agentcore vs smolagents vs LangGraph: engine time per step on the same scripted trajectory.

Each framework runs in its own interpreter — agentcore in the repository's .venv, the peers in
benchmarks/peers/.venv (made by benchmarks/peers/setup.sh; they are not agentcore
dependencies) — replaying the trajectory of trajectory.py at each step count, and reports the
median ms per step as JSON. This prints them side by side with each peer's ratio to agentcore.

Run: benchmarks/peers/setup.sh && .venv/bin/python benchmarks/peers/compare.py [--runs 10]
(or `make bench-peers`), on a machine doing nothing else.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_PYTHON = HERE / ".venv" / "bin" / "python"
RUNNERS = {
    "agentcore": (Path(sys.executable), HERE / "run_agentcore.py"),
    "smolagents": (PEERS_PYTHON, HERE / "run_smolagents.py"),
    "langgraph": (PEERS_PYTHON, HERE / "run_langgraph.py"),
}


def run(framework: str, steps: list[int], runs: int) -> dict[int, float]:
    python, script = RUNNERS[framework]
    if not python.is_file():
        sys.exit(f"{python} is missing: run benchmarks/peers/setup.sh first")
    command = [str(python), str(script), "--runs", str(runs), "--steps", *map(str, steps)]
    out = subprocess.run(command, capture_output=True, text=True, cwd=HERE)
    if out.returncode != 0:
        sys.exit(f"{framework} failed:\n{out.stderr or out.stdout}")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return {row["steps"]: row["ms_per_step"] for row in report["rows"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[8, 50, 200])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    results = {name: run(name, args.steps, args.runs) for name in RUNNERS}
    base = results["agentcore"]
    header = "| framework | " + " | ".join(f"{n} steps ms/step" for n in args.steps)
    header += " | " + " | ".join(f"{n} steps × agentcore" for n in args.steps) + " |"
    print(header)
    print("|---|" + "---:|" * (2 * len(args.steps)))
    for name, per_steps in results.items():
        times = " | ".join(f"{per_steps[n]:.3f}" for n in args.steps)
        ratios = " | ".join(f"{per_steps[n] / base[n]:.2f}×" for n in args.steps)
        print(f"| {name} | {times} | {ratios} |")


if __name__ == "__main__":
    main()
