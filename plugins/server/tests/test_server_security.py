"""Keys, scopes, limits and bad requests, tried against the running server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from agentcore_server.keys import KeyStore
from server_testkit import wait_for

RUN = {"agent": "wiki", "input": "Which magazine was started first?"}


def finished(client, run_id: str) -> None:
    wait_for(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "finished")


def test_keys_are_stored_hashed_and_checked(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite3")
    key, token = store.create("ci bot", "run")
    assert token.startswith(f"ak_{key.key_id}_")
    raw = (tmp_path / "keys.sqlite3").read_bytes()
    assert token.encode() not in raw and token.split("_")[-1].encode() not in raw
    (stored,) = sqlite3.connect(tmp_path / "keys.sqlite3").execute("SELECT hash FROM api_keys")
    assert stored[0].startswith("$argon2id$")
    assert store.verify(token) == key
    assert store.verify(token + "x") is None
    assert store.verify(f"ak_{key.key_id}_{'A' * 40}") is None  # the right id, a wrong secret
    assert store.verify("ak_000000000000_" + "A" * 40) is None  # an id that does not exist
    store.revoke(key.key_id)
    assert store.verify(token) is None
    with pytest.raises(Exception, match="already revoked"):
        store.revoke(key.key_id)


def test_requests_need_a_valid_key_once_keys_exist(serve) -> None:
    with serve(keys=True) as served:
        key, token = served.keys.create("alice", "run")
        with served.client() as anonymous:
            missing = anonymous.post("/v1/runs", json=RUN)
            assert missing.status_code == 401
            assert missing.headers["WWW-Authenticate"] == "Bearer"
            assert "Authorization: Bearer" in missing.json()["error"]
            assert anonymous.get("/v1/health").status_code == 200  # health needs no key
        with served.client("ak_0123456789ab_" + "x" * 40) as wrong:
            assert wrong.get("/v1/runs").status_code == 401
        with served.client(token) as alice:
            started = alice.post("/v1/runs", json=RUN)
            assert started.status_code == 202
            finished(alice, started.json()["run_id"])
            served.keys.revoke(key.key_id)
            revoked = alice.get("/v1/runs")
            assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]


def test_a_key_sees_only_its_own_runs_and_a_read_key_cannot_start_one(serve) -> None:
    with serve(keys=True) as served:
        _, alice_token = served.keys.create("alice", "run")
        _, bob_token = served.keys.create("bob", "run")
        _, auditor_token = served.keys.create("auditor", "read")
        with served.client(alice_token) as alice, served.client(bob_token) as bob:
            run_id = alice.post("/v1/runs", json=RUN).json()["run_id"]
            finished(alice, run_id)
            for method, path in [
                ("GET", f"/v1/runs/{run_id}"),
                ("GET", f"/v1/runs/{run_id}/events"),
                ("POST", f"/v1/runs/{run_id}/cancel"),
            ]:
                answer = bob.request(method, path)
                assert answer.status_code == 404, (method, path)
                assert answer.json() == {"error": f"no run {run_id}"}
            taken = bob.post(f"/v1/runs/{run_id}/feedback", json={"rating": "bad"})
            assert taken.status_code == 404
            assert bob.get("/v1/runs").json()["total"] == 0
        with served.client(auditor_token) as auditor:
            assert auditor.get(f"/v1/runs/{run_id}").json()["status"] == "finished"
            refused = auditor.post("/v1/runs", json=RUN)
            assert refused.status_code == 403 and "may only read" in refused.json()["error"]


def test_bad_requests_get_clear_errors_and_never_a_traceback(serve) -> None:
    with serve(max_body_bytes=2048, max_input_chars=500) as served, served.client() as client:
        huge = client.post("/v1/runs", json={**RUN, "input": "x" * 5000})
        assert huge.status_code == 413 and "2048-byte limit" in huge.json()["error"]
        long = client.post("/v1/runs", json={**RUN, "input": "x" * 600})
        assert long.status_code == 413 and "at most 500" in long.json()["error"]
        malformed = client.post(
            "/v1/runs", content=b'{"agent": "wiki",', headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 422 and "JSON" in malformed.json()["error"]
        unknown = client.post("/v1/runs", json={**RUN, "temprature": 2})
        assert unknown.status_code == 422
        assert unknown.json()["detail"] == [
            {"where": "body.temprature", "problem": "Extra inputs are not permitted"}
        ]
        no_agent = client.post("/v1/runs", json={**RUN, "agent": "wikki"})
        assert no_agent.status_code == 404 and "agents: wiki" in no_agent.json()["error"]
        bad_id = client.post("/v1/runs", json={**RUN, "run_id": "../../etc/passwd"})
        assert bad_id.status_code == 422
        assert client.get("/v1/runs/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert client.get("/v1/runs", params={"limit": 0}).status_code == 422
        for answer in (huge, long, malformed, unknown, no_agent, bad_id):
            assert "Traceback" not in answer.text and 'File "' not in answer.text


def test_rate_and_concurrency_limits_are_per_key(serve) -> None:
    with serve(keys=True, rate_per_minute=3) as served:
        _, token = served.keys.create("alice", "run")
        _, other = served.keys.create("bob", "run")
        with served.client(token) as alice, served.client(other) as bob:
            for _ in range(3):
                assert alice.get("/v1/runs").status_code == 200
            limited = alice.get("/v1/runs")
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
            assert bob.get("/v1/runs").status_code == 200  # another key is not limited


def test_cors_is_off_unless_origins_are_listed(serve) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with serve() as served, served.client() as client:
        answer = client.options("/v1/runs", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
    with serve(cors_origins=["https://app.example"]) as served, served.client() as client:
        allowed = {**preflight, "Origin": "https://app.example"}
        answer = client.options("/v1/runs", headers=allowed)
        assert answer.headers["access-control-allow-origin"] == "https://app.example"
        answer = client.options("/v1/runs", headers=preflight)
        assert answer.headers.get("access-control-allow-origin") != "https://evil.example"


def agentcore(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "agentcore.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_serve_refuses_a_public_address_without_keys_and_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('[agents.wiki]\nkind = "react"\nbackend = "scripted"\n', encoding="utf-8")
    keys = str(tmp_path / "keys.sqlite3")
    public = agentcore(
        "serve", "--config", str(config), "--host", "0.0.0.0", "--keys-file", keys, cwd=tmp_path
    )
    assert public.returncode == 1
    assert "refusing to listen on 0.0.0.0 without API keys" in public.stderr
    config.write_text('[agents.wiki]\nkind = "react"\ntoolz = ["search"]\n', encoding="utf-8")
    typo = agentcore("serve", "--config", str(config), cwd=tmp_path)
    assert typo.returncode == 1 and "toolz" in typo.stderr and "Traceback" not in typo.stderr
    config.write_text('[agents.calc]\nkind = "pal"\ntools = ["search"]\n', encoding="utf-8")
    wrong_kind = agentcore("serve", "--config", str(config), cwd=tmp_path)
    assert "a pal agent does not take tools" in wrong_kind.stderr


def test_keys_command_shows_the_token_once(tmp_path: Path) -> None:
    keys = str(tmp_path / "keys.sqlite3")
    made = agentcore(
        "keys", "create", "ci bot", "--scope", "read", "--keys-file", keys, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    key_id = token.split("_")[1]
    listed = agentcore("keys", "list", "--keys-file", keys, cwd=tmp_path)
    assert key_id in listed.stdout and "read" in listed.stdout and token not in listed.stdout
    revoked = agentcore("keys", "revoke", key_id, "--keys-file", keys, cwd=tmp_path)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in agentcore("keys", "list", "--keys-file", keys, cwd=tmp_path).stdout
    unknown = agentcore("keys", "revoke", "ffffffffffff", "--keys-file", keys, cwd=tmp_path)
    assert unknown.returncode == 1 and "no API key" in unknown.stderr
