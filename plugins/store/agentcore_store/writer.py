"""Writing a run: its ``running`` row at the start, everything in one transaction at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentcore.models import RunInfo, RunResult
from agentcore_store.connection import open_store, transaction
from agentcore_store.rows import (
    LLMCall,
    Row,
    llm_call_rows,
    redact_row,
    run_end_row,
    run_start_row,
    step_row,
    tool_call_row,
)

CHILD_TABLES = ("steps", "llm_calls", "tool_calls")


def insert(con: Any, table: str, rows: list[Row], *, replace: bool = False) -> None:
    """Insert rows (all with the same keys); ``replace`` overwrites a row with the same key.

    Every text is redacted first: no secret reaches the file (``rows.redact_row``).
    """
    if not rows:
        return
    rows = [redact_row(row) for row in rows]
    columns = list(rows[0])
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    marks = ", ".join("?" for _ in columns)
    sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    if len(rows) == 1:
        con.execute(sql, [rows[0][c] for c in columns])
    else:
        con.executemany(sql, [[row[c] for c in columns] for row in rows])


def write_run_start(path: Path, info: RunInfo, *, wait_s: float) -> None:
    with open_store(path, wait_s=wait_s) as con:
        insert(con, "runs", [run_start_row(info)], replace=True)


def write_run(
    path: Path,
    result: RunResult,
    *,
    info: RunInfo | None,
    calls: list[LLMCall] | None,
    tool_errors: dict[tuple[int, str], str],
    wait_s: float,
) -> None:
    """Replace whatever the store holds for this run with its complete trace, atomically."""
    call_rows = llm_call_rows(result, calls)
    step_rows = [step_row(result.run_id, step) for step in result.steps]
    tool_rows = [
        row
        for step in result.steps
        if (row := tool_call_row(result.run_id, step, tool_errors)) is not None
    ]
    with open_store(path, wait_s=wait_s) as con, transaction(con):
        for table in CHILD_TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [result.run_id])
        insert(con, "runs", [run_end_row(result, info, len(call_rows))], replace=True)
        insert(con, "steps", step_rows)
        insert(con, "llm_calls", call_rows)
        insert(con, "tool_calls", tool_rows)
