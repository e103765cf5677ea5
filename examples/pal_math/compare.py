"""PAL vs chain-of-thought, same model, same problems: answer, correctness, time."""

from __future__ import annotations

import argparse

from agentcore import PALAgent
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.fewshot import PromptAgent
from agentcore.plugins import get_plugin_manager
from agentcore.untrusted import for_terminal

PROBLEMS = [
    (
        "The bakers at the Beverly Hills Bakery baked 200 loaves of bread on Monday morning. They "
        "sold 93 loaves in the morning and 39 loaves in the afternoon. A grocery store returned 6 "
        "unsold loaves. How many loaves of bread did they have left?",
        "74",
    ),
    (
        "Roger has 5 tennis balls. He buys 2 more cans of tennis balls. Each can has 3 tennis "
        "balls. How many tennis balls does he have now?",
        "11",
    ),
    (
        "The cafeteria had 23 apples. If they used 20 to make lunch and bought 6 more, how many "
        "apples do they have?",
        "9",
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None, help="default: the embedded default model")
    args = parser.parse_args()
    backend = get_plugin_manager().create("backend", DEFAULT_BACKEND, model=args.model)
    agents = {"PAL": PALAgent(backend), "CoT": PromptAgent(backend, prompt="cot/math")}
    print(
        f"{'problem':<40} {'gold':>5} " + " ".join(f"{n + ' answer':>12} {'s':>5}" for n in agents)
    )
    score = dict.fromkeys(agents, 0)
    for problem, gold in PROBLEMS:
        cells = []
        for name, agent in agents.items():
            result = agent.run(problem)
            ok = result.answer == gold
            score[name] += ok
            cells.append(
                f"{(result.answer or '-') + (' ✓' if ok else ' ✗'):>12} {result.duration_s:>5.1f}"
            )
        print(for_terminal(f"{problem[:38] + '…':<40} {gold:>5} " + " ".join(cells)))
    print("correct: " + ", ".join(f"{n} {score[n]}/{len(PROBLEMS)}" for n in agents))


if __name__ == "__main__":
    main()
