"""Running one query under the confinement: parse, check, plan, check, execute, fetch.

This is what the query process (:mod:`agentcore_duckdb.worker`) does with each
query it is sent, on its own connection; :mod:`agentcore_duckdb.database`
explains the layers. Two things are added here to what DuckDB bounds itself:

* **Depth.** DuckDB refuses expressions nested deeper than
  :data:`MAX_EXPRESSION_DEPTH` (set at connect time); the parse tree's JSON is
  measured before it is decoded, the tree is walked without recursion, and a
  ``RecursionError`` anywhere still ends as the ``too_complex`` error kind —
  never a traceback.
* **Size.** What comes back is capped in rows × bytes (:class:`Caps`): a cell
  longer than ``cell_chars`` keeps its first characters and "…", a nested value
  (a list, a struct) that long becomes its cut JSON text, and rows past
  ``result_bytes`` are counted with the rows past the row limit. The
  result's ``notes`` say what was cut, so the model knows.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from agentcore_duckdb.confine import Policy, Violation, check_parse_tree, check_plan
from agentcore_duckdb.results import QueryError, QueryResult, jsonable

#: DuckDB's ``max_expression_depth`` for the tool's connections (its default is 1000, past
#: which Python's own JSON decoding and recursion limits would fail first).
MAX_EXPRESSION_DEPTH = 200
#: The deepest parse tree (as JSON nesting) decoded; deeper ones are refused unread.
MAX_JSON_DEPTH = 2000
TOO_COMPLEX_MESSAGE = (
    f"The query nests expressions or subqueries too deeply (more than {MAX_EXPRESSION_DEPTH} "
    "levels). Write it flatter: name intermediate results with WITH (a CTE) and combine them, "
    "instead of nesting calls, parentheses, CASEs or subqueries inside each other."
)
MEMORY_MESSAGE = (
    "The query needed more memory than allowed. Aggregate or filter, and avoid building "
    "very large strings or lists (repeat, lpad, string_agg, list, range)."
)

_KIND_BY_STATEMENT = {
    "SET": "settings_change",
    "VARIABLE_SET": "settings_change",
    "PRAGMA": "settings_change",
    "COPY": "file_access",
    "COPY_DATABASE": "file_access",
    "EXPORT": "file_access",
    "ATTACH": "file_access",
    "DETACH": "file_access",
    "LOAD": "extension",
    "EXTENSION": "extension",
    "MULTI": "unsupported_syntax",
}
_EXPLAIN = "EXPLAIN (FORMAT JSON) "
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]")


@dataclass(frozen=True)
class Caps:
    """How much of a result comes back: rows, characters per cell, bytes in all."""

    row_limit: int
    cell_chars: int
    result_bytes: int
    count_cap: int  # rows counted past the row limit, to say how many were left out


class Alarm:
    """Calls a function at a deadline, from one thread started once.

    The query process starts no thread per query: after a query exhausted its
    address space, starting one (its stack is a fresh mapping) could fail and
    take the next, innocent query down with it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[str, tuple[float, Any]] = {}
        thread = threading.Thread(target=self._loop, name="sql-alarm", daemon=True)
        thread.start()

    def set(self, name: str, after_s: float, call: Any) -> None:
        with self._cond:
            self._armed[name] = (time.monotonic() + after_s, call)
            self._cond.notify()

    def clear(self, name: str) -> None:
        with self._cond:
            self._armed.pop(name, None)
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [n for n, (at, _) in self._armed.items() if at <= now]
                calls = [self._armed.pop(n)[1] for n in due]
                if not calls:
                    wait = min((at for at, _ in self._armed.values()), default=now + 3600) - now
                    self._cond.wait(timeout=max(wait, 0.0))
                    continue
            for call in calls:
                # a late interrupt of a cursor already closed: nothing to do, keep ticking
                with contextlib.suppress(Exception):
                    call()


def execute(
    conn: Any,
    query: str,
    *,
    policy: Policy,
    hidden: frozenset[str],
    caps: Caps,
    timeout_s: float,
    alarm: Alarm | None = None,
) -> QueryResult:
    """Run one read-only query under the confinement, the caps and the time limit
    (DuckDB's interrupt, called by ``alarm``; a new one if none is given)."""
    started = time.perf_counter()
    if not query or not query.strip():
        return _failed(started, "empty_query", "Send one SELECT query.")
    alarm = alarm or Alarm()
    cursor = conn.cursor()
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        cursor.interrupt()

    alarm.set("interrupt", timeout_s, interrupt)
    try:
        return _run(cursor, query, policy, hidden, caps, started, fired)
    except RecursionError:
        return _failed(started, "too_complex", TOO_COMPLEX_MESSAGE)
    except (duckdb.Error, MemoryError) as exc:
        kind, message = _classify(exc, fired.is_set(), timeout_s, hidden)
        return _failed(started, kind, message)
    finally:
        alarm.clear("interrupt")
        cursor.close()


