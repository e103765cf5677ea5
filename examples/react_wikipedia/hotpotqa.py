"""Run the ReAct agent on the first N HotpotQA questions; print answer vs gold and the score."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from agentcore import ReActAgent
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.scoring import exact_match

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "hotpotqa_questions.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--model", default=None, help="default: the embedded default model")
    parser.add_argument("--max-steps", type=int, default=6)
    args = parser.parse_args()
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle][: args.n]
    agent = ReActAgent(DEFAULT_BACKEND, model=args.model, max_steps=args.max_steps)
    correct = 0
    for item in questions:
        result = agent.run(item["question"])
        ok = exact_match(result.answer, item["answer"])
        correct += ok
        print(f"Q: {item['question']}")
        print(
            f"   {'✓' if ok else '✗'} agent: {result.answer!r} ({result.status.value}, "
            f"{len(result.steps)} steps, {result.duration_s:.1f}s)   gold: {item['answer']!r}"
        )
    print(f"exact match: {correct}/{len(questions)} (HotpotQA normalisation)")


if __name__ == "__main__":
    main()
