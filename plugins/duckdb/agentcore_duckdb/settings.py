"""The ``sql`` settings section of the ``sql`` tool, and the limits' defaults.

Light (pydantic only), so the registry and ``agentcore sql --help`` read the defaults
without importing duckdb.
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt

from agentcore.plugin import Options, PathText

SECTION = "sql"
DEFAULT_ROW_LIMIT = 50
DEFAULT_TIMEOUT_S = 5.0


class SqlSettings(Options):
    """``settings["sql"]``: the database and tables the ``sql`` tool may query."""

    database: PathText | None = Field(None, description="The DuckDB file (opened read-only).")
    tables: str | list[str] | None = Field(
        None, description="Tables or views the model may query: a list or 'a,b'."
    )
    row_limit: PositiveInt = Field(DEFAULT_ROW_LIMIT, description="Most rows shown per query.")
    timeout_s: PositiveFloat = Field(DEFAULT_TIMEOUT_S, description="Time limit per query.")
