"""What resuming a durable run costs, against running it again from scratch.

One ReAct run on the embedded model (greedy, search/lookup on the offline Wikipedia, up to
``--max-steps`` steps), three ways, each on a freshly loaded model (as a new process would
have; load time is not counted):

* **from scratch** — the whole run;
* **resume, prompt re-evaluated** — the run was cancelled after ``--stop-after`` steps (its
  checkpoint committed to a DuckDB run store); a new agent resumes it: the first resumed call
  evaluates the whole transcript so far, later calls only their new tokens;
* **resume, saved KV state** — the same, but the stopped run kept its KV cache
  (``keep_kv=True``): the resume loads it and evaluates only the new tokens.

Columns: prompt tokens the backend evaluated, tokens generated, model-call seconds and wall
seconds of the part that ran, and whether its steps match the uninterrupted run's.

Run: .venv/bin/python benchmarks/resume_cost.py [--model NAME] [--max-steps 6] [--stop-after 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from agentcore.models import RunResult
from agentcore.plugin import cache_dir, create_provider
from agentcore.react import ReActAgent

#: A question the 1.5B model does not settle within 6 steps (HotpotQA dev, first 100).
QUESTION = (
    "Which Company published a magazine that was a hybrid video game/film, Red Herring or GameFan?"
)


def agent(args: argparse.Namespace, store, **options) -> ReActAgent:
    return ReActAgent(
        "llama-cpp",
        model=args.model,
        backend_options={"n_threads": args.threads},
        tools=["search", "lookup"],
        max_steps=args.max_steps,
        checkpoints=store,
        **options,
    )


def stopped_run(args: argparse.Namespace, store, keep_kv: bool) -> tuple[str, float, int]:
    """Run until ``--stop-after`` steps, then cancel; the run id, wall, KV file bytes."""
    made = agent(args, store, keep_kv=keep_kv)
    started = time.perf_counter()
    stream = made.stream(QUESTION)
    for step in stream:
        if step.index >= args.stop_after:
            stream.cancel()
    wall = time.perf_counter() - started
    result = stream.result
    assert result.status.value == "cancelled", result.status
    kv = cache_dir() / "kv" / f"{result.run_id}.kv"  # what keep_kv wrote, if it did
    made.backend.close()
    return result.run_id, wall, kv.stat().st_size if kv.exists() else 0


def resumed(args: argparse.Namespace, store, run_id: str, keep_kv: bool):
    made = agent(args, store, keep_kv=keep_kv)
    started = time.perf_counter()
    result = made.resume(run_id)
    wall = time.perf_counter() - started
    made.backend.close()
    return result, wall


def part(result: RunResult, first: int) -> dict[str, float]:
    steps = [s for s in result.steps if s.index >= first]
    return {
        "evaluated": sum(s.usage.prompt_tokens_evaluated for s in steps),
        "generated": sum(s.usage.completion_tokens for s in steps),
        "llm_s": sum(s.llm_s for s in steps),
        "steps": len(steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model name (default: agentcore's)")
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--stop-after", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = create_provider("run_store", "duckdb", path=Path(folder) / "runs.duckdb")
        scratch_agent = agent(args, store)
        started = time.perf_counter()
        scratch = scratch_agent.run(QUESTION)
        scratch_wall = time.perf_counter() - started
        scratch_agent.backend.close()

        plain_id, plain_stop_wall, _ = stopped_run(args, store, keep_kv=False)
        kv_id, kv_stop_wall, kv_bytes = stopped_run(args, store, keep_kv=True)
        plain, plain_wall = resumed(args, store, plain_id, keep_kv=False)
        with_kv, kv_wall = resumed(args, store, kv_id, keep_kv=True)

    later = args.stop_after + 1
    rows = [
        ("from scratch (whole run)", part(scratch, 1), scratch_wall, scratch),
        (f"from scratch, steps ≥ {later} only", part(scratch, later), None, scratch),
        ("resume, prompt re-evaluated", part(plain, later), plain_wall, plain),
        ("resume, saved KV state", part(with_kv, later), kv_wall, with_kv),
    ]
    print(
        f"model {scratch.model}; {len(scratch.steps)} steps in the whole run "
        f"({scratch.status.value}); stopped after step {args.stop_after}\n"
    )
    print(f"{'':34} {'evaluated':>9} {'generated':>9} {'llm s':>7} {'wall s':>7}  same steps")
    for name, figures, wall, result in rows:
        same = [s.completion for s in result.steps] == [s.completion for s in scratch.steps]
        shown_wall = f"{wall:7.1f}" if wall is not None else "      -"
        print(
            f"{name:34} {figures['evaluated']:9d} {figures['generated']:9d} "
            f"{figures['llm_s']:7.1f} {shown_wall}  {'yes' if same else 'no'}"
        )
    print(
        f"\nstopping the run: {plain_stop_wall:.1f} s; with the KV state saved: "
        f"{kv_stop_wall:.1f} s ({kv_bytes / 1e6:.1f} MB file)"
    )
    for name, result in (("re-evaluated", plain), ("saved KV", with_kv)):
        print(f"resume notes ({name}): {[n for n in result.notes if 'KV' in n] or '-'}")


if __name__ == "__main__":
    main()
