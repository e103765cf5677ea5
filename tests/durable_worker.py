"""A durable ReAct run in a process of its own, killed with SIGKILL where a test says.

    python durable_worker.py STORE EFFECTS RUN_ID start [KILL]
    python durable_worker.py STORE EFFECTS RUN_ID resume [approve|reject]

The agent (scripted backend, checkpoints in the DuckDB run store at STORE) looks an order up
(``search``, idempotent), asks a carrier for a label (``request_label``, keyed: the carrier
issues one label per idempotency key) and emails it (``send_email``, a side effect), then
finishes. Every effect is appended to EFFECTS (JSON lines, flushed to disk) the moment it
happens. KILL is ``llm:N`` (die as step N's model call starts), ``before:TOOL`` (die as the
tool is called, before its effect) or ``after:TOOL`` (die right after the effect, before the
tool returns) or ``full:N`` (the disk fills up as step N's model call starts). The run's
result is printed as JSON.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugin import create_provider
from agentcore.react import ReActAgent
from agentcore.tools import ToolContext, tool

STEPS = {
    1: " Find the order.\nAction 1: search[order 7]\n",
    2: " Ask the carrier for a label.\nAction 2: request_label[order 7]\n",
    3: " Email it to the customer.\nAction 3: send_email[ann@example.com]\n",
    4: " All done.\nAction 4: finish[label sent]\n",
}


def build(store: str, effects: Path, kill: str = "") -> ReActAgent:
    def die_if(point: str) -> None:
        if kill == point:
            os.kill(os.getpid(), signal.SIGKILL)

    def record(entry: dict) -> None:
        with effects.open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def effects_so_far() -> list[dict]:
        if not effects.exists():
            return []
        return [json.loads(line) for line in effects.read_text().splitlines()]

    @tool
    def search(query: str) -> str:
        """Look an order up."""
        die_if("before:search")
        record({"tool": "search", "query": query})
        die_if("after:search")
        return f"{query}: one pair of boots, customer ann@example.com"

    @tool(effect="keyed")
    def request_label(order: str, ctx: ToolContext) -> str:
        """Ask the carrier for a return label."""
        die_if("before:request_label")
        issued = [e for e in effects_so_far() if e.get("key") == ctx.call_key]
        if not issued:  # the carrier makes one label per idempotency key
            record({"tool": "request_label", "key": ctx.call_key, "order": order})
        die_if("after:request_label")
        return f"label RL-1 for {order}"

    @tool(effect="side_effect")
    def send_email(to: str) -> str:
        """Email the label."""
        die_if("before:send_email")
        record({"tool": "send_email", "to": to})
        die_if("after:send_email")
        return f"sent to {to}"

    def respond(prompt: str) -> str:
        step = int(re.findall(r"Thought (\d+):", prompt)[-1])
        die_if(f"llm:{step}")
        if kill == f"full:{step}":
            disk_full(Path(store))
        return STEPS[step]

    return ReActAgent(
        ScriptedBackend(responder=respond),
        tools=[search, request_label, send_email],
        checkpoints=create_provider("run_store", "duckdb", path=store),
        max_steps=6,
    )


def disk_full(store: Path) -> None:
    """From now on no file of this process may grow (RLIMIT_FSIZE): the disk is full."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    sizes = [p.stat().st_size for p in (store, Path(f"{store}.wal")) if p.exists()]
    limit = max([*sizes, 1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def main() -> None:
    store, effects, run_id, mode, *rest = sys.argv[1:]
    if mode == "start":
        agent = build(store, Path(effects), rest[0] if rest else "")
        result = agent.stream("Send the return label for order 7.", run_id=run_id).result
    elif not rest:
        result = build(store, Path(effects)).resume(run_id)
    elif rest[0] == "approve":
        result = build(store, Path(effects)).approve(run_id, by="test")
    else:
        result = build(store, Path(effects)).reject(run_id, "it was sent already", by="test")
    print(result.model_dump_json())


if __name__ == "__main__":
    main()
