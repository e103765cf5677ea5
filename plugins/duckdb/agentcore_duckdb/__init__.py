"""agentcore plugin: read-only SQL over DuckDB, confined to the tables it is given.

``sql_tool(database, tables)`` builds a bound ``sql`` tool; ``SqlDatabase`` is the
query engine behind it (importing it imports duckdb, so it is loaded on first use).
"""

from __future__ import annotations

from typing import Any

from agentcore_duckdb.tool import sql, sql_tool

__all__ = ["SqlDatabase", "sql", "sql_tool"]


def __getattr__(name: str) -> Any:
    if name == "SqlDatabase":
        from agentcore_duckdb.database import SqlDatabase

        return SqlDatabase
    raise AttributeError(f"module 'agentcore_duckdb' has no attribute {name!r}")
