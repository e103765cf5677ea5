"""Hook implementations of the ``duckdb`` plugin: the ``sql`` tool and ``agentcore sql``.

Kept light: duckdb is imported only when a query runs or a database is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentcore.hookspecs import hookimpl


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_duckdb.tool import sql

    register(sql)


@hookimpl
def register_commands(cli: Any) -> None:
    from agentcore_duckdb.cli import sql_command

    cli.add_command(sql_command)
