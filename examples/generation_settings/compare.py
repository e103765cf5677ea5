"""One prompt under greedy, top-k, top-p and several temperatures, side by side."""

from __future__ import annotations

import argparse

from agentcore.models import GenerationConfig
from agentcore.plugins import get_plugin_manager

SETTINGS = [
    ("greedy", GenerationConfig()),
    ("top_k=1, temperature 1.0 (= greedy)", GenerationConfig(top_k=1, temperature=1.0)),
    ("temperature 0.3", GenerationConfig(temperature=0.3, seed=1)),
    ("temperature 0.7", GenerationConfig(temperature=0.7, seed=1)),
    ("temperature 1.2", GenerationConfig(temperature=1.2, seed=1)),
    ("top_k=40, temperature 0.8", GenerationConfig(top_k=40, temperature=0.8, seed=1)),
    ("top_p=0.9, temperature 0.8", GenerationConfig(top_p=0.9, temperature=0.8, seed=1)),
    ("top_p=0.5, temperature 1.5", GenerationConfig(top_p=0.5, temperature=1.5, seed=1)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--prompt", default="Suggest a name for a small seaside bookshop:")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args()
    backend = get_plugin_manager().create("backend", "llama-cpp", model=args.model)
    print(f"prompt: {args.prompt!r}  (model {args.model}, {args.max_new_tokens} tokens)")
    for label, config in SETTINGS:
        config = config.model_copy(
            update={"max_new_tokens": args.max_new_tokens, "stop": ("\n\n",)}
        )
        text = backend.complete(args.prompt, config).text.strip().replace("\n", " ⏎ ")
        print(f"{label:<38} {text}")


if __name__ == "__main__":
    main()
