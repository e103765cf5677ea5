"""``agentcore sql DB "QUERY" --tables a,b``: see exactly what the model would see.

The query runs through the same :class:`~agentcore_duckdb.database.SqlDatabase`
confinement as the ``sql`` tool. Text mode prints the tool's observation;
``--json`` prints ``{"columns", "rows", "error", "duration_s"}`` where
``error`` is null or ``{"kind", "message"}``. A blocked or failed query exits
with status 1; a missing database or unknown table is one error line (status 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from agentcore_duckdb.settings import DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT_S


@click.command("sql")
@click.argument("database", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("query")
@click.option(
    "--tables",
    required=True,
    help="Comma-separated tables or views the query may read (e.g. orders,customers).",
)
@click.option("--json", "as_json", is_flag=True, help="Print columns, rows, error, duration_s.")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=DEFAULT_ROW_LIMIT,
    show_default=True,
    help="Row cap, as the tool applies it.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds before DuckDB interrupts the query.",
)
def sql_command(
    database: Path, query: str, tables: str, as_json: bool, max_rows: int, timeout_s: float
) -> None:
    """Run one read-only query on DATABASE exactly as the sql tool would."""
    from agentcore.plugin import for_terminal, json_for_terminal  # cells are untrusted
    from agentcore_duckdb.database import SqlDatabase
    from agentcore_duckdb.tool import observe

    with SqlDatabase(database, tables, row_limit=max_rows, timeout_s=timeout_s) as db:
        if as_json:
            result = db.run(query)
            click.echo(json_for_terminal(json.dumps(result.to_json_dict(), ensure_ascii=False)))
            ok = result.ok
        else:
            outcome = observe(db, query)
            click.echo(for_terminal(outcome.observation), err=not outcome.ok)
            ok = outcome.ok
    if not ok:
        click.get_current_context().exit(1)
