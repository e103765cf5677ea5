"""Well-formed action rate of ReAct on HotpotQA, with and without grammar-constrained actions.

For the first N questions, the embedded model runs the ReAct loop over the offline Wikipedia
corpus twice: with the tolerant parser only, and with a GBNF grammar built from the tools'
schemas (llama.cpp). A step is well-formed when the parser got a valid action from it. Also
reported: finished runs, exact match of the answer, and time.

Run: .venv/bin/python benchmarks/react_wellformed.py [-n 100] [--model qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import string
import sys
import time
from pathlib import Path

from agentcore import ReActAgent
from agentcore.models import RunStatus
from agentcore.plugins import get_plugin_manager

DATA = Path(__file__).parent / "data" / "hotpotqa_questions.jsonl.gz"


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def evaluate(agent: ReActAgent, questions: list[dict]) -> dict[str, float]:
    steps = wellformed = finished = exact = 0
    started = time.perf_counter()
    for i, item in enumerate(questions, 1):
        result = agent.run(item["question"])
        for step in result.steps:
            if step.kind.value == "react":
                steps += 1
                wellformed += step.action is not None
        finished += result.status is RunStatus.FINISHED
        exact += normalize(result.answer or "") == normalize(item["answer"])
        print(f"\r  {i}/{len(questions)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {
        "steps": steps,
        "wellformed": 100.0 * wellformed / max(steps, 1),
        "finished": finished,
        "em": 100.0 * exact / len(questions),
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--max-steps", type=int, default=7)
    args = parser.parse_args()
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle][: args.n]
    backend = get_plugin_manager().create("backend", "llama-cpp", model=args.model)
    rows = []
    for constrain in (False, True):
        agent = ReActAgent(backend, max_steps=args.max_steps, constrain=constrain)
        label = "grammar (GBNF)" if constrain else "tolerant parser only"
        print(f"{label}:", file=sys.stderr)
        rows.append((label, evaluate(agent, questions)))
    print(
        f"model {args.model}, first {len(questions)} HotpotQA questions, offline corpus, greedy, "
        f"max_steps {args.max_steps}"
    )
    print(
        f"{'variant':<22} {'steps':>6} {'well-formed %':>13} {'finished':>9} {'EM %':>6} "
        f"{'time s':>8}"
    )
    for label, r in rows:
        print(
            f"{label:<22} {r['steps']:>6} {r['wellformed']:>13.1f} {r['finished']:>9} "
            f"{r['em']:>6.1f} {r['seconds']:>8.0f}"
        )


if __name__ == "__main__":
    main()
