"""A server that is killed mid-run: run by test_server_store in a subprocess.

It serves the scripted agent with one worker, starts two runs (the first held at its second
step, the second queued behind it), prints their ids and waits to be killed with SIGKILL —
no shutdown, no ``end`` for either run, as when a machine loses power.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_testkit import Gate, Script, serving

if __name__ == "__main__":
    gate = Gate()
    with (
        serving(Path(sys.argv[1]), Script(gate=gate), replica="api-1", workers=1) as served,
        served.client() as client,
    ):
        ask = {"agent": "wiki", "input": "Which magazine was started first?"}
        running = client.post("/v1/runs", json=ask).json()["run_id"]
        if not gate.reached.wait(20):
            raise SystemExit("the run never reached its second step")
        queued = client.post("/v1/runs", json=ask).json()["run_id"]
        print(running, queued, flush=True)
        time.sleep(600)
