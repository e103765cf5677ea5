"""The server under test is the real one: uvicorn on a free 127.0.0.1 port, in a thread.

The agents' model is the scripted backend (the engine's test tool): each test says what the
"model" writes, and may hold a step back (a :class:`Gate`) to look at a run while it is
running. Everything else — HTTP, SSE, the worker pool, keys, argon2 — is what users get.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from agentcore_server.app import create_app, open_store
from agentcore_server.config import ServerConfig
from agentcore_server.keys import KeyStore
from agentcore_server.runs import RunRegistry
from agentcore_server.workers import WorkerPool

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugin import AgentSpec
from agentcore.plugins import AgentcorePluginManager

SEARCH_THEN_FINISH = (
    " I look it up.\nAction 1: search[Arthur's Magazine]",
    " I know it now.\nAction 2: finish[Arthur's Magazine]",
)


class Gate:
    """Holds the scripted model back before a chosen call until the test opens it."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    def wait(self) -> None:
        self.reached.set()
        if not self.opened.wait(timeout=30):
            raise AssertionError("the test never opened the gate")


@dataclass
class Script:
    """What the scripted model writes for each run: completions in order, the same for every
    run; ``gate_before`` holds the call with that index (0-based) behind ``gate``."""

    completions: tuple[str, ...] = SEARCH_THEN_FINISH
    gate: Gate | None = None
    gate_before: int = 1
    plugins: frozenset[str] = frozenset({"scripted"})
    backends: list[ScriptedBackend] = field(default_factory=list)

    def build(self, spec: AgentSpec, **shared: Any) -> Any:
        calls = {"n": 0}

        def respond(prompt: str) -> str:
            n = calls["n"] % len(self.completions)
            calls["n"] += 1
            if self.gate is not None and n == self.gate_before:
                self.gate.wait()
            return self.completions[n]

        backend = ScriptedBackend(responder=respond)
        self.backends.append(backend)
        from agentcore.react import ReActAgent
        from agentcore.tools import tool

        @tool
        def search(query: str) -> str:
            """Search the encyclopedia.

            Args:
                query: What to look up.
            """
            return f"{query} (1844-1846) was an American literary periodical."

        pm = AgentcorePluginManager(allow=set(self.plugins))
        if spec.kind == "chat":
            from agentcore.chat import ChatAgent

            return ChatAgent(backend, tools=[search], plugin_manager=pm, **shared)
        return ReActAgent(backend, tools=[search], max_steps=spec.max_steps or 5, plugin_manager=pm)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    config: ServerConfig
    keys: KeyStore | None
    pool: WorkerPool
    registry: RunRegistry

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def serving(
    tmp_path: Path,
    script: Script | None = None,
    *,
    keys: bool = False,
    agents: dict[str, dict[str, Any]] | None = None,
    **server: Any,
) -> Iterator[Served]:
    script = script or Script()
    config = ServerConfig(
        server={
            "port": free_port(),
            "keys_file": str(tmp_path / "keys.sqlite3"),
            "store": str(tmp_path / "served-runs.duckdb"),
            **server,
        },
        agents=agents or {"wiki": {"kind": "react", "backend": "scripted", "max_steps": 4}},
    )
    store = KeyStore(config.server.keys_path()) if keys else None
    registry = RunRegistry(open_store(config.server), replica=config.server.replica_name())
    pool = WorkerPool(
        config.agents,
        workers=config.server.workers,
        queue_size=config.server.queue_size,
        max_wall_s=config.server.max_wall_s,
        build=script.build,
        memory=registry.store,
    )
    app = create_app(config, keys=store, pool=pool, registry=registry)
    server_ = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=config.server.port, log_level="warning")
    )
    thread = threading.Thread(target=server_.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server_.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{config.server.port}", config, store, pool, registry)
    finally:
        server_.should_exit = True
        if script.gate is not None:  # a held step goes on a moment into the shutdown
            threading.Timer(1.0, script.gate.opened.set).start()
        thread.join(timeout=30)


def read_events(response: httpx.Response, stop_after: int | None = None) -> list[dict[str, Any]]:
    """The SSE events of a streamed response: id, event and decoded data (pings skipped)."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in current:
                current["data"] = json.loads(current.get("data", "null"))
                events.append(current)
                if current["event"] == "end" or (stop_after and len(events) >= stop_after):
                    return events
            current = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        current[name] = value[1:] if value.startswith(" ") else value
    return events


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)
