"""Zero-, one- and few-shot sentiment classification, and what happens when exemplars overflow."""

from __future__ import annotations

import argparse

from agentcore.defaults import DEFAULT_BACKEND
from agentcore.fewshot import PromptAgent
from agentcore.plugins import get_plugin_manager

REVIEWS = [
    ("Arrived broken, but the replacement they sent works well.", "mixed"),
    ("Absolutely love it, the colour is even nicer than in the photos.", "positive"),
    ("Stopped charging after a week. Waste of money.", "negative"),
    ("Comfortable, though the sizing runs small.", "mixed"),
]
#: Fits the zero-shot prompt and the answer, but not all five exemplars.
SMALL_CONTEXT = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    pm = get_plugin_manager()
    backend = pm.create("backend", DEFAULT_BACKEND, model=args.model)
    shots = (0, 1, 3, 5)
    print(f"{'review':<58} {'gold':>8} " + " ".join(f"{f'k={k}':>9}" for k in shots))
    for review, gold in REVIEWS:
        answers = [
            PromptAgent(backend, prompt="classify/sentiment", shots=k).run(review).answer or "-"
            for k in shots
        ]
        print(f"{review[:56]:<58} {gold:>8} " + " ".join(f"{a:>9}" for a in answers))

    small = pm.create("backend", DEFAULT_BACKEND, model=args.model, n_ctx=SMALL_CONTEXT)
    result = PromptAgent(small, prompt="classify/sentiment", shots=5).run(REVIEWS[0][0])
    print(
        f"\nWith a {SMALL_CONTEXT}-token context window and shots=5: used {result.shots} exemplars "
        f"-> {result.answer!r}"
    )
    for note in result.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
