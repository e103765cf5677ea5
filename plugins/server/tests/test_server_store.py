"""Served runs live in the run store: they outlast the process, and a crash marks them lost."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from server_testkit import Gate, Script, read_events, wait_for

from agentcore.plugin import open_run_store

HERE = Path(__file__).resolve().parent


def test_a_run_is_in_the_store_while_it_runs_and_after_a_restart(serve, tmp_path) -> None:
    gate = Gate()
    with serve(Script(gate=gate), replica="api-1") as served, served.client() as client:
        run_id = client.post("/v1/runs", json={"agent": "wiki", "input": "first?"}).json()["run_id"]
        assert gate.reached.wait(10)
        stored = served.registry.store.get_run(run_id)
        assert stored is not None and stored.status == "running" and len(stored.steps) == 1
        gate.opened.set()
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        rated = client.post(f"/v1/runs/{run_id}/feedback", json={"rating": "good"})
        assert rated.status_code == 201
    with serve(replica="api-1") as served, served.client() as client:  # a new process's view
        assert served.registry.live(run_id) is None
        run = client.get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "finished" and run["answer"] == "Arthur's Magazine"
        assert [s["action"]["tool"] for s in run["steps"]] == ["search", "finish"]
        assert [f["rating"] for f in run["feedback"]] == ["good"]
        listed = client.get("/v1/runs").json()
        assert listed["total"] == 1 and listed["runs"][0]["feedback"] == "good"
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            events = read_events(response)
        assert [e["event"] for e in events] == ["queued", "started", "step", "step", "end"]
        assert events[-1]["data"]["answer"] == "Arthur's Magazine"
        assert run["last_event_id"] == len(events)
        with client.stream(
            "GET", f"/v1/runs/{run_id}/events", headers={"Last-Event-ID": "3"}
        ) as response:
            assert [e["event"] for e in read_events(response)] == ["step", "end"]
        again = client.post("/v1/runs", json={"agent": "wiki", "input": "x", "run_id": run_id})
        assert again.status_code == 409  # an id from before the restart is still taken


def test_runs_a_killed_server_left_active_are_marked_lost_on_restart(serve, tmp_path) -> None:
    crashing = subprocess.Popen(
        [sys.executable, str(HERE / "crashing_server.py"), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = crashing.stdout.readline()  # type: ignore[union-attr]
        assert line, crashing.stderr.read()  # type: ignore[union-attr]
        running, queued = line.split()
    finally:
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(timeout=30)
    before = open_run_store(str(tmp_path / "served-runs.duckdb"))
    try:
        assert before.get_run(running).status == "running"  # type: ignore[union-attr]
        assert before.get_run(queued).status == "queued"  # type: ignore[union-attr]
    finally:
        before.close()
    with serve(replica="api-1") as served, served.client() as client:
        for run_id in (running, queued):
            run = client.get(f"/v1/runs/{run_id}").json()
            assert run["status"] == "lost", run
            assert run["error"] == "the server stopped while the run was active"
            assert run["ended_at"] is not None
        assert len(client.get(f"/v1/runs/{running}").json()["steps"]) == 1  # what it had done
        assert client.get("/v1/runs", params={"status": "lost"}).json()["total"] == 2
        with client.stream("GET", f"/v1/runs/{queued}/events") as response:
            assert [e["event"] for e in read_events(response)] == ["queued", "end"]


def test_another_replicas_active_runs_are_left_alone(serve, tmp_path) -> None:
    from agentcore.run_store_tests import a_run

    store = open_run_store(str(tmp_path / "served-runs.duckdb"))
    store.save_run(a_run("elsewhere-1", agent="wiki", status="running", replica="api-2"))
    store.close()
    with serve(replica="api-1") as served, served.client() as client:
        run = client.get("/v1/runs/elsewhere-1").json()
        assert run["status"] == "running"
        cancel = client.post("/v1/runs/elsewhere-1/cancel")
        assert cancel.status_code == 409 and "replica 'api-2'" in cancel.json()["error"]


def test_store_memory_keeps_runs_for_the_process_only(serve) -> None:
    with serve(store="memory") as served, served.client() as client:
        run_id = client.post("/v1/runs", json={"agent": "wiki", "input": "first?"}).json()["run_id"]
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        assert client.get("/v1/runs").json()["total"] == 1
