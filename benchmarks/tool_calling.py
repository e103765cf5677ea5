"""Text ReAct vs native tool calls on the same HotpotQA questions, side by side.

Runs ``agentcore eval hotpotqa`` with ``--agent react`` and ``--agent tool-calling`` (the same
first N questions, offline corpus, default model, greedy, ``--cluster local:2``); an eval
resumes from its results file, so with both files complete this only summarises them. Then
prints one table over the questions both files hold: exact match, F1, runs finished, mean
steps, tokens evaluated and generated, mean wall per item, and the well-formed rate — the share
of steps whose first model reply held a usable action (a ReAct action line, or a tool call of a
known tool with JSON arguments), read from each run's trace in the run store (``agentcore runs
ID --json``); a run whose trace is not in this machine's store counts as unknown.

Run: .venv/bin/python benchmarks/tool_calling.py [-n 100] [--react FILE] [--tool-calling FILE]
     [--no-run]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from agentcore.models import ToolSpec
from agentcore.parsing import DEFAULT_LABELS, parse_react_step
from agentcore.tool_calls import parse_tool_calls

RESULTS = Path(__file__).parent / "results"
AGENTCORE = str(Path(sys.executable).with_name("agentcore"))
TOOLS = {
    name: ToolSpec(
        name=name, description="", string_argument=argument,
        parameters={"type": "object", "properties": {argument: {"type": "string"}}},
    )
    for name, argument in (("search", "entity"), ("lookup", "keyword"))
}  # fmt: skip


def run_eval(agent: str, n: int, out: Path) -> None:
    command = [AGENTCORE, "eval", "hotpotqa", "--agent", agent, "-n", str(n),
               "--cluster", "local:2", "--out", str(out)]  # fmt: skip
    subprocess.run(command, check=True)


def items(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]


def first_reply_usable(agent: str, text: str) -> bool:
    if agent == "tool-calling":
        _, calls = parse_tool_calls(text)
        return bool(calls) and calls[0].error is None and calls[0].name in (*TOOLS, "finish")
    return parse_react_step(text, TOOLS, DEFAULT_LABELS).action is not None


def well_formed(agent: str, rows: list[dict]) -> tuple[int, int, int]:
    """(steps with a usable first reply, steps, runs without a trace here)."""
    usable = steps = missing = 0
    for row in rows:
        shown = subprocess.run(
            [AGENTCORE, "runs", row["run_id"], "--json"], capture_output=True, text=True
        )
        if shown.returncode != 0:
            missing += 1
            continue
        trace = json.loads(shown.stdout)
        first: dict[int, str] = {}
        for call in sorted(trace["llm_calls"], key=lambda c: c["call_index"]):
            first.setdefault(call["step_index"], call["completion"])
        for step in trace["steps"]:
            if step["kind"] == "final" or step["step_index"] not in first:
                continue
            steps += 1
            usable += first_reply_usable(agent, first[step["step_index"]])
    return usable, steps, missing


def summary(agent: str, rows: list[dict]) -> dict[str, str]:
    """One table row: the results of ``agent`` on the questions both files hold."""
    count = len(rows)
    usable, steps, missing = well_formed(agent, rows)

    def mean(key: str) -> float:
        return sum(float(r[key]) for r in rows) / count

    shown = f"{100 * usable / steps:.1f}% ({usable}/{steps})" if steps else "–"
    if missing:
        shown += f", {missing} runs without a trace here" if steps else f" ({missing} untraced)"
    return {
        "agent": agent,
        "items": str(count),
        "EM": f"{100 * mean_score(rows, 'em'):.1f}",
        "F1": f"{100 * mean_score(rows, 'f1'):.1f}",
        "finished": f"{sum(r['status'] == 'finished' for r in rows)}/{count}",
        "mean steps": f"{mean('steps'):.2f}",
        "tokens evaluated": f"{sum(r['tokens_evaluated'] for r in rows):,}",
        "tokens generated": f"{sum(r['tokens_generated'] for r in rows):,}",
        "mean wall (s)": f"{mean('wall_s'):.1f}",
        "well-formed first replies": shown,
    }


def mean_score(rows: list[dict], metric: str) -> float:
    return sum(r["scores"][metric] for r in rows) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument(
        "--react", type=Path, default=RESULTS / "hotpotqa-react-exclude-bestmatch-n100.jsonl"
    )
    parser.add_argument(
        "--tool-calling", type=Path, default=RESULTS / "hotpotqa-tool-calling-n100.jsonl"
    )
    parser.add_argument("--no-run", action="store_true", help="Only summarise the files.")
    args = parser.parse_args()
    files = {"react": args.react, "tool-calling": args.tool_calling}
    if not args.no_run:
        for agent, path in files.items():
            run_eval(agent, args.n, path)
    rows = {agent: items(path) for agent, path in files.items()}
    common = set.intersection(*({r["id"] for r in got} for got in rows.values()))
    table = [summary(agent, [r for r in got if r["id"] in common]) for agent, got in rows.items()]
    print(f"{len(common)} questions in both results files")
    keys = list(table[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in table:
        print("| " + " | ".join(row[k] for k in keys) + " |")


if __name__ == "__main__":
    main()
