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
   settings introspection, no user macros, no sequences, no SHOW, and types
   only built-in ones or those the given tables' columns use (an ENUM of a
   hidden table would list its values). Unknown constructs are refused. This
   happens *before* binding, so other tables' and types' names never reach the
   binder (whose "Did you mean ...?" hints would reveal them); hints that still
   name a hidden table, schema, macro, type or sequence are dropped.
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

Resources. DuckDB's ``memory_limit`` bounds its buffer manager, not values
built outside it: ``repeat``, ``lpad``/``rpad``, ``printf`` widths and ``range``
as a list allocate freely, and the optimizer folds such constants while merely
planning; some of them ignore the interrupt for a minute. So the model's
queries never run in the engine's process: this object reads the catalog on
its own connection, and each query — parse, checks, plan, execution, fetch —
runs in a query process (:mod:`agentcore_duckdb.worker`, started on first use,
one per ``SqlDatabase``, queries one at a time) whose whole address space is
capped (``RLIMIT_AS``: ``memory_limit`` plus :data:`PROCESS_HEADROOM_BYTES`),
with DuckDB's ``memory_limit``, ``threads`` (2 by default) and
``max_expression_depth`` set. The time limit is DuckDB's own
``interrupt()`` from a timer in that process; a query still running
:data:`KILL_GRACE_S` later has its process killed, and the next query starts a
new one. What comes back is capped in rows × bytes (``max_cell_chars`` per
cell, ``max_result_bytes`` in all) with ``notes`` saying what was cut
(:mod:`agentcore_duckdb.execute`). DuckDB refuses to open one file twice in a
process with different settings: the tool cannot share a file with a
read-write connection in the same process (a clear
:class:`~agentcore.errors.ConfigError` says so).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from agentcore.plugin import ConfigError
from agentcore_duckdb.confine import (
    DENIED_SCALAR_FUNCTIONS,
    AllowedTable,
    Policy,
    check_plan,
    plan_scans,
)
from agentcore_duckdb.execute import (
    MAX_EXPRESSION_DEPTH,
    MEMORY_MESSAGE,
    Caps,
    _clean,
    _logical_plan,
    timeout_message,
)
from agentcore_duckdb.process import ProcessDied, ProcessSetupError, ProcessTimeout, QueryProcess
from agentcore_duckdb.results import QueryError, QueryResult
from agentcore_duckdb.settings import DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT_S

DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
#: Characters per cell, and bytes in all, of the rows a query returns (see execute.Caps).
DEFAULT_MAX_CELL_CHARS = 1000
DEFAULT_MAX_RESULT_BYTES = 32_000
#: The query process's address space beyond DuckDB's memory limit (interpreter, DuckDB's
#: code and threads, values built outside the buffer manager, the result in Python).
PROCESS_HEADROOM_BYTES = 1 << 30
#: How long past the time limit a query's process is given before it is killed.
KILL_GRACE_S = 2.0
#: Rows counted past the row limit to say how many were left out.
COUNT_CAP = 100_000
#: Type names a query may use besides DuckDB's internal list (extension types built in).
EXTENSION_TYPES = ("json",)


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
    the time one query may take, ``memory_limit`` DuckDB's memory and
    ``threads`` its threads; ``max_cell_chars`` and ``max_result_bytes`` cap the
    size of what comes back, ``process_memory_limit`` (bytes) the whole query
    process (default: ``memory_limit`` plus :data:`PROCESS_HEADROOM_BYTES`).
    Queries run in a child process (:mod:`agentcore_duckdb.worker`), one at a
    time per ``SqlDatabase``; threads may share one.
    """

    def __init__(
        self,
        path: str | Path,
        tables: str | Iterable[str],
        *,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int | None = DEFAULT_THREADS,
        max_cell: int = 40,
        max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        process_memory_limit: int | None = None,
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
        if max_cell_chars < 1 or max_result_bytes < 1:
            raise ConfigError("max_cell_chars and max_result_bytes must be at least 1")
        self.row_limit = row_limit
        self.timeout_s = timeout_s
        self.max_cell = max_cell
        self.max_cell_chars = max_cell_chars
        self.max_result_bytes = max_result_bytes
        config: dict[str, Any] = {
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "python_enable_replacements": False,
            "temp_directory": "",
            "memory_limit": memory_limit,
            "max_expression_depth": MAX_EXPRESSION_DEPTH,
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
        # The model's queries never run on this connection (it only read the catalog above):
        # they run in the query process, whose whole address space is capped.
        self.process_memory_limit = process_memory_limit or (
            _memory_bytes(memory_limit) + PROCESS_HEADROOM_BYTES
        )
        self._process = QueryProcess(
            {
                "path": str(self.path.resolve()),
                "config": config,
                "address_space_bytes": self.process_memory_limit,
                "watchdog_grace_s": KILL_GRACE_S + 3.0,
            }
        )
        self._process_lock = threading.Lock()

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
        visible_types, hidden_types = self._user_types(catalog, allowed)
        policy = Policy(
            tables=tuple(allowed),
            denied_functions=DENIED_SCALAR_FUNCTIONS | (pg_only - system_main),
            user_functions=frozenset(user),
            table_functions=frozenset(table_functions),
            type_names=self._builtin_types() | {name for _, _, name in visible_types},
            user_types=frozenset(visible_types),
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
        visible |= {name for _, _, name in visible_types}
        sequences = {
            str(name).lower()
            for (name,) in conn.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall()
        }
        hidden = {str(x).lower() for obj in objects for x in obj[1:3]} | user
        hidden |= {name for _, _, name in hidden_types} | sequences
        self._hidden_names = frozenset(hidden - visible)
        return policy, infos

    def _builtin_types(self) -> frozenset[str]:
        """Names of DuckDB's own types (``int``, ``varchar``, ``struct`` ...), lower case."""
        names = {
            str(name).lower()
            for (name,) in self._conn.execute(
                "SELECT DISTINCT type_name FROM duckdb_types() WHERE internal"
            ).fetchall()
        }
        for name in EXTENSION_TYPES:  # built into this DuckDB, yet not listed as internal
            try:
                self._conn.execute(f"SELECT CAST(NULL AS {name})").fetchall()
            except duckdb.Error:
                continue
            names.add(name)
        return frozenset(names)

    def _user_types(
        self, catalog: str, allowed: Sequence[AllowedTable]
    ) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
        """The user-defined types, split into those the allowed tables' columns use (the
        model sees their values anyway) and the rest (an ENUM of a hidden table lists that
        table's values, so those stay out of reach)."""
        defined = self._conn.execute(
            "SELECT database_name, schema_name, type_name FROM duckdb_types() "
            "WHERE NOT internal AND database_name = $1",
            [catalog],
        ).fetchall()
        used = " ".join(
            str(data_type)
            for table in allowed
            for (data_type,) in self._conn.execute(
                "SELECT data_type FROM duckdb_columns() "
                "WHERE database_name = $1 AND schema_name = $2 AND table_name = $3",
                [table.catalog, table.schema, table.name],
            ).fetchall()
        )
        visible: set[tuple[str, str, str]] = set()
        hidden: set[tuple[str, str, str]] = set()
        for db, schema, name in defined:
            key = (str(db).lower(), str(schema).lower(), str(name).lower())
            (spelled,) = self._conn.execute(
                f"SELECT typeof(CAST(NULL AS {'.'.join(map(quote_ident, (db, schema, name)))}))"
            ).fetchone() or ("",)
            # A column shows the type spelled out (ENUM('a', 'b')), or by name.
            shown = str(spelled) in used or re.search(rf"\b{re.escape(str(name))}\b", used)
            (visible if shown else hidden).add(key)
        return visible, hidden

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
        """Run one read-only query under the confinement, the caps and the time limit.

        It runs in the query process (:mod:`agentcore_duckdb.worker`): a query past its time
        limit that DuckDB's interrupt does not stop, or one that exhausts the process's
        memory, ends that process — never this one — and the next query starts a new one.
        """
        started = time.perf_counter()
        if not query or not query.strip():
            return QueryResult(
                error=QueryError(kind="empty_query", message="Send one SELECT query."),
                duration_s=time.perf_counter() - started,
            )
        caps = Caps(
            row_limit=row_limit or self.row_limit,
            cell_chars=self.max_cell_chars,
            result_bytes=self.max_result_bytes,
            count_cap=COUNT_CAP,
        )
        request: dict[str, Any] = {
            "query": query,
            "timeout_s": self.timeout_s,
            "caps": asdict(caps),
            "hidden": sorted(self._hidden_names),
        }
        with self._process_lock:
            started = time.perf_counter()  # waiting for another thread's query is not counted
            if self._process.policy_sent is not self.policy:
                request["policy"] = self.policy.to_json()
            try:
                answer = self._process.request(request, self.timeout_s + KILL_GRACE_S)
            except ProcessTimeout:
                return _failed(started, "timeout", timeout_message(self.timeout_s))
            except ProcessDied as exc:
                limit = self.process_memory_limit / (1 << 20)
                return _failed(
                    started,
                    "memory_limit",
                    f"{MEMORY_MESSAGE} (The query's process was ended: {exc.how}; it may use "
                    f"{limit:.0f} MiB.)",
                )
            except ProcessSetupError as exc:
                return _failed(
                    started, "query_error", f"The database could not be opened for queries: {exc}"
                )
            self._process.policy_sent = self.policy
            result = QueryResult.model_validate(answer)
            if result.error is not None and result.error.kind == "memory_limit":
                # A process that ran out of address space may be left fragmented or holding
                # memory: the next query gets a fresh one rather than inherit the failure.
                self._process.stop()
        return result.model_copy(update={"duration_s": time.perf_counter() - started})

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        with self._process_lock:
            self._process.stop()
        self._conn.close()

    def __enter__(self) -> SqlDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlDatabase({str(self.path)!r}, tables={self.table_names!r})"


# --- helpers -------------------------------------------------------------------------------


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


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def _memory_bytes(limit: str) -> int:
    """DuckDB's memory limit (``"1GB"``, ``"512MiB"``, ``"80%"``) in bytes."""
    text = str(limit).strip().lower().replace(" ", "")
    if text.endswith("%"):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return int(total * float(text[:-1]) / 100)
    match = re.fullmatch(r"([0-9.]+)([a-z]*)", text)
    if not match or match.group(2) not in _UNITS:
        raise ConfigError(f"memory_limit {limit!r} is not a size such as '1GB' or '512MiB'")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


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
