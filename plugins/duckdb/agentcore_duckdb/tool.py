"""The ``sql`` tool: what a ReAct agent calls to query a DuckDB database.

Two ways to get one:

* the registered ``sql`` tool reads its database and tables from settings
  (``sql.database``, ``sql.tables`` as a list or ``"a,b"``, optional
  ``sql.row_limit`` and ``sql.timeout_s``);
* :func:`sql_tool` builds a tool bound to one database for API users; its
  description includes the schema, so the model sees the tables up front.

Either way the query goes through :meth:`SqlDatabase.run` (see
:mod:`agentcore_duckdb.database` for the confinement) and the observation is a
compact table or ``SQL error (<kind>): <what to do>``. Sending ``schema``
instead of a query returns the table descriptions. This module stays light:
duckdb is imported when a query runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore.models import ToolResult
from agentcore.plugin import ConfigError, Tool, ToolContext, read_settings_section, tool
from agentcore_duckdb.settings import SECTION, SqlSettings

if TYPE_CHECKING:
    from agentcore_duckdb.database import SqlDatabase

TOOL_NAME = "sql"
SCHEMA_REQUESTS = frozenset({"schema", "tables", "describe", "help", "?"})
DESCRIPTION = (
    "Run one read-only SQL query (DuckDB dialect: a single SELECT or WITH ... SELECT) "
    "over the tables you were given and see the result as a table. "
    'Send "schema" to list the tables and their columns.'
)
_STATE_KEY = "agentcore_duckdb.databases"
#: Seconds the Tool wrapper waits beyond DuckDB's own limit (which answers first).
_WRAPPER_MARGIN_S = 10.0


def observe(db: SqlDatabase, query: str, tool_name: str = TOOL_NAME) -> ToolResult:
    """Run ``query`` (or describe the schema) and phrase the outcome for the model."""
    if query.strip().rstrip(";").strip().lower() in SCHEMA_REQUESTS:
        return ToolResult(tool=tool_name, ok=True, observation=db.describe())
    result = db.run(query)
    payload = result.to_json_dict()
    if result.error is None:
        return ToolResult(
            tool=tool_name,
            ok=True,
            observation=result.to_text(db.max_cell),
            duration_s=result.duration_s,
            data=payload,
        )
    observation = result.to_text()
    if result.error.kind == "forbidden_table" and "Tables you can query" not in observation:
        observation += f" Tables you can query: {', '.join(db.table_names)}."
    return ToolResult(
        tool=tool_name,
        ok=False,
        observation=observation,
        error_kind=result.error.kind,
        duration_s=result.duration_s,
        data=payload,
    )


def _not_configured(message: str) -> ToolResult:
    return ToolResult(tool=TOOL_NAME, ok=False, observation=message, error_kind="not_configured")


@tool(name=TOOL_NAME, description=DESCRIPTION, timeout_s=60.0)
def sql(query: str, ctx: ToolContext) -> ToolResult:
    """Run one read-only SQL query over the configured DuckDB tables.

    Args:
        query: One SELECT (or WITH ... SELECT) statement, or "schema" to list the tables.
    """
    try:
        settings = read_settings_section(ctx.settings, SECTION, SqlSettings)
    except ConfigError as exc:
        return _not_configured(f"The sql tool is misconfigured: {exc}")
    database, tables = settings.database, settings.tables
    if not database or not tables:
        return _not_configured(
            "The sql tool is not configured: set sql.database to the path of a DuckDB file "
            "and sql.tables to the tables the model may query (a list or 'a,b'), or build a "
            "bound tool with agentcore_duckdb.sql_tool(database, tables)."
        )
    from agentcore_duckdb.database import SqlDatabase, UnknownTableError, parse_tables

    names = tuple(parse_tables(tables))
    row_limit, timeout_s = settings.row_limit, settings.timeout_s
    key = (str(Path(str(database)).expanduser().resolve()), names, row_limit, timeout_s)
    cache: dict[Any, SqlDatabase] = ctx.state.setdefault(_STATE_KEY, {})
    db = cache.get(key)
    if db is None:
        try:
            db = SqlDatabase(database, names, row_limit=row_limit, timeout_s=timeout_s)
        except UnknownTableError:
            return _not_configured(
                "The sql tool is misconfigured: a table in sql.tables is not in the database "
                f"(configured: {', '.join(names)})."
            )
        except ConfigError as exc:
            return _not_configured(f"The sql tool is misconfigured: {exc}")
        cache[key] = db
    return observe(db, query)


def sql_tool(
    database: str | Path | SqlDatabase,
    tables: str | list[str] | tuple[str, ...] | None = None,
    *,
    row_limit: int | None = None,
    timeout_s: float | None = None,
    name: str = TOOL_NAME,
    **options: Any,
) -> Tool:
    """A ``sql`` tool bound to one database and its allowed tables.

    Opens (and checks) the database now, so a wrong path or table fails here
    with a :class:`~agentcore.errors.ConfigError`, not in the middle of a run.
    ``options`` go to :class:`SqlDatabase` (``memory_limit``, ``threads``, ...).
    The tool's description lists the tables and columns.
    """
    from agentcore_duckdb.database import DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT_S, SqlDatabase

    if isinstance(database, SqlDatabase):
        db = database
    else:
        if tables is None:
            raise ConfigError("sql_tool needs tables=[...]: the tables the model may query")
        db = SqlDatabase(
            database,
            tables,
            row_limit=row_limit or DEFAULT_ROW_LIMIT,
            timeout_s=timeout_s or DEFAULT_TIMEOUT_S,
            **options,
        )

    def run(query: str) -> ToolResult:
        """Run one read-only SQL query.

        Args:
            query: One SELECT (or WITH ... SELECT) statement, or "schema" to list the tables.
        """
        return observe(db, query, name)

    bound = Tool(
        run,
        name=name,
        description=f"{DESCRIPTION}\n{db.describe()}",
        timeout_s=db.timeout_s + _WRAPPER_MARGIN_S,
    )
    bound.database = db  # type: ignore[attr-defined]
    return bound
