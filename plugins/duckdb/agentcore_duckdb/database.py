"""A DuckDB database a model may query, confined to the tables it was given.

Design — three layers, each enforced by DuckDB itself, none by regular expressions:

1. **The engine cannot write, touch files or change settings.** The database is
   opened with ``duckdb.connect(path, read_only=True, config=...)`` where the
   configuration disables external access (no file, network or ``ATTACH``: the
   only paths DuckDB will touch are the database file and its WAL), extension
   installing and autoloading, community extensions, Python replacement scans
   (a query cannot read a Python variable by name) and spilling to a temp
   directory; caps memory; and sets ``lock_configuration`` in the same
   connect call, so no statement can undo any of this and there is no moment
   in which the configuration is open. Whatever SQL got past the checks
   below, DuckDB would still refuse to write or read files.
2. **One SELECT, as DuckDB parses it.** ``connection.extract_statements`` must
   return exactly one statement of type ``StatementType.SELECT`` (``WITH``,
   ``VALUES``, ``FROM``-first, ``DESCRIBE`` and ``SUMMARIZE`` are SELECTs);
   every other type is refused with a kind naming why (writes, settings,
   files, extensions). Then the parse tree from ``json_serialize_sql`` is
   walked (:mod:`agentcore_duckdb.confine`): table references must be given
   tables or in-scope CTEs, table functions only generators, no catalog or
   settings introspection, no user macros, no SHOW. Unknown constructs are
   refused. This happens *before* binding, so other tables' names never reach
   the binder (whose "Did you mean ...?" hints would reveal them).
3. **The bound plan reads only given tables.** ``EXPLAIN (FORMAT JSON)`` with
   ``explain_output='all'`` yields the unoptimized logical plan (the optimized
   one may have folded an uncorrelated subquery into a constant); every leaf
   must be a scan of a table the given tables or views resolve to, or a pure
   generator. This catches views and macros that expand into other tables
   and system views such as ``information_schema`` that read the catalog.

Why not expose only the allowed tables through views in a separate in-memory
database that ATTACHes the file? DuckDB has no per-object permissions: any
attached catalog is reachable by its qualified name, so the same checks would
be needed anyway, and ATTACH needs external access enabled while it runs.
Opening the file directly read-only leaves DuckDB's own guarantees in charge.

DuckDB 1.5 is the first release that accepts ``explain_output`` as a global
option at connect time (before, it is per-connection, and a locked
configuration forbids setting it on the cursor of each query), hence
``duckdb>=1.5``.

The time limit is DuckDB's own ``connection.interrupt()``, called from a timer
thread on the cursor running the query (parse, plan check, execution and
fetching). Each query runs on its own cursor, so a ``SqlDatabase`` can serve
several threads. DuckDB
refuses to open one file twice in a process with different settings: the tool
cannot share a file with a read-write connection in the same process (a clear
:class:`~agentcore.errors.ConfigError` says so).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from agentcore.errors import ConfigError
from agentcore_duckdb.confine import (
    DENIED_SCALAR_FUNCTIONS,
    AllowedTable,
    Policy,
    Violation,
    check_parse_tree,
    check_plan,
    plan_scans,
)
from agentcore_duckdb.results import QueryError, QueryResult, jsonable

DEFAULT_ROW_LIMIT = 50
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MEMORY_LIMIT = "1GB"
#: Rows counted past the row limit to say how many were left out.
COUNT_CAP = 100_000

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


class UnknownTableError(ConfigError):
    """A configured table is not in the database (the message lists what is)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class TableInfo:
    table: AllowedTable
    columns: tuple[Column, ...]
    rows: int | None  # None for views (counting could be costly)
    comment: str = ""


