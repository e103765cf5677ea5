"""Several agentcore processes share one store file; a killed one leaves its run behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("store_worker.py")
HANG_GUARD_S = 120  # generous: only guards against a hung child, never a timing assertion


def worker(store: Path, *args: str, **options) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTCORE_STORE": str(store)}
    return subprocess.run(
        [sys.executable, str(WORKER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        **options,
    )


def test_two_sequential_processes_both_land(store, sql):
    first = worker(store, "run", "alpha")
    second = worker(store, "run", "beta")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "agentcore-store" not in first.stderr + second.stderr  # no storage warning
    ids = [first.stdout.split()[-1], second.stdout.split()[-1]]
    rows = sql("SELECT run_id, status, answer FROM runs ORDER BY started_at")
    assert rows == [(ids[0], "finished", "alpha"), (ids[1], "finished", "beta")]
    assert sql("SELECT count(*) FROM llm_calls") == [(2,)]


def test_a_killed_process_leaves_a_running_row_shown_as_lost(store, sql):
    died = worker(store, "die")
    assert died.returncode == 9
    [(run_id, status, pid)] = sql("SELECT run_id, status, pid FROM runs")
    assert status == "running"
    assert sql("SELECT count(*) FROM steps") == [(0,)]  # the rest is written only at the end

    from agentcore_store.connection import open_store
    from agentcore_store.queries import list_runs

    with open_store(store, wait_s=5) as con:
        [listed] = list_runs(con, limit=5)
        assert (listed["run_id"], listed["pid"], listed["process_alive"]) == (run_id, pid, False)
        assert [r["run_id"] for r in list_runs(con, limit=5, status="lost")] == [run_id]
        assert list_runs(con, limit=5, status="running") == []  # its process is gone
    # the CLI filter a user types: `agentcore runs --status lost`
    env = {**os.environ, "AGENTCORE_STORE": str(store)}
    shown = subprocess.run(
        [sys.executable, "-m", "agentcore.cli", "runs", "--status", "lost", "--json"],
        env=env, capture_output=True, text=True, timeout=HANG_GUARD_S, check=True,
    )  # fmt: skip
    assert '"run_id": "' + run_id in shown.stdout


@pytest.fixture
def lock_holder(store: Path):
    """Another process holding the store file open (DuckDB's one-writer lock) until released."""
    env = {**os.environ, "AGENTCORE_STORE": str(store)}
    holder = subprocess.Popen(
        [sys.executable, str(WORKER), "hold"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"

    def release() -> None:
        if holder.poll() is None:
            holder.stdin.close()
            holder.wait(timeout=HANG_GUARD_S)

    yield release
    release()


def test_a_run_retries_while_another_process_holds_the_lock(
    lock_holder, run_react, finished_script, sql, monkeypatch, capsys
):
    from agentcore_store import connection

    refusals: list[float] = []

    def sleep_and_release(seconds: float) -> None:
        refusals.append(seconds)
        lock_holder()  # the other process finishes while this one waits
        connection.time.sleep(seconds)

    monkeypatch.setattr(connection, "_sleep", sleep_and_release)
    result = run_react(*finished_script)
    assert refusals, "the store was never found locked"
    assert sql("SELECT status FROM runs WHERE run_id = ?", result.run_id) == [("finished",)]
    assert sql("SELECT count(*) FROM llm_calls WHERE run_id = ?", result.run_id) == [(3,)]
    assert "agentcore-store" not in capsys.readouterr().err


def test_a_store_locked_too_long_warns_once_and_the_run_goes_on(
    lock_holder, run_react, finished_script, sql, monkeypatch, capsys
):
    from agentcore_store import recorder

    monkeypatch.setattr(recorder, "START_WAIT_S", 0.05)
    monkeypatch.setattr(recorder, "END_WAIT_S", 0.05)
    first = run_react(*finished_script)
    second = run_react(*finished_script)
    assert first.answer == second.answer == "Arthur's Magazine"
    err = capsys.readouterr().err
    assert err.count("agentcore-store: could not") == 1
    assert "stayed locked by another process" in err
    lock_holder()
    stored = {row[0] for row in sql("SELECT run_id FROM runs")}
    assert first.run_id not in stored and second.run_id not in stored
