"""Well-formed action rate of ReAct on HotpotQA, with and without grammar-constrained actions.

For the first N questions, the embedded model runs the ReAct loop over the offline Wikipedia
corpus twice: with the tolerant parser only, and with a GBNF grammar built from the tools'
schemas (llama.cpp). A step is well-formed when the parser got a valid action from it. Also
reported: finished runs, exact match of the answer, and time.

Run: .venv/bin/python benchmarks/react_wellformed.py [-n 100] [--model qwen2.5-coder-1.5b]
     [--variants never,always,repair]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

from agentcore import ReActAgent
from agentcore.models import RunStatus
from agentcore.plugins import get_plugin_manager
from agentcore.scoring import exact_match

DATA = Path(__file__).parent / "data" / "hotpotqa_questions.jsonl.gz"


VARIANTS: dict[str, tuple[str, bool | None]] = {
    "never": ("tolerant parser only", False),
    "repair": ("repair under grammar", None),
    "always": ("grammar (GBNF)", True),
}


def evaluate(agent: ReActAgent, questions: list[dict]) -> dict[str, float]:
    """Run every question; a step is well-formed when its first attempt parsed to an action.

    ``repaired`` counts steps whose first attempt was malformed and was regenerated under the
    grammar (the ``repair`` variant); ``usable`` counts steps that ended with an action either way.
    """
    steps = wellformed = usable = repaired = finished = exact = 0
    started = time.perf_counter()
    for i, item in enumerate(questions, 1):
        result = agent.run(item["question"])
        for step in result.steps:
            if step.kind.value == "react":
                steps += 1
                usable += step.action is not None
                repaired += step.repaired_from is not None
                wellformed += step.action is not None and step.repaired_from is None
        finished += result.status is RunStatus.FINISHED
        exact += exact_match(result.answer, item["answer"])
        print(
            f"  {i}/{len(questions)} steps {steps} well-formed {wellformed} usable {usable} "
            f"finished {finished} em {exact} {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return {
        "steps": steps,
        "wellformed": 100.0 * wellformed / max(steps, 1),
        "usable": 100.0 * usable / max(steps, 1),
        "repaired": repaired,
        "finished": finished,
        "em": 100.0 * exact / len(questions),
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--max-steps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument(
        "--variants",
        default="never,always",
        help="comma-separated, from: " + ", ".join(VARIANTS),
    )
    args = parser.parse_args()
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle][: args.n]
    options = {"n_threads": args.threads} if args.threads else {}
    backend = get_plugin_manager().create("backend", "llama-cpp", model=args.model, **options)
    rows = []
    for variant in args.variants.split(","):
        label, constrain = VARIANTS[variant.strip()]
        agent = ReActAgent(backend, max_steps=args.max_steps, constrain=constrain)
        print(f"{label}:", file=sys.stderr)
        rows.append((label, evaluate(agent, questions)))
    print(
        f"model {args.model}, first {len(questions)} HotpotQA questions, offline corpus, greedy, "
        f"max_steps {args.max_steps}"
    )
    print(
        f"{'variant':<22} {'steps':>6} {'well-formed %':>13} {'repaired':>8} {'usable %':>8} "
        f"{'finished':>9} {'EM %':>6} {'time s':>8}"
    )
    for label, r in rows:
        print(
            f"{label:<22} {r['steps']:>6} {r['wellformed']:>13.1f} {r['repaired']:>8} "
            f"{r['usable']:>8.1f} {r['finished']:>9} {r['em']:>6.1f} {r['seconds']:>8.0f}"
        )


if __name__ == "__main__":
    main()
