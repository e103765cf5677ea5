"""The PostgreSQL run store passes the same run-store contract as DuckDB, on a real server."""

from __future__ import annotations

import threading

import pytest
from agentcore_postgres.store import PostgresRunStore, PostgresStoreOptions

from agentcore.errors import ConfigError
from agentcore.run_store import RunQuery, open_run_store
from agentcore.run_store_tests import RunStoreContract, a_run


class TestPostgresRunStore(RunStoreContract):
    @pytest.fixture
    def store(self, database_url: str):
        opened = PostgresRunStore(PostgresStoreOptions(url=database_url))
        yield opened
        opened.close()

    @pytest.fixture
    def reopen(self, store: PostgresRunStore, database_url: str):
        def reopen() -> PostgresRunStore:
            store.close()
            return PostgresRunStore(PostgresStoreOptions(url=database_url))

        return reopen


def test_a_postgresql_url_opens_this_store(database_url: str) -> None:
    for url in (database_url, database_url.replace("postgresql://", "postgres://")):
        store = open_run_store(url)
        try:
            assert isinstance(store, PostgresRunStore)
        finally:
            store.close()


def test_two_replicas_see_each_others_runs_at_once(database_url: str) -> None:
    one, two = (open_run_store(database_url) for _ in range(2))
    try:
        one.save_run(a_run("from-one", replica="api-1"))
        two.save_run(a_run("from-two", replica="api-2", status="running"))
        assert one.get_run("from-two") is not None and two.get_run("from-one") is not None
        assert one.list_runs(RunQuery())[1] == 2
        assert two.mark_lost("api-2", "restarted") == ["from-two"]
        assert one.get_run("from-two").status == "lost"  # type: ignore[union-attr]
    finally:
        one.close()
        two.close()


def test_replicas_starting_together_create_the_schema_once(database_url: str) -> None:
    opened, errors = [], []

    def start() -> None:
        try:
            opened.append(PostgresRunStore(PostgresStoreOptions(url=database_url)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert errors == [] and len(opened) == 6


def test_a_server_that_is_not_there_is_one_clear_error_without_the_password(
    cluster_url: str,
) -> None:
    url = "postgresql://agentcore:hunter2secret@127.0.0.1:1/postgres"
    with pytest.raises(ConfigError) as caught:
        PostgresRunStore(PostgresStoreOptions(url=url, connect_timeout_s=1.0))
    message = str(caught.value)
    assert message.startswith("cannot use the run store postgresql://agentcore@127.0.0.1:1/")
    assert "hunter2secret" not in message


def test_a_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a PostgreSQL URL"):
        PostgresRunStore(PostgresStoreOptions(url="postgresql://host:notaport:x/db?=="))
