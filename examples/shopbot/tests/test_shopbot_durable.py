"""kill -9 during ShopBot's label request and email, resume: one label, one email.

The carrier and the SMTP server run in the test's process (started by ``bot.prepare``);
the bot's turn runs in a worker process with checkpoints in a DuckDB run store, and is
killed right after the carrier issued the label (or the email went out) but before the run
recorded it — the worst moment. A new process resumes the run: the tools are ``keyed``, so
the call is redone, and the carrier's idempotency key and the mailer's ledger make the redo
a replay. A person approves each label and email (ShopBot's default), in the worker.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from shopbot_testkit import labels_issued

WORKER = Path(__file__).with_name("shopbot_durable_worker.py")


@pytest.fixture
def worker(shop, tmp_path: Path):
    shop.settings["shopbot"]["approval"] = "on"
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(shop.settings))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(WORKER), str(settings), str(tmp_path / "runs.duckdb")]
        return subprocess.run(
            [*command, "shopbot-turn-1", *args], capture_output=True, text=True, timeout=180
        )

    return run


@pytest.mark.parametrize(
    "kill", ["after:request_return_label", "after:send_email", "before:send_email"]
)
def test_a_killed_return_turn_resumes_with_one_label_and_one_email(shop, worker, kill):
    started = worker("start", kill)
    assert started.returncode == -signal.SIGKILL, started.stdout + started.stderr
    issued_before = len(labels_issued(shop))
    resumed = worker("resume")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "finished", result["error"]
    assert result["answer"] == "Your return label is in your inbox."
    tools = [s["action"]["tool"] for s in result["steps"]]
    assert tools == ["verify_customer", "request_return_label", "send_email", "respond"]
    assert issued_before == 1  # the label was made before the crash
    assert len(labels_issued(shop)) == 1  # ... and not again
    (mail,) = shop.services.messages()
    assert mail["To"] == "ann@example.com"
    assert [d["tool"] for d in result["decisions"]] == ["request_return_label", "send_email"]
