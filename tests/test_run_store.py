"""A third-party run store in a few lines: SQLite through ``SqlRunStore``, registered with
``register_run_stores`` and opened by its suffix; it passes the shared run-store contract.

SQLite (the standard library's ``sqlite3``) speaks the same SQL subset as DuckDB and
PostgreSQL (``ON CONFLICT`` upserts, ``RETURNING``), so this backend is only a connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentcore import plugins
from agentcore.errors import ConfigError
from agentcore.hookspecs import hookimpl
from agentcore.plugins import AgentcorePluginManager
from agentcore.run_store import RunQuery, SqlRunStore, open_run_store, store_provider_for
from agentcore.run_store_tests import RunStoreContract, a_run


class SqliteRunStore(SqlRunStore):
    def __init__(self, path: str | Path) -> None:
        self.where = f"the run store {path}"
        self._con = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        self.create_schema()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self._lock, self._con:  # the connection's context commits (or rolls back)
            yield self._con

    def close(self) -> None:
        self._con.close()


class SqlitePlugin:
    @hookimpl
    def register_run_stores(self, register):
        register("sqlite", SqliteRunStore, description="served runs in SQLite")


class TestSqliteRunStore(RunStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path):
        opened = SqliteRunStore(tmp_path / "runs.sqlite")
        yield opened
        opened.close()

    @pytest.fixture
    def reopen(self, store: SqliteRunStore, tmp_path: Path):
        def reopen() -> SqliteRunStore:
            store.close()
            return SqliteRunStore(tmp_path / "runs.sqlite")

        return reopen


@pytest.fixture
def with_sqlite(monkeypatch) -> AgentcorePluginManager:
    pm = AgentcorePluginManager(load_entry_points=False)
    assert pm.register(SqlitePlugin(), name="sqlite-runs"), pm.failures
    monkeypatch.setattr(plugins, "_default", pm)
    return pm


def test_hook_register_run_stores_opens_the_store_a_suffix_names(with_sqlite, tmp_path):
    store = open_run_store(str(tmp_path / "served.sqlite"))
    try:
        assert isinstance(store, SqliteRunStore)
        store.save_run(a_run("r-1"))
        assert store.list_runs(RunQuery())[1] == 1
    finally:
        store.close()
    assert with_sqlite.registry.get("run_store", "sqlite").plugin == "sqlite-runs"


def test_a_location_no_plugin_serves_names_the_plugins_to_install(with_sqlite, tmp_path):
    with pytest.raises(ConfigError) as caught:
        open_run_store("postgresql://db.internal/agentcore")
    assert "no plugin provides a run store for 'postgresql://db.internal/agentcore'" in str(
        caught.value
    )
    assert "agentcore-postgres for postgresql:// URLs" in str(caught.value)


@pytest.mark.parametrize(
    ("location", "provider", "options"),
    [
        ("runs.duckdb", "duckdb", {"path": "runs.duckdb"}),
        ("/srv/a.b/Runs.DuckDB", "duckdb", {"path": "/srv/a.b/Runs.DuckDB"}),
        ("postgres://u@h/db", "postgresql", {"url": "postgres://u@h/db"}),
        ("PostgreSQL://u@h/db", "postgresql", {"url": "PostgreSQL://u@h/db"}),
    ],
)
def test_a_location_names_a_provider_and_its_options(location, provider, options):
    assert store_provider_for(location) == (provider, options)


@pytest.mark.parametrize("location", ["", "  ", "runs", "/srv/a.b/runs"])
def test_a_location_without_a_suffix_or_scheme_is_refused(location):
    with pytest.raises(ConfigError, match=r"empty|suffix"):
        store_provider_for(location)