def _run(
    cursor: Any,
    query: str,
    policy: Policy,
    hidden: frozenset[str],
    caps: Caps,
    started: float,
    fired: threading.Event,
) -> QueryResult:
    try:
        statements = cursor.extract_statements(query)
    except duckdb.ParserException as exc:
        if _too_deep(exc):
            return _failed(started, "too_complex", TOO_COMPLEX_MESSAGE)
        return _failed(started, "syntax_error", _clean(exc))
    if not statements:
        return _failed(started, "empty_query", "Send one SELECT query.")
    if len(statements) > 1:
        return _failed(
            started,
            "multiple_statements",
            f"Send exactly one SELECT statement per call (got {len(statements)}).",
        )
    statement = statements[0]
    type_name = getattr(statement.type, "name", str(statement.type)).upper()
    if type_name != "SELECT":
        kind = _KIND_BY_STATEMENT.get(type_name, "not_read_only")
        return _failed(started, kind, _statement_message(kind, type_name))
    sql = statement.query
    (serialized,) = cursor.execute("SELECT json_serialize_sql($1)", [sql]).fetchone()
    if json_depth(serialized) > MAX_JSON_DEPTH:
        return _failed(started, "too_complex", TOO_COMPLEX_MESSAGE)
    tree = json.loads(serialized)
    if tree.get("error") and "expression depth" in str(tree.get("error_message", "")):
        return _failed(started, "too_complex", TOO_COMPLEX_MESSAGE)
    violation = check_parse_tree(tree, policy)
    if violation is None:
        try:
            plan = _logical_plan(cursor, sql)
        except duckdb.Error as exc:  # binding failed: report it as the query's own error
            if isinstance(exc, duckdb.InterruptException) or fired.is_set():
                raise
            if _too_deep(exc):
                return _failed(started, "too_complex", TOO_COMPLEX_MESSAGE)
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise  # planning folded constants (repeat('x', 10^9)): a memory error
            message = _clean(exc, strip=_EXPLAIN, hidden=hidden)
            return _failed(started, "query_error", message)
        violation = check_plan(plan, policy)
    if violation is not None:
        return _violation(started, violation)

    cursor.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    rows, dropped, cut_cells = _capped_rows(cursor.fetchmany(caps.row_limit), caps)
    more, at_least = dropped, False
    if len(rows) + dropped == caps.row_limit:
        try:
            counted = 0
            while counted < caps.count_cap:
                chunk = cursor.fetchmany(min(2048, caps.count_cap - counted))
                if not chunk:
                    break
                counted += len(chunk)
            else:
                at_least = bool(cursor.fetchmany(1))
            more += counted
        except duckdb.InterruptException:
            at_least = True
    notes = []
    if cut_cells:
        notes.append(
            f"{cut_cells} cell{'s' if cut_cells != 1 else ''} longer than {caps.cell_chars} "
            f"characters {'were' if cut_cells != 1 else 'was'} cut to {caps.cell_chars} "
            "(marked …)."
        )
    if dropped:
        notes.append(
            f"Only the first {len(rows)} row{'s' if len(rows) != 1 else ''} are shown: the "
            f"result is capped at {caps.result_bytes} bytes. Select fewer or shorter columns, "
            "or aggregate."
        )
    return QueryResult(
        columns=columns,
        rows=rows,
        duration_s=time.perf_counter() - started,
        more_rows=more,
        more_rows_at_least=at_least,
        notes=notes,
    )


def _capped_rows(raw_rows: list[Any], caps: Caps) -> tuple[list[list[Any]], int, int]:
    """The rows within the byte cap (cells cut to the cell cap), how many rows did not fit,
    and how many cells were cut."""
    rows: list[list[Any]] = []
    used = 0
    cut = 0
    for index, raw in enumerate(raw_rows):
        row = []
        for value in raw:
            cell, was_cut = _capped_cell(jsonable(value), caps.cell_chars)
            row.append(cell)
            cut += was_cut
        size = len(json.dumps(row, ensure_ascii=False).encode())
        if used + size > caps.result_bytes:
            return rows, len(raw_rows) - index, cut
        used += size
        rows.append(row)
    return rows, 0, cut