def parse_tables(tables: str | Iterable[str] | None) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` → ``["a", "b"]`` (empty entries dropped)."""
    if tables is None:
        return []
    items = tables.split(",") if isinstance(tables, str) else list(tables)
    return [str(t).strip() for t in items if str(t).strip()]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqlDatabase:
    """Read-only, confined SQL over a DuckDB file.

    ``tables`` names the tables or views the model may read (``"orders"``,
    ``"sales.orders"``). ``row_limit`` caps the rows returned, ``timeout_s``
    the time one query may take, ``memory_limit`` DuckDB's memory.
    """

    def __init__(
        self,
        path: str | Path,
        tables: str | Iterable[str],
        *,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int | None = None,
        max_cell: int = 40,
    ) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise ConfigError(
                f"DuckDB database {str(self.path)!r} does not exist; give the path of an "
                "existing .duckdb file"
            )
        names = parse_tables(tables)
        if not names:
            raise ConfigError(
                f"no tables given for {str(self.path)!r}: name the tables or views the model "
                "may query (e.g. tables=['orders', 'customers'] or --tables orders,customers)"
            )
        if row_limit < 1 or timeout_s <= 0:
            raise ConfigError("row_limit must be at least 1 and timeout_s positive")
        self.row_limit = row_limit
        self.timeout_s = timeout_s
        self.max_cell = max_cell
        config: dict[str, Any] = {
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "python_enable_replacements": False,
            "temp_directory": "",
            "memory_limit": memory_limit,
            "explain_output": "all",  # EXPLAIN shows the unoptimized logical plan too
            "lock_configuration": True,
        }
        if threads:
            config["threads"] = threads
        try:
            self._conn = duckdb.connect(str(self.path), read_only=True, config=config)
        except duckdb.Error as exc:
            raise ConfigError(_open_error(self.path, exc)) from exc
        try:
            self.policy, self.tables = self._inspect(names)
        except BaseException:
            self._conn.close()
            raise

    # -- setup ------------------------------------------------------------------------------

    def _inspect(self, names: Sequence[str]) -> tuple[Policy, tuple[TableInfo, ...]]:
        conn = self._conn
        (catalog,) = conn.execute("SELECT current_database()").fetchone() or ("",)
        objects = conn.execute(
            "SELECT database_name, schema_name, table_name, false, comment FROM duckdb_tables() "
            "WHERE database_name = $1 AND NOT internal UNION ALL "
            "SELECT database_name, schema_name, view_name, true, comment FROM duckdb_views() "
            "WHERE database_name = $1 AND NOT internal",
            [catalog],
        ).fetchall()
        allowed: list[AllowedTable] = []
        comments: dict[AllowedTable, str] = {}
        for label in dict.fromkeys(names):
            found = _resolve(label, catalog, objects)
            if found is None:
                listing = ", ".join(
                    sorted(f"{s}.{t}" if s != "main" else t for _, s, t, _, _ in objects)
                )
                raise UnknownTableError(
                    f"table {label!r} is not in DuckDB database {str(self.path)!r}; "
                    f"tables and views there: {listing or 'none'}"
                )
            db, schema, name, is_view, comment = found
            table = AllowedTable(label, db, schema, name, bool(is_view))
            allowed.append(table)
            comments[table] = comment or ""

        functions = conn.execute(
            "SELECT DISTINCT lower(function_name), database_name, schema_name, function_type "
            "FROM duckdb_functions()"
        ).fetchall()
        system_main = {n for n, db, s, _ in functions if db == "system" and s == "main"}
        pg_only = {n for n, db, s, _ in functions if db == "system" and s == "pg_catalog"}
        user = {n for n, db, _, _ in functions if db not in ("system", "temp")}
        table_functions = {
            n for n, _, _, kind in functions if kind in ("table", "table_macro", "pragma")
        }
        policy = Policy(
            tables=tuple(allowed),
            denied_functions=DENIED_SCALAR_FUNCTIONS | (pg_only - system_main),
            user_functions=frozenset(user),
            table_functions=frozenset(table_functions),
        )
        # What the allowed tables and views read, as DuckDB's plans name it.
        plans: dict[AllowedTable, list[Any]] = {}
        for table in allowed:
            try:
                plans[table] = _logical_plan(conn, f"SELECT * FROM {_qualified(table)}")
            except duckdb.Error as exc:
                raise ConfigError(
                    f"{table.label!r} in {str(self.path)!r} cannot be read: {_clean(exc)}"
                ) from exc
        scans = set().union(*(plan_scans(plan) for plan in plans.values()))
        policy = replace(policy, plan_tables=frozenset(scans))
        for table, plan in plans.items():
            violation = check_plan(plan, policy)
            if violation is not None:
                raise ConfigError(
                    f"view {table.label!r} cannot be offered to the SQL tool: {violation.message}"
                )
        infos = tuple(self._table_info(table, comments[table]) for table in allowed)
        visible = {t.name.lower() for t in allowed} | {t.schema.lower() for t in allowed}
        hidden = {str(x).lower() for obj in objects for x in obj[1:3]} | user
        self._hidden_names = frozenset(hidden - visible)
        return policy, infos

    def _table_info(self, table: AllowedTable, comment: str) -> TableInfo:
        columns = self._conn.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 "
            "ORDER BY column_index",
            [table.catalog, table.schema, table.name],
        ).fetchall()
        rows = None
        if not table.is_view:
            counted = self._conn.execute(f"SELECT count(*) FROM {_qualified(table)}").fetchone()
            rows = int(counted[0]) if counted else None
        return TableInfo(
            table,
            tuple(Column(str(n), str(t), str(c or "")) for n, t, c in columns),
            rows,
            comment,
        )

    # -- what the model sees --------------------------------------------------------------

    def describe(self) -> str:
        """The tables the model may query, with columns and types, one line each."""
        lines = ["Tables you can query (DuckDB SQL, one read-only SELECT per call):"]
        for info in self.tables:
            notes = [
                "view" if info.rows is None else f"{info.rows} row{'' if info.rows == 1 else 's'}"
            ]
            if info.comment:
                notes.append(info.comment)
            columns = ", ".join(
                f"{c.name} {c.type}" + (f" ({c.comment})" if c.comment else "")
                for c in info.columns
            )
            lines.append(f"- {info.table.label} ({'; '.join(notes)}): {columns}")
        return "\n".join(lines)

    @property
    def table_names(self) -> list[str]:
        return [t.label for t in self.policy.tables]

    # -- running a query ------------------------------------------------------------------

    def run(self, query: str, *, row_limit: int | None = None) -> QueryResult:
        """Run one read-only query under the confinement, the row cap and the time limit."""
        started = time.perf_counter()
        limit = row_limit or self.row_limit
        if not query or not query.strip():
            return _failed(started, "empty_query", "Send one SELECT query.")
        cursor = self._conn.cursor()
        fired = threading.Event()

        def interrupt() -> None:
            fired.set()
            cursor.interrupt()

        timer = threading.Timer(self.timeout_s, interrupt)
        timer.daemon = True
        timer.start()
        try:
            return self._run(cursor, query, limit, started, fired)
        except duckdb.Error as exc:
            kind, message = _classify(exc, fired.is_set(), self.timeout_s, self._hidden_names)
            return _failed(started, kind, message)
        finally:
            timer.cancel()
            cursor.close()

    def _run(
        self, cursor: Any, query: str, limit: int, started: float, fired: threading.Event
    ) -> QueryResult:
        try:
            statements = cursor.extract_statements(query)
        except duckdb.ParserException as exc:
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
        violation = check_parse_tree(json.loads(serialized), self.policy)
        if violation is None:
            try:
                plan = _logical_plan(cursor, sql)
            except duckdb.Error as exc:  # binding failed: report it as the query's own error
                if isinstance(exc, duckdb.InterruptException) or fired.is_set():
                    raise
                message = _clean(exc, strip=_EXPLAIN, hidden=self._hidden_names)
                return _failed(started, "query_error", message)
            violation = check_plan(plan, self.policy)
        if violation is not None:
            return _violation(started, violation)

        cursor.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = [[jsonable(v) for v in row] for row in cursor.fetchmany(limit)]
        more, at_least = 0, False
        if len(rows) == limit:
            try:
                while more < COUNT_CAP:
                    chunk = cursor.fetchmany(min(2048, COUNT_CAP - more))
                    if not chunk:
                        break
                    more += len(chunk)
                else:
                    at_least = bool(cursor.fetchmany(1))
            except duckdb.InterruptException:
                at_least = True
        return QueryResult(
            columns=columns,
            rows=rows,
            duration_s=time.perf_counter() - started,
            more_rows=more,
            more_rows_at_least=at_least,
        )

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqlDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlDatabase({str(self.path)!r}, tables={self.table_names!r})"


# --- helpers -------------------------------------------------------------------------------


def _logical_plan(conn: Any, sql: str) -> list[Any]:
    """The unoptimized logical plan of ``sql`` (the connection has explain_output='all')."""
    rows = conn.execute(_EXPLAIN + sql).fetchall()
    by_kind = {str(k): v for k, v in rows}
    text = by_kind.get("logical_plan")
    if text is None:
        raise RuntimeError(f"DuckDB's EXPLAIN gave no logical plan ({sorted(by_kind)})")
    plan = json.loads(text)
    return plan if isinstance(plan, list) else [plan]


def _resolve(label: str, catalog: str, objects: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    parts = [p.strip().strip('"') for p in label.split(".")]
    if len(parts) == 1:
        want = (catalog, "main", parts[0])
    elif len(parts) == 2:
        want = (catalog, parts[0], parts[1])
    elif len(parts) == 3:
        want = (parts[0], parts[1], parts[2])
    else:
        return None
    want_lower = tuple(w.lower() for w in want)
    for obj in objects:
        if tuple(str(x).lower() for x in obj[:3]) == want_lower:
            return obj
    return None


def _qualified(table: AllowedTable) -> str:
    return ".".join(quote_ident(p) for p in (table.catalog, table.schema, table.name))


def _failed(started: float, kind: str, message: str) -> QueryResult:
    return QueryResult(
        error=QueryError(kind=kind, message=message), duration_s=time.perf_counter() - started
    )


def _violation(started: float, violation: Violation) -> QueryResult:
    return _failed(started, violation.kind, violation.message)


def _classify(
    exc: Exception, timed_out: bool, timeout_s: float, hidden: frozenset[str] = frozenset()
) -> tuple[str, str]:
    if isinstance(exc, duckdb.InterruptException) or timed_out:
        return "timeout", (
            f"The query was stopped after {timeout_s:g} s. Make it cheaper: filter early, "
            "aggregate, avoid cross joins."
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "memory_limit", "The query needed more memory than allowed; aggregate or filter."
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


def _open_error(path: Path, exc: duckdb.Error) -> str:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = ""
    if "different configuration" in first:
        hint = (
            "; this process already has the file open with other settings (e.g. a read-write "
            "connection): close that connection first"
        )
    elif "lock" in first.lower():
        hint = "; another process is writing to it: stop that process or query a copy"
    return f"cannot open DuckDB database {str(path)!r} read-only: {first}{hint}"
