"""A separate agentcore process for the multi-process tests (run as a script, not collected).

    python store_worker.py run ANSWER   run a scripted ReAct run to ANSWER; print its run id
    python store_worker.py die          start a run whose tool kills the process mid-run
    python store_worker.py hold         open the store and hold its lock until stdin closes

The store is the one AGENTCORE_STORE names, exactly as for any agentcore process.
"""

from __future__ import annotations

import os
import sys

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent
from agentcore.tools import tool


@tool
def crash(entity: str) -> str:
    """Die without any cleanup, as a killed process would.

    Args:
        entity: Ignored.
    """
    sys.stdout.flush()
    os._exit(9)


def main(mode: str, *args: str) -> None:
    if mode == "hold":
        from pathlib import Path

        from agentcore_store.connection import open_store

        with open_store(Path(os.environ["AGENTCORE_STORE"]), wait_s=5):
            print("locked", flush=True)
            sys.stdin.read()
        return
    pm = AgentcorePluginManager(allow={"store", "scripted"})
    if mode == "run":
        backend = ScriptedBackend([f" Known.\nAction 1: finish[{args[0]}]"])
        result = ReActAgent(backend, tools=[], plugin_manager=pm).run(f"Say {args[0]}")
        print(result.run_id, flush=True)
    elif mode == "die":
        backend = ScriptedBackend([" Crash now.\nAction 1: crash[x]"])
        agent = ReActAgent(backend, tools=[crash], plugin_manager=pm)
        for _step in agent.stream("Will this survive?"):
            pass


if __name__ == "__main__":
    main(*sys.argv[1:])
