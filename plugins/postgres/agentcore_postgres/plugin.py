"""Hook implementations of the ``postgres`` plugin (light: psycopg loads when a store opens)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentcore.plugin import hookimpl
from agentcore_postgres.store import PostgresRunStore, PostgresStoreOptions


def make_run_store(**options: Any) -> PostgresRunStore:
    """Served runs, feedback and conversations in the PostgreSQL database at ``url``."""
    return PostgresRunStore(PostgresStoreOptions(**options))


@hookimpl
def register_run_stores(register: Callable[..., None]) -> None:
    register(
        "postgresql",
        make_run_store,
        description="served runs, feedback and conversations in PostgreSQL (many replicas)",
        options=PostgresStoreOptions,
    )
