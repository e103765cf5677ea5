"""What a query returns, as data and as the compact text a model reads.

Error kinds (``QueryError.kind``), each naming the reason a query did not run:

=====================  ================================================================
``not_configured``     no database or no tables configured (the tool says how)
``empty_query``        nothing to run
``syntax_error``       DuckDB's parser rejected the text
``multiple_statements`` more than one statement (``SELECT 1; DROP TABLE x``)
``not_read_only``      a statement other than a query (INSERT, UPDATE, DELETE, CREATE,
                       DROP, ALTER, CALL, EXPLAIN, transactions, ...)
``settings_change``    SET, RESET, PRAGMA, USE
``file_access``        COPY, EXPORT, ATTACH, DETACH, file readers (``read_csv``,
                       ``read_text``, ``read_parquet``, ``glob``, ...), file paths as tables
``extension``          INSTALL or LOAD
``forbidden_table``    a table, view or catalog listing the tool was not given
``forbidden_function`` a function that reads the catalog, settings, sequences or other tables
``forbidden_type``     a type that is neither built in nor used by the given tables (an ENUM
                       of a hidden table would list its values); same words as a type that
                       does not exist
``unsupported_syntax`` a construct the confinement check does not understand (refused)
``too_complex``        expressions or subqueries nested too deeply (DuckDB's
                       ``max_expression_depth``, and the check's own bound)
``query_error``        DuckDB could not bind or run the query (unknown column, bad cast)
``timeout``            the query ran past its time limit and was interrupted (or its
                       process was ended when the interrupt did not take)
``memory_limit``       the query needed more memory than the tool allows (DuckDB's limit,
                       or the query process's address-space limit)
=====================  ================================================================

A result that is too big is cut, never refused: a cell longer than the cell cap
becomes its first characters and "…", rows past the byte cap are counted with
the rows past the row limit, and ``QueryResult.notes`` says what was cut.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from typing import Any

from pydantic import BaseModel

ERROR_KINDS = (
    "not_configured",
    "empty_query",
    "syntax_error",
    "multiple_statements",
    "not_read_only",
    "settings_change",
    "file_access",
    "extension",
    "forbidden_table",
    "forbidden_function",
    "forbidden_type",
    "unsupported_syntax",
    "too_complex",
    "query_error",
    "timeout",
    "memory_limit",
)


class QueryError(BaseModel):
    kind: str
    message: str


class QueryResult(BaseModel):
    """Columns and (at most ``row_limit``) rows, or an error; JSON-friendly values."""

    columns: list[str] = []
    rows: list[list[Any]] = []
    error: QueryError | None = None
    duration_s: float = 0.0
    more_rows: int = 0
    more_rows_at_least: bool = False
    notes: list[str] = []  # what was cut to fit the caps, in words

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json_dict(self) -> dict[str, Any]:
        """Exactly ``{"columns", "rows", "error", "duration_s", "notes"}`` (the CLI's
        ``--json``); ``notes`` says what was cut to fit the size caps (usually empty)."""
        return {
            "columns": self.columns,
            "rows": self.rows,
            "error": self.error.model_dump() if self.error else None,
            "duration_s": round(self.duration_s, 6),
            "notes": self.notes,
        }

    def to_text(self, max_cell: int = 40) -> str:
        """A compact table: header, rows, and how many rows were left out."""
        if self.error is not None:
            return f"SQL error ({self.error.kind}): {self.error.message}"
        table = render_table(
            self.columns, self.rows, self.more_rows, self.more_rows_at_least, max_cell
        )
        return "\n".join([table, *(f"Note: {note}" for note in self.notes)])


def render_table(
    columns: list[str],
    rows: list[list[Any]],
    more_rows: int = 0,
    at_least: bool = False,
    max_cell: int = 40,
) -> str:
    header = [_cell(c, max_cell) for c in columns]
    body = [[_cell(v, max_cell) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(
        " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body
    )
    if not rows:
        lines.append("(no rows)")
    elif more_rows:
        prefix = "at least " if at_least else ""
        noun = "row" if more_rows == 1 and not at_least else "rows"
        lines.append(f"({prefix}{more_rows} more {noun} not shown)")
    else:
        lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(value: Any, max_cell: int) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, str):
        text = value
    else:
        text = (
            json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
        )
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return text if len(text) <= max_cell else text[: max_cell - 1] + "…"


def jsonable(value: Any) -> Any:
    """DuckDB's Python values as JSON-friendly ones (numbers stay numbers)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
