"""Durable runs from the command line, each command its own process, as from two terminals.

`agentcore run react` commits each step to the store file; a run that pauses for approval,
is interrupted (Ctrl-C) or is killed is continued by `agentcore runs approve|reject|resume`.
The scripted backend replays the next completion its prompt does not already hold, so a
rebuilt agent in a new process continues where the run stopped, as a greedy model would.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

AGENTCORE = str(Path(sys.executable).with_name("agentcore"))
STEPS = [
    " Find the page.\nAction 1: search[Hamlet]\n",
    " It names the author.\nAction 2: finish[William Shakespeare]\n",
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "AGENTCORE_STORE": str(tmp_path / "runs.duckdb"), "NO_COLOR": "1"}


def react(*extra: str, delay_s: float = 0.0) -> list[str]:
    return [
        AGENTCORE, "run", "react", "Who wrote Hamlet?", "-b", "scripted",
        "-o", "skip_in_prompt=true", "-o", f"completions={json.dumps(STEPS)}",
        "-o", f"delay_s={delay_s}", *extra,
    ]  # fmt: skip


def agentcore(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AGENTCORE, *args], capture_output=True, text=True, env=env, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def last_run(env: dict[str, str]) -> dict:
    listed = agentcore(env, "runs", "--json", "-n", "1")
    return json.loads(listed.stdout)[0]


def test_a_paused_run_is_approved_from_another_terminal(env):
    paused = subprocess.run(
        react("--approve", "search"), capture_output=True, text=True, env=env, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert paused.returncode == 5, paused.stderr
    assert 'Paused: search {"entity": "Hamlet"} needs approval' in paused.stdout
    run_id = last_run(env)["run_id"]
    assert f"agentcore runs approve {run_id}" in paused.stdout

    approved = agentcore(env, "runs", "approve", run_id, "--by", "ann", "--json")
    assert approved.returncode == 0, approved.stderr
    result = json.loads(approved.stdout)
    assert result["status"] == "finished" and result["answer"] == "William Shakespeare"
    assert [d["by"] for d in result["decisions"]] == ["ann"]
    assert "Shakespeare" in result["steps"][0]["observation"]

    again = agentcore(env, "runs", "resume", run_id)
    assert again.returncode == 1
    assert f"run {run_id} ended finished" in again.stderr


def test_a_rejection_from_another_terminal_is_what_the_model_is_told(env):
    subprocess.run(react("--approve", "search"), capture_output=True, env=env, timeout=120)
    run_id = last_run(env)["run_id"]
    rejected = agentcore(env, "runs", "reject", run_id, "--reason", "no lookups today", "--json")
    assert rejected.returncode == 0, rejected.stderr
    step = json.loads(rejected.stdout)["steps"][0]
    assert step["observation"].endswith("this search call; it was not done: no lookups today.")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_run_resumes_in_a_new_process(env):
    running = subprocess.Popen(
        react(delay_s=1.5), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL,
        # as at a terminal: a job started in the background (CI) inherits SIGINT ignored
        preexec_fn=_default_sigint,
    )  # fmt: skip
    # unbuffered, the first step shows as soon as it is committed; the second model call
    # then takes 1.5 s, and Ctrl-C arrives during it
    for line in running.stdout:
        if line.startswith("Observation 1:"):
            break
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=60)
    assert running.returncode == 130, err
    run_id = last_run(env)["run_id"]
    resumed = agentcore(env, "runs", "resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert "Answer: William Shakespeare" in resumed.stdout
    assert "Thought 1" not in resumed.stdout  # only the new step is taken and shown
    assert f"[finished · 2 steps · run {run_id}]" in resumed.stdout


def test_a_person_at_the_terminal_approves_inline(env):
    leader, follower = pty.openpty()
    running = subprocess.Popen(
        react("--approve", "search"), stdin=follower, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    os.close(follower)
    os.write(leader, b"a\n")  # typed ahead: the prompt reads it when it asks
    out, _ = running.communicate(timeout=60)
    os.close(leader)
    assert running.returncode == 0, out
    assert "needs approval" in out and "Answer: William Shakespeare" in out


def test_resuming_with_checkpoints_off_or_an_unknown_run_is_one_clear_error(env):
    unknown = agentcore(env, "runs", "resume", "no-such-run")
    assert unknown.returncode == 1
    assert "no checkpoint of run 'no-such-run'" in unknown.stderr
    off = agentcore({**env, "AGENTCORE_STORE": "off"}, "runs", "resume", "no-such-run")
    assert off.returncode == 1 and "checkpoints are switched off" in off.stderr
