"""A store of the test's own (AGENTCORE_STORE in tmp_path), a plugin manager that records
into it, and small tools for the scripted runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.models import RunResult
from agentcore.plugins import AgentcorePluginManager, reset_plugin_manager
from agentcore.react import ReActAgent
from agentcore.tools import ToolResult, tool

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"
YEARS = {"Arthur's Magazine": "Arthur's Magazine was started in 1844.", "First for Women": "1989."}

#: A finished two-search run, as a small model might write it.
FINISHED_SCRIPT = (
    " I need both dates.\nAction 1: search[Arthur's Magazine]",
    " Now the other.\nAction 2: search[First for Women]",
    " 1844 is before 1989.\nAction 3: finish[Arthur's Magazine]",
)


@tool
def search(entity: str) -> str:
    """Look up when a magazine started.

    Args:
        entity: The magazine's name.
    """
    return YEARS.get(entity, f"Could not find {entity}.")


@tool
def flaky(query: str) -> ToolResult:
    """A service that is down.

    Args:
        query: Anything.
    """
    return ToolResult(tool="flaky", ok=False, observation="service unavailable", error_kind="down")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's store file (not created yet); the process-wide plugin manager is reset."""
    path = tmp_path / "store" / "runs.duckdb"
    monkeypatch.setenv("AGENTCORE_STORE", str(path))
    reset_plugin_manager()
    return path


@pytest.fixture
def pm(store: Path) -> AgentcorePluginManager:
    manager = AgentcorePluginManager(allow={"store", "scripted"})
    assert "store" in manager.infos, manager.failures
    return manager


@pytest.fixture
def run_react(pm: AgentcorePluginManager) -> Callable[..., RunResult]:
    """Run a ReActAgent on the scripted backend through the store-enabled plugin manager."""

    def run(*completions: str, question: str = QUESTION, tools=None, **options: Any) -> RunResult:
        backend = ScriptedBackend(list(completions))
        agent = ReActAgent(backend, tools=tools or [search, flaky], plugin_manager=pm, **options)
        result = agent.run(question)
        run.backends.append(backend)
        return result

    run.backends = []
    return run


def query(path: Path, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple]:
    """Read the store directly with DuckDB (opened and closed again, so no lock is kept)."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture
def sql(store: Path) -> Callable[..., list[tuple]]:
    return lambda text, *params: query(store, text, params)


@pytest.fixture
def query_store() -> Callable[..., list[tuple]]:
    """``query_store(path, sql, params)`` for stores other than this test's own."""
    return query


@pytest.fixture
def finished_script() -> tuple[str, ...]:
    return FINISHED_SCRIPT
