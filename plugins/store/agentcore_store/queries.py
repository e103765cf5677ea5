"""Reading the store: finding runs by id prefix, listing, full traces, feedback, export rows.

Functions take an open connection (see :func:`agentcore_store.connection.open_store`)
and return plain dicts: JSON columns decoded, timestamps as naive UTC datetimes.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from agentcore_store.errors import RunNotFoundError

JSON_COLUMNS = frozenset(
    {"tools", "generation", "notes", "action_args", "arguments", "config", "data", "sanitized"}
)
LAST = "last"
LIST_COLUMNS = (
    "run_id, started_at, agent, status, answer, error, model, step_count, "
    "prompt_tokens + completion_tokens AS tokens, duration_s, pid, host"
)


def records(cursor: Any) -> list[dict[str, Any]]:
    """Rows of an executed query as dicts, JSON columns decoded."""
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        for key in JSON_COLUMNS.intersection(record):
            if isinstance(record[key], str):
                record[key] = json.loads(record[key])
        out.append(record)
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def annotate_liveness(run: dict[str, Any]) -> dict[str, Any]:
    """``process_alive``: for a ``running`` run of this host, whether its process still exists.

    A ``running`` row whose process is gone is a run that was killed before it
    could record its end; ``None`` when that cannot be told (other host, or ended).
    """
    alive = None
    if (
        run.get("status") == "running"
        and run.get("pid")
        and run.get("host") == socket.gethostname()
    ):
        alive = _pid_alive(int(run["pid"]))
    run["process_alive"] = alive
    return run


def resolve_run_id(con: Any, reference: str) -> str:
    """The full id of the one run whose id starts with ``reference`` (or ``last``)."""
    reference = reference.strip()
    if reference.lower() == LAST:
        row = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        if row is None:
            raise RunNotFoundError("there are no stored runs yet, so 'last' names none")
        return row[0]
    if not reference:
        raise RunNotFoundError("give a run id (or a prefix of one, or 'last')")
    matches = [
        r[0]
        for r in con.execute(
            "SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY started_at DESC LIMIT 6",
            [reference],
        ).fetchall()
    ]
    if not matches:
        raise RunNotFoundError(
            f"no stored run has an id starting with {reference!r}; `agentcore runs` lists them"
        )
    if len(matches) > 1 and reference not in matches:
        shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        raise RunNotFoundError(f"{reference!r} matches several runs ({shown}); give more of the id")
    return reference if reference in matches else matches[0]


def list_runs(
    con: Any, *, limit: int, status: str | None = None, agent: str | None = None
) -> list[dict[str, Any]]:
    """The most recent runs first.

    ``status`` may be ``lost`` (a ``running`` row whose process is gone) or ``running`` (one
    whose process is alive or cannot be told): both are told apart from the stored
    ``running`` rows by their process, so those rows are read whole and then cut to ``limit``.
    """
    where, params = [], []
    label = status if status in ("running", "lost") else None
    if label:
        status = "running"
    if status:
        where.append("status = ?")
        params.append(status)
    if agent:
        where.append("agent = ?")
        params.append(agent)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT {LIST_COLUMNS} FROM runs {clause} ORDER BY started_at DESC"
    rows = records(
        con.execute(sql if label else sql + " LIMIT ?", params if label else [*params, limit])
    )
    for row in rows:
        annotate_liveness(row)
    if label:
        lost = [row for row in rows if row["process_alive"] is False]
        rows = (lost if label == "lost" else [r for r in rows if r not in lost])[:limit]
    ratings = latest_feedback(con, [r["run_id"] for r in rows])
    for row in rows:
        row["rating"] = ratings.get(row["run_id"], {}).get("rating")
    return rows


def latest_feedback(con: Any, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not run_ids:
        return {}
    rows = records(
        con.execute(
            "SELECT run_id, arg_max(rating, feedback_id) AS rating, "
            "arg_max(note, feedback_id) AS note FROM feedback "
            "WHERE list_contains(?, run_id) GROUP BY run_id",
            [run_ids],
        )
    )
    return {r["run_id"]: r for r in rows}


def load_run(con: Any, run_id: str, *, prompts: bool = False) -> dict[str, Any]:
    """Everything stored about one run (prompts only when asked: they are long)."""
    run = records(con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]))[0]
    annotate_liveness(run)
    call_columns = "*" if prompts else "* EXCLUDE (prompt)"
    return {
        "run": run,
        "steps": records(
            con.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step_index", [run_id])
        ),
        "llm_calls": records(
            con.execute(
                f"SELECT {call_columns} FROM llm_calls WHERE run_id = ? ORDER BY call_index",
                [run_id],
            )
        ),
        "tool_calls": records(
            con.execute("SELECT * FROM tool_calls WHERE run_id = ? ORDER BY step_index", [run_id])
        ),
        "feedback": records(
            con.execute(
                "SELECT rating, note, created_at FROM feedback WHERE run_id = ? "
                "ORDER BY feedback_id",
                [run_id],
            )
        ),
    }


def add_feedback(con: Any, run_id: str, rating: str, note: str | None) -> dict[str, Any]:
    created = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO feedback (run_id, rating, note, created_at) VALUES (?, ?, ?, ?)",
        [run_id, rating, note, created],
    )
    return {"run_id": run_id, "rating": rating, "note": note, "created_at": created}


EXPORT_SQL = """
WITH latest AS (
    SELECT run_id, arg_max(rating, feedback_id) AS rating, arg_max(note, feedback_id) AS note
    FROM feedback GROUP BY run_id
)
SELECT c.run_id, c.step_index, c.prompt, c.completion, latest.rating, latest.note,
       r.agent, coalesce(c.model, r.model) AS model, r.status
FROM llm_calls c
JOIN runs r USING (run_id)
LEFT JOIN latest USING (run_id)
WHERE c.prompt IS NOT NULL AND c.completion IS NOT NULL {filters}
ORDER BY r.started_at, c.run_id, c.call_index
"""


def export_pairs(
    con: Any, *, only_good: bool = False, agent: str | None = None
) -> Iterator[dict[str, Any]]:
    """Prompt/completion pairs with the run's latest feedback, oldest run first."""
    filters, params = [], []
    if only_good:
        filters.append("AND latest.rating = 'good'")
    if agent:
        filters.append("AND r.agent = ?")
        params.append(agent)
    cursor = con.execute(EXPORT_SQL.format(filters=" ".join(filters)), params)
    names = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(500):
        for row in batch:
            yield dict(zip(names, row, strict=True))
