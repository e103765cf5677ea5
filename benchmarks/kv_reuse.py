"""KV-prefix reuse in a ReAct episode on the embedded model: with it, and with it thrown away.

A 6-step episode with scripted observations: at each step the model generates (greedy, up to
48 tokens), then the transcript is extended with a fixed step text, so both variants send
byte-identical prompts. "with reuse" is the llama-cpp backend as agentcore uses it; "no reuse"
resets the context before every call, as a backend that rebuilds its prompt or context would.

Run: .venv/bin/python benchmarks/kv_reuse.py [--model qwen2.5-coder-1.5b] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

from agentcore.models import GenerationConfig
from agentcore.plugins import get_plugin_manager
from agentcore.prompts import load_prompt

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"
SCRIPT = [
    (
        " I need the start dates of both magazines.\nAction 1: search[Arthur's Magazine]",
        "Arthur's Magazine (1844–1846) was an American literary periodical published in "
        "Philadelphia in the 19th century.",
    ),
    (
        " Arthur's Magazine started in 1844. Now First for Women.\n"
        "Action 2: search[First for Women]",
        "First for Women is a woman's magazine published by Bauer Media Group in the USA. "
        "The magazine was started in 1989.",
    ),
    (
        " I should check the publisher of Arthur's Magazine.\nAction 3: lookup[published]",
        "(Result 1 / 1) It was published in Philadelphia in the 19th century.",
    ),
    (
        " Let me confirm when First for Women was started.\nAction 4: lookup[started]",
        "(Result 1 / 1) The magazine was started in 1989.",
    ),
    (
        " I will check who edited Arthur's Magazine.\nAction 5: lookup[edited]",
        "(Result 1 / 1) Edited by T.S. Arthur, it featured work by Edgar A. Poe.",
    ),
    (
        " 1844 is before 1989.\nAction 6: search[Bauer Media Group]",
        "Bauer Media Group is a German media company based in Hamburg.",
    ),
]


def episode(backend, reuse: bool, tools: str) -> dict[str, float]:
    template = load_prompt("react/wikipedia")
    transcript = template.render(QUESTION, tools=tools, max_steps=7)
    config = GenerationConfig(max_new_tokens=48, stop=("\nObservation",))
    totals = {"prompt": 0, "evaluated": 0, "new": 0, "seconds": 0.0, "prompt_s": 0.0}
    previous_tokens = 0
    backend.reset()
    for index, (step_text, observation) in enumerate(SCRIPT, start=1):
        prompt = transcript + template.extra("step_prefix", step=index)
        if not reuse:
            backend.reset()
        started = time.perf_counter()
        completion = backend.complete(prompt, config, session="bench")
        totals["seconds"] += time.perf_counter() - started
        totals["prompt_s"] += completion.timings.prompt_s or 0.0
        totals["prompt"] += completion.usage.prompt_tokens
        totals["evaluated"] += completion.usage.prompt_tokens_evaluated
        totals["new"] += completion.usage.prompt_tokens - previous_tokens
        previous_tokens = completion.usage.prompt_tokens
        transcript = (
            prompt + step_text + template.extra("observation", step=index, observation=observation)
        )
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    backend = get_plugin_manager().create(
        "backend", "llama-cpp", model=args.model, n_threads=args.threads
    )
    tools = "- search[entity]: Search Wikipedia.\n- lookup[keyword]: Find the keyword in the page."
    episode(backend, True, tools)  # warm-up (page cache, threads)
    rows = [
        ("with reuse", episode(backend, True, tools)),
        ("no reuse", episode(backend, False, tools)),
    ]
    print(
        f"model {args.model}, 6-step ReAct episode, scripted observations, greedy, 48 new tok/step"
    )
    print(
        f"{'variant':<12} {'prompt tok':>10} {'new tok':>8} {'evaluated':>10} {'prompt s':>9} "
        f"{'wall s':>7}"
    )
    for name, t in rows:
        print(
            f"{name:<12} {t['prompt']:>10} {t['new']:>8} {t['evaluated']:>10} "
            f"{t['prompt_s']:>9.2f} {t['seconds']:>7.2f}"
        )
    with_reuse, without = rows[0][1], rows[1][1]
    ratio = without["evaluated"] / with_reuse["evaluated"]
    print(
        f"evaluated tokens ratio (no reuse / reuse): {ratio:.1f}x; "
        f"prompt time ratio: {without['prompt_s'] / max(with_reuse['prompt_s'], 1e-9):.1f}x; "
        f"wall ratio: {without['seconds'] / with_reuse['seconds']:.2f}x"
    )


if __name__ == "__main__":
    main()
