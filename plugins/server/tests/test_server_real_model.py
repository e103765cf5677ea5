"""The README's session, for real: `agentcore keys create`, `agentcore serve` as a process on
the embedded 0.5B model, a run started, streamed to its end and rated over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from server_testkit import free_port, read_events

pytestmark = pytest.mark.slow

CONFIG = """
[server]
port = {port}
workers = 1
keys_file = "{keys}"

[agents.wiki]
kind = "react"
model = "qwen2.5-coder-0.5b"
max_steps = 5
generation = {{ max_new_tokens = 160 }}
"""
QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


def test_the_readme_session_on_the_real_model(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    port, keys = free_port(), tmp_path / "keys.sqlite3"
    config = tmp_path / "serve.toml"
    config.write_text(CONFIG.format(port=port, keys=keys), encoding="utf-8")
    env = {
        **os.environ,
        "AGENTCORE_STORE": str(tmp_path / "runs.duckdb"),
        "AGENTCORE_CONFIG": "off",
    }
    agentcore = [sys.executable, "-m", "agentcore.cli"]
    made = subprocess.run(
        [*agentcore, "keys", "create", "alice", "--keys-file", str(keys)],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    token = made.stdout.strip()
    server = subprocess.Popen(
        [*agentcore, "serve", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=auth, timeout=600) as client:
            assert (
                client.get("/v1/runs", headers={"Authorization": "Bearer nope"}).status_code == 401
            )
            started = client.post("/v1/runs", json={"agent": "wiki", "input": QUESTION})
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]
            with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
                events = read_events(response)
            kinds = [e["event"] for e in events]
            assert kinds[0] == "queued" and kinds[-1] == "end" and "step" in kinds
            assert events[1]["data"]["model"].startswith("qwen2.5-coder-0.5b")
            assert "token" in kinds
            run = client.get(f"/v1/runs/{run_id}").json()
            assert run["status"] in ("finished", "max_steps")
            assert run["steps"] and run["steps"][0]["action"]["tool"] == "search"
            assert run["steps"][0]["usage"]["prompt_tokens"] > 0
            rated = client.post(f"/v1/runs/{run_id}/feedback", json={"rating": "good"})
            assert rated.status_code == 201
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert server.returncode in (0, -15), output
    assert f"POST /v1/runs 202 key={token.split('_')[1]}" in output  # logged by key id...
    assert token not in output  # ...never the key
    # the run store recorded the served run like any other
    shown = subprocess.run(
        [*agentcore, "runs", "show", run_id, "--json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert QUESTION in shown.stdout
