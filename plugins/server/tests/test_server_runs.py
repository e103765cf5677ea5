"""Runs over HTTP: started at once, followed as SSE, resumed, cancelled, rated, bounded."""

from __future__ import annotations

import httpx
from server_testkit import Gate, Script, read_events, wait_for

from agentcore.plugin import open_run_store


def start(client: httpx.Client, text: str = "Which magazine was started first?", **extra):
    return client.post("/v1/runs", json={"agent": "wiki", "input": text, **extra})


def test_a_run_starts_at_once_and_streams_every_event_to_its_end(serve) -> None:
    with serve() as served, served.client() as client:
        started = start(client)
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        assert started.json()["status"] in ("queued", "running", "finished")
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = read_events(response)
        kinds = [e["event"] for e in events]
        assert kinds[:2] == ["queued", "started"] and kinds[-1] == "end"
        assert kinds.count("step") == 2 and "token" in kinds
        assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["data"] == {
            "status": "finished",
            "answer": "Arthur's Magazine",
            "error": None,
        }
        tokens = "".join(e["data"]["text"] for e in events if e["event"] == "token")
        assert "I look it up." in tokens and "finish[Arthur's Magazine]" in tokens

        run = client.get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "finished" and run["answer"] == "Arthur's Magazine"
        assert [s["action"]["tool"] for s in run["steps"]] == ["search", "finish"]
        assert run["steps"][0]["observation"].startswith("Arthur's Magazine (1844")
        assert run["last_event_id"] == len(events)


def test_last_event_id_resumes_with_exactly_the_events_that_followed(serve) -> None:
    with serve() as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            first = read_events(response, stop_after=3)
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        resume = {"Last-Event-ID": first[-1]["id"]}
        with client.stream("GET", f"/v1/runs/{run_id}/events", headers=resume) as response:
            rest = read_events(response)
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            whole = read_events(response)
        assert [e["id"] for e in first + rest] == [e["id"] for e in whole]
        assert first + rest == whole


def test_a_client_that_disconnects_does_not_stop_the_run(serve) -> None:
    gate = Gate()
    with serve(Script(gate=gate)) as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            read_events(response, stop_after=2)  # queued, started; then hang up
        assert gate.reached.wait(10)
        gate.opened.set()
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        assert client.get(f"/v1/runs/{run_id}").json()["answer"] == "Arthur's Magazine"


def test_cancel_ends_a_running_run_with_its_trace(serve) -> None:
    gate = Gate()
    with serve(Script(gate=gate)) as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        assert gate.reached.wait(10)  # step 1 done, the model is writing step 2
        cancelled = client.post(f"/v1/runs/{run_id}/cancel")
        assert cancelled.status_code == 202
        gate.opened.set()
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "cancelled")
        run = client.get(f"/v1/runs/{run_id}").json()
        assert run["steps"][0]["action"]["tool"] == "search"  # the trace up to the cancel
        assert run["ended_at"] is not None


def test_a_full_queue_is_429_with_retry_after_and_nothing_is_lost(serve) -> None:
    gate = Gate()
    with serve(Script(gate=gate), workers=1, queue_size=1) as served, served.client() as client:
        running = start(client).json()["run_id"]
        assert gate.reached.wait(10)
        queued = start(client).json()["run_id"]
        refused = start(client)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "queue is full" in refused.json()["error"]
        assert client.get("/v1/health").json()["queued"] == 1
        gate.opened.set()
        for run_id in (running, queued):
            wait_for(lambda r=run_id: client.get(f"/v1/runs/{r}").json()["status"] == "finished")
        listed = client.get("/v1/runs").json()
        assert {r["run_id"] for r in listed["runs"]} == {running, queued}  # the refused one: no run


def test_a_run_past_the_wall_time_limit_is_cancelled_and_says_why(serve) -> None:
    gate = Gate()
    with serve(Script(gate=gate), max_wall_s=0.5) as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        assert gate.reached.wait(10)
        wait_for(lambda: served.pool.stats()["busy"] == 1)
        import time

        time.sleep(0.8)  # past the limit while the model "writes"
        gate.opened.set()
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "cancelled")
        run = client.get(f"/v1/runs/{run_id}").json()
        assert "past the server's 0.5 s limit" in " ".join(run["notes"])


def test_each_worker_has_its_own_agent(serve) -> None:
    gates = Gate()
    script = Script(gate=gates)
    with serve(script, workers=2) as served, served.client() as client:
        first = start(client).json()["run_id"]
        assert gates.reached.wait(10)
        second = start(client).json()["run_id"]
        wait_for(lambda: len(script.backends) == 2)  # the second worker built its own
        gates.opened.set()
        for run_id in (first, second):
            wait_for(lambda r=run_id: client.get(f"/v1/runs/{r}").json()["status"] == "finished")
        assert script.backends[0] is not script.backends[1]
        assert all(len(b.prompts) == 2 for b in script.backends)  # one run each


def test_list_filters_and_pages(serve) -> None:
    with serve() as served, served.client() as client:
        ids = [start(client, f"question {n}").json()["run_id"] for n in range(5)]
        for run_id in ids:
            wait_for(lambda r=run_id: client.get(f"/v1/runs/{r}").json()["status"] == "finished")
        page = client.get("/v1/runs", params={"limit": 2}).json()
        assert page["total"] == 5 and page["next_offset"] == 2
        assert [r["run_id"] for r in page["runs"]] == ids[::-1][:2]  # newest first
        last = client.get("/v1/runs", params={"limit": 2, "offset": 4}).json()
        assert last["next_offset"] is None and len(last["runs"]) == 1
        assert client.get("/v1/runs", params={"status": "cancelled"}).json()["total"] == 0
        assert client.get("/v1/runs", params={"agent": "wiki"}).json()["total"] == 5


