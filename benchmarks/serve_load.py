"""`agentcore serve` under load on loopback: none lost, none twice, how long, how many per second.

Part 1 — the server's own overhead: N runs (default 200) from C concurrent clients (default 50)
on the scripted backend (no model), each client starting a run, streaming its events to the
end and reading it back. Every run must end ``finished`` with its own answer, exactly once;
the table gives the start → end latency (p50/p99) and runs per second, beside the same runs
done in-process without HTTP, so the cost of the API itself is plain.

Each part's server keeps its runs in a run store: part 1 runs once per store (``--stores``,
default a DuckDB file and a throwaway PostgreSQL cluster where its binaries are installed), and
counts the runs the store holds at the end, each with its own answer.

Part 2 — the real model (``--model``, default the fast 0.5B): 8 concurrent clients, 2 workers at
``n_threads=1`` each (2 cores), against one run alone: queueing shows in the latency, errors
must be none, and generated tokens per second are compared.

    .venv/bin/python benchmarks/serve_load.py                  # both parts
    .venv/bin/python benchmarks/serve_load.py --skip-model     # the scripted part only

Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from agentcore.plugin import RunQuery

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "server" / "tests"))

from server_testkit import Script, serving  # noqa: E402

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


def one_client_run(url: str, text: str) -> dict[str, Any]:
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=900) as client:
        while True:
            answer = client.post("/v1/runs", json={"agent": "wiki", "input": text})
            if answer.status_code != 429:
                break
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        answer.raise_for_status()
        run_id = answer.json()["run_id"]
        end = None
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            for line in response.iter_lines():
                if line.startswith("event: end"):
                    end = True
                elif end and line.startswith("data:"):
                    break
        run = client.get(f"/v1/runs/{run_id}").json()
    tokens = sum(s["usage"]["completion_tokens"] for s in run["steps"])
    return {
        "run_id": run_id,
        "input": text,
        "status": run["status"],
        "answer": run["answer"],
        "latency_s": time.perf_counter() - started,
        "tokens": tokens,
        "error": run["error"],
    }


def load(url: str, texts: list[str], clients: int) -> tuple[list[dict[str, Any]], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda t: one_client_run(url, t), texts))
    return results, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class EchoScript(Script):
    """Each run's "model" answers with the run's own question: a mixed-up run shows."""

    def build(self, spec: Any, **shared: Any) -> Any:
        agent = super().build(spec, **shared)
        agent.backend.responder = lambda prompt: (
            " I know.\nAction 1: finish["
            + prompt.rsplit("Question: ", 1)[-1].split("\n", 1)[0]
            + "]"
        )
        return agent


@contextmanager
def store_location(kind: str, tmp: Path) -> Iterator[str]:
    """Where the server keeps its runs: a DuckDB file, or a throwaway PostgreSQL cluster."""
    if kind == "duckdb":
        yield str(tmp / "served-runs.duckdb")
        return
    from agentcore_postgres.testing import throwaway_cluster

    with throwaway_cluster() as url:
        yield url


def scripted_part(runs: int, clients: int, stores: list[str]) -> None:
    texts = [f"question number {n}" for n in range(runs)]
    print(f"## {runs} runs from {clients} concurrent clients, scripted backend, 4 workers\n")
    print("| | store | runs | lost or failed | duplicated | wrong answer | in the store | "
          "p50 | p99 | runs/s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    inproc = 0.0
    for kind in stores:
        script = EchoScript()
        with (
            tempfile.TemporaryDirectory() as tmp,
            store_location(kind, Path(tmp)) as store,
            serving(
                Path(tmp), script, workers=4, queue_size=runs, rate_per_minute=10**6, store=store
            ) as served,
        ):
            results, wall = load(served.url, texts, clients)
            stored, total = served.registry.store.list_runs(RunQuery(limit=10_000))
            in_store = sum(
                1 for run in stored if run.status == "finished" and run.answer == run.input
            )
            if not inproc:
                agent = script.build(served.config.agents["wiki"])  # the same work, no HTTP
                t0 = time.perf_counter()
                for text in texts:
                    agent.run(text)
                inproc = time.perf_counter() - t0
        ids = [r["run_id"] for r in results]
        lost = [r for r in results if r["status"] != "finished"]
        wrong = [r for r in results if r["answer"] != r["input"]]
        latencies = [r["latency_s"] for r in results]
        print(
            f"| over HTTP + SSE | {kind} | {len(results)} | {len(lost)} | "
            f"{len(ids) - len(set(ids))} | {len(wrong)} | {in_store} of {total} | "
            f"{percentile(latencies, 0.5) * 1000:.0f} ms | "
            f"{percentile(latencies, 0.99) * 1000:.0f} ms | {len(results) / wall:.1f} |"
        )
    print(
        f"| in-process, one thread | – | {runs} | – | – | – | – | "
        f"{inproc / runs * 1000:.1f} ms | – | {runs / inproc:.1f} |\n"
    )


def model_part(model: str, clients: int) -> None:
    import uvicorn
    from agentcore_server.app import create_app
    from agentcore_server.config import ServerConfig
    from agentcore_server.workers import WorkerPool
    from server_testkit import free_port

    rows = []
    for label, workers, n in (("one run alone", 1, 1), (f"{clients} clients", 2, clients)):
        threads = 2 if workers == 1 else 1
        spec = {"kind": "react", "model": model, "max_steps": 4,
                "backend_options": {"n_threads": threads}}  # fmt: skip
        tmp = tempfile.mkdtemp(prefix="serve-load-")
        config = ServerConfig(
            server={"port": free_port(), "workers": workers, "queue_size": 64,
                    "store": str(Path(tmp) / "served-runs.duckdb")},
            agents={"wiki": spec},
        )  # fmt: skip
        pool = WorkerPool(
            config.agents, workers=workers, queue_size=64, build=lambda s, **o: s.build(**o)
        )
        app = create_app(config, keys=None, pool=pool)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=config.server.port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{config.server.port}"
        try:
            load(url, [QUESTION] * workers, workers)  # warm-up: each worker loads its model
            results, wall = load(url, [QUESTION] * n, n)
        finally:
            server.should_exit = True
            thread.join(timeout=120)
        errors = [r for r in results if r["status"] not in ("finished", "max_steps")]
        tokens = sum(r["tokens"] for r in results)
        latencies = [r["latency_s"] for r in results]
        rows.append(
            f"| {label} | {workers} × n_threads={threads} | {len(results)} | {len(errors)} | "
            f"{percentile(latencies, 0.5):.1f} s | {max(latencies):.1f} s | "
            f"{tokens / wall:.1f} |"
        )
    print(f"## The real model ({model}), ReAct on the offline corpus\n")
    print("| | workers | runs | errors | p50 latency | slowest | generated tokens/s |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--model-clients", type=int, default=8)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument(
        "--stores", default="duckdb,postgresql", help="run stores to compare (comma-separated)"
    )
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if "postgresql" in stores:
        from agentcore_postgres.testing import postgres_binaries

        if postgres_binaries()[0] is None:
            print(f"(skipping postgresql: {postgres_binaries()[1]})\n")
            stores.remove("postgresql")
    scripted_part(args.runs, args.clients, stores)
    if not args.skip_model:
        model_part(args.model, args.model_clients)


if __name__ == "__main__":
    main()
