"""The whole API fuzzed from its own OpenAPI schema with the schemathesis CLI: no request,
however odd, gets a 5xx, and every response matches what the schema declares (status code,
content type, body), including negative cases the schema forbids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from server_testkit import serving

SCHEMATHESIS = Path(sys.prefix) / "bin" / "schemathesis"


def test_no_request_breaks_the_api_or_its_contract(tmp_path: Path) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed (the server plugin's test extra)")
    agents = {
        "wiki": {"kind": "react", "backend": "scripted"},
        "helper": {"kind": "chat", "backend": "scripted"},
    }
    with serving(tmp_path, agents=agents, workers=2, rate_per_minute=100_000) as served:
        done = subprocess.run(
            [
                str(SCHEMATHESIS), "run", f"{served.url}/openapi.json",
                "--max-examples", "30", "--seed", "1", "--no-color",
                "--report", "junit", "--report-dir", str(tmp_path / "report"),
            ],
            capture_output=True, text=True, timeout=900, cwd=tmp_path,
        )  # fmt: skip
    summary = done.stdout[-6000:]
    print(summary[-1500:])  # the run summary: operations, phases, test cases
    assert done.returncode == 0, summary
    assert "No issues found" in summary or "passed" in summary, summary