def test_feedback_on_an_ended_run(serve) -> None:
    with serve() as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        given = client.post(f"/v1/runs/{run_id}/feedback", json={"rating": "good", "note": "right"})
        assert given.status_code == 201
        run = client.get(f"/v1/runs/{run_id}").json()
        assert [(f["rating"], f["note"]) for f in run["feedback"]] == [("good", "right")]
        assert client.get("/v1/runs").json()["runs"][0]["feedback"] == "good"
        bad = client.post(f"/v1/runs/{run_id}/feedback", json={"rating": "meh"})
        assert bad.status_code == 422 and "rating" in bad.json()["error"]


def test_shutdown_ends_every_run(serve) -> None:
    gate = Gate()
    with (
        serve(Script(gate=gate), workers=1, shutdown_grace_s=0.2) as served,
        served.client() as client,
    ):
        running = start(client).json()["run_id"]
        assert gate.reached.wait(10)
        queued = start(client).json()["run_id"]
    # the server stopped: the running run was cancelled, the queued one never started
    assert served.pool.stats()["busy"] == 0
    runs = {run_id: served.registry.live(run_id) for run_id in (running, queued)}
    assert runs[running].status == "cancelled"
    assert runs[queued].status == "cancelled"
    assert runs[queued].error == "the server stopped before it started"
    store = open_run_store(served.config.server.store)  # the ends were stored before it closed
    try:
        assert [store.get_run(r).status for r in (running, queued)] == ["cancelled"] * 2
    finally:
        store.close()


CHAT = {
    "wiki": {"kind": "react", "backend": "scripted"},
    "helper": {"kind": "chat", "backend": "scripted"},
}


def test_a_conversation_takes_turns_on_any_worker_and_remembers(serve) -> None:
    """Two workers, so the turns land on different agent instances: the conversation and its
    tool state are shared, so the second turn's prompt holds the first turn."""
    script = Script(
        completions=(
            " I look it up.\nAction: search[Arthur's Magazine]",
            " I tell them.\nAction: respond[It started in 1844.]",
        )
    )
    with serve(script, workers=2, agents=CHAT) as served, served.client() as client:
        opened = client.post("/v1/conversations", json={"agent": "helper"})
        assert opened.status_code == 201, opened.text
        conversation = opened.json()["conversation_id"]
        path = f"/v1/conversations/{conversation}"
        first = client.post(f"{path}/messages", json={"text": "When did Arthur's start?"})
        assert first.status_code == 202
        assert first.json()["conversation_id"] == conversation
        busy = client.post(f"{path}/messages", json={"text": "And?"})
        if busy.status_code == 409:  # the first reply was not written yet
            assert "still replying" in busy.json()["error"]
        wait_for(lambda: not client.get(path).json()["busy"])
        second = client.post(f"{path}/messages", json={"text": "Are you sure?"})
        assert second.status_code == 202, second.text
        wait_for(lambda: not client.get(path).json()["busy"])
        view = client.get(path).json()
        assert [(m["role"], m["text"]) for m in view["messages"]][:2] == [
            ("user", "When did Arthur's start?"),
            ("agent", "It started in 1844."),
        ]
        last_run = client.get(f"/v1/runs/{second.json()['run_id']}").json()
        assert last_run["status"] == "finished"
        prompts = [p for b in script.backends for p in b.prompts]
        assert any("When did Arthur's start?" in p and "Are you sure?" in p for p in prompts)


def test_runs_and_conversations_keep_to_their_kind(serve) -> None:
    with serve(agents=CHAT) as served, served.client() as client:
        chat_run = client.post("/v1/runs", json={"agent": "helper", "input": "hi"})
        assert chat_run.status_code == 422 and "/v1/conversations" in chat_run.json()["error"]
        react_chat = client.post("/v1/conversations", json={"agent": "wiki"})
        assert react_chat.status_code == 422 and "/v1/runs" in react_chat.json()["error"]
        assert client.get("/v1/conversations/nope").status_code == 404


def test_served_runs_and_their_feedback_are_in_the_run_store(serve, tmp_path, monkeypatch):
    import duckdb

    from agentcore.plugins import reset_plugin_manager

    store = tmp_path / "runs.duckdb"
    monkeypatch.setenv("AGENTCORE_STORE", str(store))
    reset_plugin_manager()  # the server's rating goes through the process's plugin manager
    script = Script(plugins=frozenset({"scripted", "store"}))
    with serve(script) as served, served.client() as client:
        run_id = start(client).json()["run_id"]
        wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")
        rated = client.post(f"/v1/runs/{run_id}/feedback", json={"rating": "bad", "note": "slow"})
        assert rated.status_code == 201
    reset_plugin_manager()
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute(
            "SELECT status, answer FROM runs WHERE run_id = ?", [run_id]
        ).fetchall() == [("finished", "Arthur's Magazine")]
        assert con.execute(
            "SELECT rating, note FROM feedback WHERE run_id = ?", [run_id]
        ).fetchall() == [("bad", "slow")]
    finally:
        con.close()
