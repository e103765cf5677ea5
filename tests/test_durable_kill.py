"""kill -9 at every step boundary of a durable run, then resume: each effect happens once.

The run lives in a process of its own (``durable_worker.py``) with checkpoints in a real
DuckDB run store; it is killed with SIGKILL at each model call, and before and after each
tool's effect. A new process resumes it until it finishes. The search (idempotent) may be
redone; the label (keyed) is issued once; the email (a side effect) is sent once: when the
crash lost whether it went out, the resumed run pauses, and the "person" here looks at the
mailbox (the effects file) to approve or reject the redo.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("durable_worker.py")
KILLS = [
    "llm:1", "llm:2", "llm:3", "llm:4",
    "before:search", "after:search",
    "before:request_label", "after:request_label",
    "before:send_email", "after:send_email",
]  # fmt: skip


def _worker(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    store, effects = tmp_path / "runs.duckdb", tmp_path / "effects.jsonl"
    return subprocess.run(
        [sys.executable, str(WORKER), str(store), str(effects), "run-under-test", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _effects(tmp_path: Path) -> list[dict]:
    path = tmp_path / "effects.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("kill", KILLS)
def test_a_run_killed_anywhere_resumes_and_does_each_effect_once(tmp_path: Path, kill: str):
    started = _worker(tmp_path, "start", kill)
    assert started.returncode == -signal.SIGKILL, started.stdout + started.stderr
    outcomes = []
    decision: list[str] = []
    for _ in range(3):
        resumed = _worker(tmp_path, "resume", *decision)
        assert resumed.returncode == 0, resumed.stderr
        result = json.loads(resumed.stdout)
        outcomes.append(result["status"])
        if result["status"] != "paused":
            break
        pending = result["pending"]
        assert pending["tool"] == "send_email" and pending["reason"] == "unknown_outcome"
        sent = any(e["tool"] == "send_email" for e in _effects(tmp_path))
        decision = ["reject" if sent else "approve"]
    assert outcomes[-1] == "finished", outcomes
    assert result["answer"] == "label sent"
    assert [s["index"] for s in result["steps"]] == [1, 2, 3, 4]
    assert all(s["observation"] for s in result["steps"][:3])
    tools = [e["tool"] for e in _effects(tmp_path)]
    assert tools.count("request_label") == 1
    assert tools.count("send_email") == 1
    assert tools.count("search") in (1, 2)  # idempotent: redone only if its outcome was lost
    # only a lost email outcome needs a person; the other crashes resume on their own
    assert ("paused" in outcomes) == (kill == "after:send_email" or kill == "before:send_email")


def test_a_full_disk_stops_the_run_and_loses_nothing_committed(tmp_path: Path) -> None:
    started = _worker(tmp_path, "start", "full:3")
    assert started.returncode == 0, started.stderr
    stopped = json.loads(started.stdout)
    assert stopped["status"] == "error"
    assert "could not commit run run-under-test" in stopped["error"]
    assert "can be resumed once the store is writable" in stopped["error"]
    resumed = json.loads(_worker(tmp_path, "resume").stdout)
    assert resumed["status"] == "finished"
    assert [s["index"] for s in resumed["steps"]] == [1, 2, 3, 4]
    tools = [e["tool"] for e in _effects(tmp_path)]
    assert tools.count("request_label") == 1 and tools.count("send_email") == 1
