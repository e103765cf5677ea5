"""One prompt under greedy, top-k, top-p and several temperatures, side by side.

Each setting is sampled ``--samples`` times with seeds 1, 2, 3, ...: greedy rows repeat
themselves whatever the seed, low temperatures stay close to greedy, high temperatures and wide
top-p wander. Seeded samples are repeatable, so running the script twice prints the same table.
"""

from __future__ import annotations

import argparse

from agentcore.defaults import DEFAULT_BACKEND
from agentcore.models import GenerationConfig
from agentcore.plugins import get_plugin_manager
from agentcore.untrusted import for_terminal

SETTINGS: list[tuple[str, GenerationConfig]] = [
    ("greedy (temperature 0)", GenerationConfig()),
    ("top_k=1, temperature 1.0 (= greedy)", GenerationConfig(top_k=1, temperature=1.0)),
    ("temperature 0.3", GenerationConfig(temperature=0.3)),
    ("temperature 0.7", GenerationConfig(temperature=0.7)),
    ("temperature 1.2", GenerationConfig(temperature=1.2)),
    ("top_k=40, temperature 0.8", GenerationConfig(top_k=40, temperature=0.8)),
    ("top_p=0.9, temperature 0.8", GenerationConfig(top_p=0.9, temperature=0.8)),
    ("top_p=0.5, temperature 1.5", GenerationConfig(top_p=0.5, temperature=1.5)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--backend", default=DEFAULT_BACKEND, help="llama-cpp or transformers")
    parser.add_argument("--prompt", default="Suggest a name for a small seaside bookshop:")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--samples", type=int, default=3, help="samples per setting")
    args = parser.parse_args()
    backend = get_plugin_manager().create("backend", args.backend, model=args.model)
    print(
        f"prompt: {args.prompt!r}  ({args.backend}, {args.model}, {args.max_new_tokens} tokens, "
        f"seeds 1..{args.samples})"
    )
    for label, setting in SETTINGS:
        texts = []
        for seed in range(1, args.samples + 1):
            config = setting.model_copy(
                update={"max_new_tokens": args.max_new_tokens, "stop": ("\n\n",), "seed": seed}
            )
            texts.append(backend.complete(args.prompt, config).text.strip().replace("\n", " ⏎ "))
        distinct = len(set(texts))
        print(f"\n{label}  — {distinct} distinct of {len(texts)}")
        for seed, text in enumerate(texts, 1):
            print(f"  seed {seed}: {for_terminal(text)}")  # model text: shown, never executed


if __name__ == "__main__":
    main()
