"""Running an eval's items: here in worker threads, or on a Dask cluster.

Every path ends in the same place: each finished item is scored where it ran and handed to
the one :class:`~agentcore_eval.results.ResultsFile` of this process, which writes it once.

* ``workers=N`` (no cluster): N threads, each with its own agent — in-process llama.cpp must
  never serve two runs at once, so each thread loads its own model.
* ``cluster="local:N"``: a ``distributed.LocalCluster`` of N worker *processes* (one thread
  each, so N models, each on its share of the cores) — or ``tcp://host:8786`` for a running
  scheduler. Each item is one task; a worker builds its agent on first use and keeps it.
  A worker that dies has its items rescheduled on the others (Dask's own bookkeeping,
  ``retries`` on top for items whose worker died while running them); an item that finishes
  twice (a worker lost after its result was sent) is written once, by its id.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from agentcore.plugin import AgentSpec, ConfigError, create_provider, get_plugin_manager
from agentcore_eval.datasets import EvalItem
from agentcore_eval.results import ItemResult, ResultsFile, item_result

Progress = Callable[[ItemResult], None]
log = logging.getLogger("agentcore.eval")
#: An item's task is retried this often on another worker when its worker dies.
TASK_RETRIES = 3

_agents: dict[str, Any] = {}  # this process's agents, by spec: a Dask worker keeps its own
_agents_lock = threading.Lock()


def run_item(spec_json: str, metric: str, item: dict[str, Any], seed: int | None) -> dict:
    """Run and score one item (in a thread here, or in a Dask worker process)."""
    with _agents_lock:
        agent = _agents.get(spec_json)
        if agent is None:
            agent = _agents[spec_json] = AgentSpec.model_validate_json(spec_json).build()
    return _score(agent, metric, EvalItem(**item), seed).model_dump()


def _score(agent: Any, metric_name: str, item: EvalItem, seed: int | None) -> ItemResult:
    if seed is not None:
        agent.generation = agent.generation.model_copy(update={"seed": seed})
    result = agent.run(item.input)
    metric = create_provider("metric", metric_name)
    scores = metric.item(result.answer, item.reference)
    scored = item_result(item.id, item.reference, result, scores, metric.primary)
    scored.worker = _worker_name()
    return scored


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{os.getpid()}/{threading.current_thread().name}"


def evaluate(
    spec: AgentSpec,
    metric: str,
    items: list[EvalItem],
    results: ResultsFile,
    *,
    workers: int = 1,
    cluster: str | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Run every item not already in ``results``; each result is written as it comes."""
    todo = [item for item in items if item.id not in results.done]
    if not todo:
        return
    create_provider("metric", metric)  # an unknown metric fails before any model loads
    spec_json = spec.model_dump_json(exclude_unset=True)  # a kind's own fields only
    report = _announcing(results, progress or (lambda result: None))
    if cluster:
        _on_dask(cluster, spec_json, metric, todo, results, seed, report)
    else:
        _in_threads(spec_json, metric, todo, results, seed, report, workers)


def _announcing(results: ResultsFile, progress: Progress) -> Progress:
    """``progress``, after telling the plugins (``on_eval_result``) of each item written."""
    pm = get_plugin_manager()
    header = results.header

    def report(result: ItemResult) -> None:
        for failure in pm.emit(
            "on_eval_result", eval_id=results.eval_id, dataset=header.dataset,
            metric=header.metric, result=result.model_dump(mode="json"),
        ):  # fmt: skip
            log.warning("eval item %s not recorded by %s: %s", result.id, failure.name,
                        failure.error)  # fmt: skip
        progress(result)

    return report


def _in_threads(spec_json, metric, todo, results, seed, report, workers) -> None:
    pending: queue.Queue[EvalItem] = queue.Queue()
    for item in todo:
        pending.put(item)
    failures: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        agent = AgentSpec.model_validate_json(spec_json).build()  # one model per thread
        while not stop.is_set():
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            try:
                scored = _score(agent, metric, item, seed)
            except BaseException as exc:  # an engine fault: stop the eval, keep what is written
                failures.append(exc)
                stop.set()
                return
            if results.add(scored):
                report(scored)

    if workers <= 1:
        work()
    else:
        threads = [
            threading.Thread(target=work, name=f"eval-{n}", daemon=True) for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=0.5)
        except KeyboardInterrupt:
            stop.set()
            raise
    if failures:
        raise failures[0]


def _on_dask(cluster, spec_json, metric, todo, results, seed, report) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError("--cluster needs dask.distributed: pip install 'distributed'") from None
    local, client = None, None
    try:
        local, client = _connect(cluster, Client)
        futures = [
            client.submit(
                run_item, spec_json, metric, item.model_dump(), seed,
                key=f"agentcore-eval-{item.id}-{os.getpid()}-{time.monotonic_ns()}",
                retries=TASK_RETRIES, pure=False,
            )
            for item in todo
        ]  # fmt: skip
        for future in as_completed(futures):
            scored = ItemResult.model_validate(future.result())
            if results.add(scored):
                report(scored)
    finally:
        if client is not None:
            client.close()
        if local is not None:
            local.close()


def _connect(cluster: str, client_class: type) -> tuple[Any, Any]:
    if cluster.startswith("local:"):
        from distributed import LocalCluster

        count = cluster.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"--cluster {cluster!r}: give local:N with N ≥ 1 worker processes")
        local = LocalCluster(
            n_workers=int(count),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # the scheduler, the workers and their HTTP on loopback only,
            dashboard_address="127.0.0.1:0",  # on a free port
            silence_logs=40,  # logging.ERROR: a restarted worker is reported by the eval
        )
        return local, client_class(local)
    if cluster.startswith(("tcp://", "tls://")):
        try:
            return None, client_class(cluster, timeout=30)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None
    raise ConfigError(
        f"--cluster {cluster!r}: give local:N (N worker processes here) or tcp://HOST:PORT "
        "(a running dask scheduler)"
    )


def split_cores(spec: AgentSpec, processes: int, cores: int | None = None) -> AgentSpec:
    """``spec`` with in-process models on ``processes`` workers sharing the cores evenly
    (``n_threads`` unless the user set it): 2 workers on 2 cores run 1 thread each."""
    if spec.backend != "llama-cpp" or "n_threads" in spec.backend_options:
        return spec
    share = max(1, (cores or os.cpu_count() or 1) // max(processes, 1))
    return spec.model_copy(update={"backend_options": {**spec.backend_options, "n_threads": share}})


def take(items: Iterable[EvalItem], offset: int, n: int | None) -> list[EvalItem]:
    items = list(items)[offset:]
    return items if n is None else items[:n]
