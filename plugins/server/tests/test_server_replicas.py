"""Two server replicas on one PostgreSQL store: each reads, lists, rates and follows the
other's runs and takes the next turn of the other's conversation (a real server, started
in a temporary directory for this module and stopped after it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_testkit import Gate, Script, read_events, wait_for

pytest.importorskip("agentcore_postgres", reason="the postgres plugin is not installed")
from agentcore_postgres.testing import create_database, postgres_binaries, throwaway_cluster


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    bindir, why = postgres_binaries()
    if bindir is None:
        pytest.skip(why)
    with throwaway_cluster() as url:
        yield create_database(url, prefix="served")


def test_two_replicas_share_runs_feedback_and_events(serve, database) -> None:
    gate = Gate()
    with (
        serve(Script(gate=gate), store=database, replica="api-1") as one,
        serve(store=database, replica="api-2") as two,
        one.client() as a,
        two.client() as b,
    ):
        run_id = a.post("/v1/runs", json={"agent": "wiki", "input": "first?"}).json()["run_id"]
        assert gate.reached.wait(10)
        seen = b.get(f"/v1/runs/{run_id}").json()
        assert seen["status"] == "running" and len(seen["steps"]) == 1
        with b.stream("GET", f"/v1/runs/{run_id}/events") as response:
            gate.opened.set()  # replica 2 follows replica 1's run from the store to its end
            events = read_events(response)
        assert [e["event"] for e in events] == ["queued", "started", "step", "step", "end"]
        assert events[-1]["data"]["answer"] == "Arthur's Magazine"
        assert b.get("/v1/runs").json()["runs"][0]["run_id"] == run_id
        rated = b.post(f"/v1/runs/{run_id}/feedback", json={"rating": "bad", "note": "slow"})
        assert rated.status_code == 201
        run = a.get(f"/v1/runs/{run_id}").json()
        assert [(f["rating"], f["note"]) for f in run["feedback"]] == [("bad", "slow")]
        assert a.get("/v1/runs").json()["runs"][0]["feedback"] == "bad"


CHAT = {"helper": {"kind": "chat", "backend": "scripted"}}


def test_a_conversation_goes_on_at_another_replica_with_its_memory(serve, database) -> None:
    script = Script(completions=(" I tell them.\nAction: respond[It started in 1844.]",))
    with (
        serve(script, store=database, replica="api-1", agents=CHAT) as one,
        serve(script, store=database, replica="api-2", agents=CHAT) as two,
        one.client() as a,
        two.client() as b,
    ):
        conversation = a.post("/v1/conversations", json={"agent": "helper"}).json()
        path = f"/v1/conversations/{conversation['conversation_id']}"
        assert a.post(f"{path}/messages", json={"text": "When did Arthur's start?"}).is_success
        wait_for(lambda: not b.get(path).json()["busy"])
        second = b.post(f"{path}/messages", json={"text": "Are you sure?"})
        assert second.status_code == 202, second.text
        wait_for(lambda: not a.get(path).json()["busy"])
        view = a.get(path).json()
        assert [(m["role"], m["text"]) for m in view["messages"]] == [
            ("user", "When did Arthur's start?"),
            ("agent", "It started in 1844."),
            ("user", "Are you sure?"),
            ("agent", "It started in 1844."),
        ]
        # the second turn ran on replica 2 and its prompt held the first turn (from the store)
        prompts = [p for backend in script.backends for p in backend.prompts]
        assert any("When did Arthur's start?" in p and "Are you sure?" in p for p in prompts)
