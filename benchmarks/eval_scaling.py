"""`agentcore eval` on Dask: items per minute with 1 and 2 local worker processes.

The same items (GSM8K with PAL on the fast 0.5B model, greedy) are run on ``local:1`` and on
``local:2``, each worker at one llama.cpp thread (2 workers on this 2-core machine use both
cores), each from an empty results file. The wall time includes starting the cluster and
loading each worker's model, as a user waits for it. Target: ≥ 1.8× with 2 workers.

    .venv/bin/python benchmarks/eval_scaling.py            # 16 items
    .venv/bin/python benchmarks/eval_scaling.py -n 24 --dataset hotpotqa --agent react

Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from agentcore_eval.datasets import load_dataset
from agentcore_eval.results import EvalHeader, ResultsFile
from agentcore_eval.runner import evaluate

from agentcore.plugin import AgentSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=16)
    parser.add_argument("--dataset", default="gsm8k")
    parser.add_argument("--agent", default=None)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    kind = args.agent or data.agent
    spec = AgentSpec(**data.spec_for(kind), model=args.model, backend_options={"n_threads": 1})
    items = data.items[: args.n]
    rows = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            header = EvalHeader(dataset=data.name, metric=data.metric, agent={"kind": kind})
            results = ResultsFile(Path(tmp) / "r.jsonl", header)
            started = time.perf_counter()
            evaluate(spec, data.metric, items, results, cluster=f"local:{workers}")
            wall = time.perf_counter() - started
            done = list(results.done.values())
            right = sum(r.scores.get(data.metric, 0.0) for r in done)
            rows.append((workers, len(done), wall, right))
    print(f"## {args.dataset} with {kind} on {args.model}, {args.n} items, 1 llama.cpp thread "
          "per worker\n")  # fmt: skip
    print("| Dask workers | items | wall | items/min | speed-up | right |")
    print("|---:|---:|---:|---:|---:|---:|")
    base = rows[0][1] / rows[0][2]
    for workers, count, wall, right in rows:
        rate = count / wall
        print(f"| {workers} | {count} | {wall:.0f} s | {rate * 60:.1f} | {rate / base:.2f}× | "
              f"{right:.0f}/{count} |")  # fmt: skip


if __name__ == "__main__":
    main()
