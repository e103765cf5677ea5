"""What agentcore's backend layer costs: generation speed through a backend vs the raw library.

Run from the repository root (needs `make setup`)::

    .venv/bin/python benchmarks/backend_overhead.py [--runs 5] [--tokens 64] [--threads 2]
        [--backends llama-cpp,transformers]

Same model (Qwen2.5-Coder-0.5B), same prompt, greedy, the same number of new
tokens, on the same loaded model object:

* llama-cpp: ``Llama.create_completion`` (raw) vs ``LlamaCppBackend.complete``
  (which streams tokens, tracks usage and applies stop sequences);
* transformers: tokenize + ``model.generate`` + decode (raw) vs
  ``TransformersBackend.complete`` (its own sampler order, a stopping criterion
  that streams text and watches for stop sequences on every token).

Each run starts from an empty KV cache (both sides evaluate the whole prompt);
raw and agentcore runs alternate, so background load hits both alike. Rates are
tokens generated per second of wall time for the whole call (prompt included);
the table shows the median of the runs. Goal: agentcore ≥ 0.95× raw.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from agentcore.models import GenerationConfig

MODEL = "qwen2.5-coder-0.5b"
PROMPT = (
    "# A small library of list utilities, with docstrings and type hints.\n"
    "from typing import TypeVar\n\nT = TypeVar('T')\n\n\ndef chunked("
)


def rate(call: Callable[[], int]) -> float:
    """Tokens per second of one call that returns how many tokens it generated."""
    started = time.perf_counter()
    tokens = call()
    return tokens / (time.perf_counter() - started)


def compare(
    raw: Callable[[], int], ours: Callable[[], int], runs: int
) -> tuple[float, float, list[float], list[float]]:
    raw(), ours()  # warm-up: first calls allocate buffers
    raw_rates, our_rates = [], []
    for _ in range(runs):
        raw_rates.append(rate(raw))
        our_rates.append(rate(ours))
    return statistics.median(raw_rates), statistics.median(our_rates), raw_rates, our_rates


def llama_cpp_pair(tokens: int, threads: int) -> tuple[Callable[[], int], Callable[[], int]]:
    from agentcore_llama_cpp.backend import LlamaCppBackend

    backend = LlamaCppBackend(MODEL, n_ctx=2048, n_threads=threads)
    llm = backend._llm  # the very same model and context
    config = GenerationConfig(max_new_tokens=tokens)

    def raw() -> int:
        llm.reset()
        out = llm.create_completion(
            PROMPT, max_tokens=tokens, temperature=0.0, top_k=1, repeat_penalty=1.0
        )
        return out["usage"]["completion_tokens"]

    def ours() -> int:
        backend.reset()
        return backend.complete(PROMPT, config).usage.completion_tokens

    return raw, ours


def transformers_pair(tokens: int, threads: int) -> tuple[Callable[[], int], Callable[[], int]]:
    import torch
    from agentcore_transformers.backend import TransformersBackend

    backend = TransformersBackend(MODEL, n_threads=threads)
    model, tokenizer = backend._model, backend._tokenizer
    config = GenerationConfig(max_new_tokens=tokens)

    def raw() -> int:
        ids = tokenizer(PROMPT, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=tokens, do_sample=False)
        new = out[0, ids["input_ids"].shape[1] :]
        tokenizer.decode(new)
        return int(new.shape[0])

    def ours() -> int:
        return backend.complete(PROMPT, config).usage.completion_tokens

    return raw, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--backends", default="llama-cpp,transformers", help="comma-separated subset to run"
    )
    args = parser.parse_args()

    available = {"llama-cpp": llama_cpp_pair, "transformers": transformers_pair}
    pairs = {name: available[name] for name in args.backends.split(",")}
    rows = []
    for name, make in pairs.items():
        raw, ours = make(args.tokens, args.threads)
        raw_rate, our_rate, raw_all, our_all = compare(raw, ours, args.runs)
        rows.append((name, raw_rate, our_rate, raw_all, our_all))
        print(f"{name}: raw {raw_rate:.1f} tok/s, agentcore {our_rate:.1f} tok/s", file=sys.stderr)

    print(
        f"\n{MODEL}, greedy, {args.tokens} new tokens, {args.threads} threads, "
        f"median of {args.runs} alternating runs (tokens/s over the whole call)\n"
    )
    print("| backend | raw library tok/s | through agentcore tok/s | agentcore / raw |")
    print("|---|---:|---:|---:|")
    for name, raw_rate, our_rate, _, _ in rows:
        print(f"| {name} | {raw_rate:.1f} | {our_rate:.1f} | {our_rate / raw_rate:.2f}× |")
    print()
    for name, _, _, raw_all, our_all in rows:
        print(f"{name}: raw runs {[round(r, 1) for r in raw_all]}")
        print(f"{name}: agentcore runs {[round(r, 1) for r in our_all]}")


if __name__ == "__main__":
    main()
