"""The ``postgresql`` run store: one database that several server replicas share.

Each replica keeps a small pool of connections (``psycopg_pool``) rather than one
connection per request; every operation is one transaction, committed when the pooled
connection is handed back. The tables and their SQL are
:class:`agentcore.plugin.SqlRunStore`'s (the same the ``duckdb`` store runs), so both
backends pass one contract suite (:mod:`agentcore.run_store_tests`). Creating the schema
takes an advisory lock, so replicas that start together do not race to create it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field

from agentcore.plugin import ConfigError, Options, SqlRunStore, register_secret

SCHEMA_LOCK = 0x61676E74  # pg_advisory_xact_lock key: "agnt"


class PostgresStoreOptions(Options):
    url: str = Field(description="postgresql://user:password@host:port/database")
    pool_min: int = Field(1, ge=0, le=100, description="Connections kept open.")
    pool_max: int = Field(8, ge=1, le=200, description="At most this many at once.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Wait for a connection this long.")


class PostgresRunStore(SqlRunStore):
    placeholder = "%s"

    def __init__(self, options: PostgresStoreOptions) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
        from psycopg_pool import ConnectionPool

        try:
            parts = conninfo_to_dict(options.url)
        except psycopg.ProgrammingError as exc:
            raise ConfigError(f"the run store URL is not a PostgreSQL URL: {exc}") from None
        if parts.get("password"):
            register_secret(str(parts["password"]))
        self.where = "the run store postgresql://{}@{}:{}/{}".format(
            parts.get("user", ""), parts.get("host", ""), parts.get("port", "5432"),
            parts.get("dbname", ""),
        )  # fmt: skip
        self._pool = ConnectionPool(
            options.url,
            min_size=options.pool_min,
            max_size=options.pool_max,
            timeout=options.connect_timeout_s,
            open=False,
            name="agentcore-run-store",
        )
        try:
            self._pool.open(wait=options.pool_min > 0, timeout=options.connect_timeout_s)
            self.create_schema()
        except Exception as exc:
            self._pool.close()
            raise ConfigError(f"cannot use {self.where}: {_reason(exc)}") from None

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self._pool.connection() as con:  # one transaction: committed when handed back
            yield con

    def lock_schema(self, con: Any) -> None:
        con.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))

    def close(self) -> None:
        self._pool.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
