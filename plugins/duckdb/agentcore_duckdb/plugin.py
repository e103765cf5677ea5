"""Hook implementations of the ``duckdb`` plugin: the ``sql`` tool.

``agentcore sql`` is declared in the ``agentcore.commands`` entry points (pyproject.toml) and
imported only when it is used.

Kept light: duckdb is imported only when a query runs or a database is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from agentcore.plugin import hookimpl


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_duckdb.tool import sql

    register(sql)


@hookimpl
def register_settings(register: Callable[..., None]) -> None:
    from agentcore_duckdb.settings import SECTION, SqlSettings

    register(SECTION, SqlSettings, description="the sql tool's database and limits")
