"""One small eval on the real embedded 0.5B model, through the command a user types."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_a_small_gsm8k_eval_on_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "gsm8k.jsonl"
    agentcore = Path(sys.executable).with_name("agentcore")
    done = subprocess.run(
        [str(agentcore), "eval", "gsm8k", "-n", "2", "-m", "qwen2.5-coder-0.5b", "-q",
         "--out", str(out)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    header, items = lines[0], lines[1:]
    assert header["dataset"] == "gsm8k" and header["agent"]["kind"] == "pal"
    assert [i["reference"] for i in items] == ["18", "3"]
    assert all(i["status"] in ("finished", "error") and i["tokens_generated"] > 0 for i in items)
    assert all(i["run_id"] and i["wall_s"] > 0 for i in items)
    assert "| accuracy |" in done.stdout and "| items | 2 |" in done.stdout