def _capped_cell(value: Any, limit: int) -> tuple[Any, bool]:
    if isinstance(value, str):
        return (value, False) if len(value) <= limit else (value[:limit] + "…", True)
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
        return (value, False) if len(text) <= limit else (text[:limit] + "…", True)
    return value, False


def json_depth(text: str) -> int:
    """How deeply JSON ``text`` nests arrays and objects, measured without decoding it."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if not brackets:
        return 0
    return max(itertools.accumulate(1 if ch in "[{" else -1 for ch in brackets))


def timeout_message(timeout_s: float) -> str:
    return (
        f"The query was stopped after {timeout_s:g} s. Make it cheaper: filter early, "
        "aggregate, avoid cross joins and building very large values."
    )


def _too_deep(exc: BaseException) -> bool:
    return "max expression depth" in str(exc).lower()


def _logical_plan(conn: Any, sql: str) -> list[Any]:
    """The unoptimized logical plan of ``sql`` (the connection has explain_output='all')."""
    rows = conn.execute(_EXPLAIN + sql).fetchall()
    by_kind = {str(k): v for k, v in rows}
    text = by_kind.get("logical_plan")
    if text is None:
        raise RuntimeError(f"DuckDB's EXPLAIN gave no logical plan ({sorted(by_kind)})")
    plan = json.loads(text)
    return plan if isinstance(plan, list) else [plan]


def _failed(started: float, kind: str, message: str) -> QueryResult:
    return QueryResult(
        error=QueryError(kind=kind, message=message), duration_s=time.perf_counter() - started
    )


def _violation(started: float, violation: Violation) -> QueryResult:
    return _failed(started, violation.kind, violation.message)


def _classify(
    exc: BaseException, timed_out: bool, timeout_s: float, hidden: frozenset[str] = frozenset()
) -> tuple[str, str]:
    if isinstance(exc, duckdb.InterruptException) or timed_out:
        return "timeout", timeout_message(timeout_s)
    if _too_deep(exc):
        return "too_complex", TOO_COMPLEX_MESSAGE
    if isinstance(exc, duckdb.OutOfMemoryException | MemoryError):
        return "memory_limit", MEMORY_MESSAGE
    if isinstance(exc, duckdb.PermissionException):
        return "file_access", "Reading or writing files is not allowed."
    if isinstance(exc, duckdb.ParserException):
        return "syntax_error", _clean(exc)
    return "query_error", _clean(exc, hidden=hidden)


def _statement_message(kind: str, type_name: str) -> str:
    if kind == "settings_change":
        return "Settings cannot be changed (SET, RESET, PRAGMA, USE). Send one SELECT query."
    if kind == "file_access":
        return (
            f"Files and other databases are out of reach ({type_name} is not allowed). "
            "Send one SELECT query over the given tables."
        )
    if kind == "extension":
        return "Extensions cannot be installed or loaded. Send one SELECT query."
    if kind == "unsupported_syntax":
        return (
            "This statement expands into several statements (PIVOT without an IN list?). "
            "List the values: PIVOT t ON col IN ('a', 'b') USING sum(x)."
        )
    return (
        f"Only a read-only SELECT (or WITH ... SELECT) query is allowed, not "
        f"{type_name.replace('_', ' ')}. The database cannot be changed."
    )


def _clean(
    exc: BaseException, limit: int = 500, strip: str = "", hidden: frozenset[str] = frozenset()
) -> str:
    """DuckDB's message without blank lines, capped.

    ``strip`` is a prefix we added to the query (EXPLAIN). "Did you mean ...?"
    lines that suggest a ``hidden`` name (a table, schema or macro the model was
    not given) are dropped: a misspelt function must not reveal a macro's name.
    """
    lines = [line.rstrip() for line in str(exc).splitlines() if line.strip()]
    lines = [
        line
        for line in lines
        if not (line.startswith("Did you mean") and _words(line.lower()) & hidden)
    ]
    if strip:
        for i, line in enumerate(lines):
            head, sep, rest = line.partition(strip)
            if sep and head.startswith("LINE "):
                lines[i] = head + rest
                if i + 1 < len(lines) and lines[i + 1].startswith(" " * len(strip)):
                    lines[i + 1] = lines[i + 1][len(strip) :]
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(text: str) -> set[str]:
    word: list[str] = []
    words: set[str] = set()
    for ch in text + " ":
        if ch.isalnum() or ch == "_":
            word.append(ch)
        elif word:
            words.add("".join(word))
            word = []
    return words
