"""Deciding whether one parsed query stays inside the tables it was given.

Two independent checks, both over structures DuckDB itself produces (no SQL
text is matched with regular expressions):

* :func:`check_parse_tree` walks the statement as DuckDB's parser sees it
  (``json_serialize_sql``). Every table reference must be an allowed table or
  a common table expression in scope; table functions are limited to pure
  generators (``range``, ``generate_series``, ``unnest``); file readers,
  catalog and settings introspection and user-defined macros are refused.
  Any table-reference kind it does not know is refused too (fail closed).
  Type names (casts, ``PIVOT ... IN type``) must be built-in types or
  user-defined types that the allowed tables' columns use: an ENUM of a hidden
  table would list that table's values (``enum_range(NULL::t)``), and a hidden
  type is refused with the same words as one that does not exist. Sequences
  (``nextval``/``currval``) are out of reach.
  Because this runs before the query is bound, names of other tables and types
  never reach DuckDB's binder, whose "Did you mean ...?" hints would leak them.
  The walk is iterative (an explicit stack), so no nesting depth makes it fail
  with ``RecursionError``; DuckDB's own ``max_expression_depth`` bounds depth.
* :func:`check_plan` walks the *unoptimized* logical plan of the bound query
  (``EXPLAIN (FORMAT JSON)`` with ``explain_output='all'``). Every data source
  must be a scan of a table the allowed tables (or allowed views) resolve to,
  or a harmless generator. This catches what a parse tree cannot show: views,
  macros and system shims (``pg_get_viewdef``, ``information_schema``) that
  expand into reads of other tables or of the catalog.

A violation is returned as :class:`Violation` (a kind from
:mod:`agentcore_duckdb.results` and a message meant for the model).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Table functions that only generate values: no catalog, no files, no SQL.
SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

#: Scalar functions that introspect the engine (settings, environment, logs,
#: storage) rather than compute on data. Catalog shims from ``pg_catalog`` are
#: added at runtime from ``duckdb_functions()``.
DENIED_SCALAR_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getenv",
        "getvariable",
        "write_log",
        "get_block_size",
        "current_schemas",
        "in_search_path",
        "which_secret",
        "nextval",  # sequences: catalog objects, and "Did you mean" names hidden ones
        "currval",
    }
)

#: Functions that read files (blocked by the engine anyway; named so the model
#: is told the real reason).
_FILE_FUNCTION_PREFIXES = ("read_", "parquet_", "sniff_", "iceberg_", "delta_")
_FILE_FUNCTIONS = frozenset({"glob", "parquet_scan", "csv_scan", "sqlite_scan"})

# Table references a SELECT may contain, as named by DuckDB's serializer.
_WALKED_REFS = frozenset({"JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "PIVOT"})

# Leaves of a logical plan that produce rows without reading stored data.
_SAFE_PLAN_LEAVES = frozenset(
    {
        "DUMMY_SCAN",
        "EXPRESSION_GET",
        "CHUNK_GET",
        "COLUMN_DATA_SCAN",
        "CTE_SCAN",
        "DELIM_GET",
        "EMPTY_RESULT",
        "RANGE",
        "GENERATE_SERIES",
        "UNNEST",
    }
)


@dataclass(frozen=True)
class Violation:
    """Why a query was refused: a kind (see ``results.ERROR_KINDS``) and a message."""

    kind: str
    message: str


@dataclass(frozen=True)
class AllowedTable:
    """A table or view the model may read, as resolved in the database catalog."""

    label: str  # how the user named it; shown to the model
    catalog: str
    schema: str
    name: str
    is_view: bool = False

    def matches(self, catalog: str, schema: str, name: str) -> bool:
        """Would DuckDB bind the reference ``catalog.schema.name`` to this table?

        Unqualified names resolve through the search path, whose first real
        schema is ``main``; ``x.name`` may mean schema ``x`` or catalog ``x``.
        The plan check verifies the binding independently.
        """
        catalog, schema, name = catalog.lower(), schema.lower(), name.lower()
        if name != self.name.lower():
            return False
        my_catalog, my_schema = self.catalog.lower(), self.schema.lower()
        if catalog:
            return (
                catalog == my_catalog
                and schema in ("", my_schema)
                and (schema or my_schema == "main")
            )
        if schema:
            return schema == my_schema or (schema == my_catalog and my_schema == "main")
        return my_schema == "main"


@dataclass(frozen=True)
class Policy:
    """What a query may touch."""

    tables: tuple[AllowedTable, ...]
    denied_functions: frozenset[str] = DENIED_SCALAR_FUNCTIONS
    user_functions: frozenset[str] = field(default_factory=frozenset)
    plan_tables: frozenset[str] = field(default_factory=frozenset)
    table_functions: frozenset[str] = field(default_factory=frozenset)
    #: Type names a query may use unqualified (lower case): built-in types and the
    #: user-defined types the allowed tables' columns use. Empty refuses every type.
    type_names: frozenset[str] = field(default_factory=frozenset)
    #: The visible user-defined types as (catalog, schema, name), lower case.
    user_types: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)

    def allows(self, catalog: str, schema: str, name: str) -> bool:
        return any(t.matches(catalog, schema, name) for t in self.tables)

    def allows_type(self, catalog: str, schema: str, name: str) -> bool:
        catalog, schema, name = catalog.lower(), schema.lower(), name.lower()
        if not catalog and not schema:
            return name in self.type_names
        return any(
            name == n and schema in ("", s) and catalog in ("", c) and (catalog or schema)
            for c, s, n in self.user_types
        ) or (schema == catalog == "" and name in self.type_names)

    @property
    def listing(self) -> str:
        return ", ".join(t.label for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        """The policy as JSON-friendly data (the query process receives it with each query)."""
        data = asdict(self)
        data["tables"] = [asdict(t) for t in self.tables]
        for key, value in data.items():
            if isinstance(value, frozenset):
                data[key] = sorted(value)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        return cls(
            tables=tuple(AllowedTable(**t) for t in data["tables"]),
            denied_functions=frozenset(data["denied_functions"]),
            user_functions=frozenset(data["user_functions"]),
            plan_tables=frozenset(data["plan_tables"]),
            table_functions=frozenset(data["table_functions"]),
            type_names=frozenset(data["type_names"]),
            user_types=frozenset(tuple(t) for t in data["user_types"]),
        )


# --- parse tree ------------------------------------------------------------------------


def check_parse_tree(tree: Mapping[str, Any], policy: Policy) -> Violation | None:
    """Check a ``json_serialize_sql`` result for one SELECT statement."""
    if tree.get("error"):
        message = str(tree.get("error_message", "the statement could not be analysed"))
        return Violation("unsupported_syntax", f"This query form is not supported: {message}")
    statements = tree.get("statements")
    if not isinstance(statements, list) or len(statements) != 1:
        return Violation("multiple_statements", "Send exactly one SELECT statement.")
    try:
        _Walker(policy).walk(statements[0], frozenset())
    except _Refused as refused:
        return refused.violation
    return None


class _Refused(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


class _Walker:
    """Walks the parse tree with an explicit stack of (node, CTEs in scope): no recursion,
    so a deeply nested query cannot make the check itself fail."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.stack: list[tuple[Any, frozenset[str]]] = []

    def refuse(self, kind: str, message: str) -> None:
        raise _Refused(Violation(kind, message))

    def walk(self, root: Any, ctes: frozenset[str]) -> None:
        self.stack.append((root, ctes))
        while self.stack:
            node, scope = self.stack.pop()
            self.visit(node, scope)

    def push(self, node: Any, ctes: frozenset[str]) -> None:
        self.stack.append((node, ctes))

    def visit(self, node: Any, ctes: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in reversed(node):
                self.push(item, ctes)
            return
        if not isinstance(node, dict):
            return
        bodies: list[tuple[Any, frozenset[str]]] = []
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict) and cte_map.get("map"):
            ctes, bodies = self.scope_ctes(cte_map["map"], ctes)
        if node.get("type") == "RECURSIVE_CTE_NODE":
            name = str(node.get("cte_name") or node.get("ctename") or "").lower()
            self.push_rest(node, ctes, skip={"cte_map", "left", "right"})
            self.push(node.get("right"), ctes | {name} if name else ctes)
            self.push(node.get("left"), ctes)
        elif _is_table_ref(node):
            self.check_table_ref(node, ctes)
        else:
            if node.get("class") in ("FUNCTION", "WINDOW", "AGGREGATE"):
                self.check_scalar_function(node)
            elif node.get("class") == "TYPE":
                self.check_type(node)
            self.push_rest(node, ctes, skip={"cte_map"})
        for body in reversed(bodies):  # CTE bodies first, as they are written
            self.push(*body)

    def push_rest(self, node: dict[str, Any], ctes: frozenset[str], skip: set[str]) -> None:
        for key, value in reversed(list(node.items())):
            if key not in skip:
                self.push(value, ctes)

    def scope_ctes(
        self, entries: list[Any], outer: frozenset[str]
    ) -> tuple[frozenset[str], list[tuple[Any, frozenset[str]]]]:
        """Each CTE body sees the CTEs defined before it; the query sees them all. Returns
        the query's scope and each body with its own scope, to be walked."""
        visible = outer
        bodies: list[tuple[Any, frozenset[str]]] = []
        for entry in entries:
            if not isinstance(entry, dict):
                self.refuse("unsupported_syntax", "This WITH clause form is not supported.")
            bodies.append((entry.get("value"), visible))
            visible = visible | {str(entry.get("key", "")).lower()}
        return visible, bodies

    def check_table_ref(self, ref: dict[str, Any], ctes: frozenset[str]) -> None:
        kind = ref.get("type")
        if kind == "BASE_TABLE":
            catalog = str(ref.get("catalog_name") or "")
            schema = str(ref.get("schema_name") or "")
            name = str(ref.get("table_name") or "")
            if not catalog and not schema and name.lower() in ctes:
                return
            if self.policy.allows(catalog, schema, name):
                self.push_rest(ref, ctes, skip=set())
                return
            shown = ".".join(p for p in (catalog, schema, name) if p)
            if _looks_like_path(name):
                self.refuse(
                    "file_access",
                    f"Reading files is not allowed ({shown!r}). "
                    f"Query only these tables: {self.policy.listing}.",
                )
            self.refuse(
                "forbidden_table",
                f"{shown!r} is not one of the tables you can query. "
                f"Tables you can query: {self.policy.listing}.",
            )
        elif kind == "TABLE_FUNCTION":
            function = ref.get("function") or {}
            name = str(function.get("function_name") or "").lower()
            if _is_file_function(name):
                self.refuse("file_access", f"Reading files is not allowed ({name}).")
            if (
                name not in SAFE_TABLE_FUNCTIONS
                or function.get("catalog")
                or function.get("schema")
            ):
                self.refuse(
                    "forbidden_function",
                    f"The table function {name}() is not allowed. "
                    f"Query only these tables: {self.policy.listing}.",
                )
            self.push_rest(ref, ctes, skip=set())
        elif kind == "SHOW_REF":
            inner = ref.get("query")
            if ref.get("show_type") in ("DESCRIBE", "SUMMARY") and isinstance(inner, dict):
                self.push(inner, ctes)
                return
            self.refuse(
                "forbidden_table",
                "SHOW lists the database catalog, which is not available. "
                f"Tables you can query: {self.policy.listing}.",
            )
        elif kind == "PIVOT":
            for pivot in ref.get("pivots") or []:
                enum = pivot.get("pivot_enum") if isinstance(pivot, dict) else None
                if enum:  # PIVOT ... ON col IN some_enum_type: a type reference
                    *qualifiers, name = str(enum).split(".")
                    qualifiers = ["", "", *qualifiers][-2:]
                    self.check_type_name(qualifiers[0], qualifiers[1], name)
            self.push_rest(ref, ctes, skip=set())
        elif kind in _WALKED_REFS:
            self.push_rest(ref, ctes, skip=set())
        else:
            self.refuse("unsupported_syntax", f"This query form ({kind}) is not supported.")

    def check_scalar_function(self, node: dict[str, Any]) -> None:
        name = str(node.get("function_name") or "").lower()
        catalog = str(node.get("catalog") or "").lower()
        schema = str(node.get("schema") or "").lower()
        if (
            name in self.policy.denied_functions
            or name in self.policy.user_functions
            or catalog not in ("", "system")
            or schema not in ("", "main")
        ):
            self.refuse("forbidden_function", f"The function {name}() is not allowed here.")

    def check_type(self, node: dict[str, Any]) -> None:
        self.check_type_name(
            str(node.get("catalog") or ""),
            str(node.get("schema") or ""),
            str(node.get("type_name") or ""),
        )

    def check_type_name(self, catalog: str, schema: str, name: str) -> None:
        """A type must be built in or used by an allowed table. The refusal is worded the
        same for a hidden type and one that does not exist; hints name allowed types only."""
        if self.policy.allows_type(catalog, schema, name):
            return
        shown = ".".join(p for p in (catalog, schema, name) if p)
        close = difflib.get_close_matches(name.lower(), sorted(self.policy.type_names), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        self.refuse(
            "forbidden_type",
            f"The type {shown!r} is not available here: use a built-in type (INTEGER, "
            f"VARCHAR, DECIMAL(p, s), DATE, TIMESTAMP, ...) or a type of the tables you can "
            f"query.{hint}",
        )


def _is_table_ref(node: Mapping[str, Any]) -> bool:
    """DuckDB serializes every table reference with ``alias`` and ``sample`` keys."""
    return "class" not in node and "alias" in node and "sample" in node and "type" in node


def _is_file_function(name: str) -> bool:
    return name in _FILE_FUNCTIONS or name.startswith(_FILE_FUNCTION_PREFIXES)


def _looks_like_path(name: str) -> bool:
    return any(ch in name for ch in "/\\.*:~")


# --- logical plan ----------------------------------------------------------------------


def plan_scans(plan: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ``Table`` names a plan reads (used to learn what allowed views resolve to)."""
    found: set[str] = set()
    for node in _plan_nodes(plan):
        table = (node.get("extra_info") or {}).get("Table")
        if table:
            found.add(str(table))
    return found


def check_plan(plan: Iterable[Mapping[str, Any]], policy: Policy) -> Violation | None:
    """Every data source of the unoptimized logical plan must be allowed."""
    for node in _plan_nodes(plan):
        name = str(node.get("name", "")).strip()
        info = node.get("extra_info") or {}
        table = info.get("Table") if isinstance(info, dict) else None
        if table:
            if str(table) not in policy.plan_tables:
                return Violation(
                    "forbidden_table",
                    "The query reads a table that is not one of the tables you can query "
                    f"(through a view or macro). Tables you can query: {policy.listing}.",
                )
            continue
        is_leaf = not node.get("children")
        lowered = name.lower()
        if (is_leaf and name not in _SAFE_PLAN_LEAVES) or (
            lowered in policy.table_functions and lowered not in SAFE_TABLE_FUNCTIONS
        ):
            kind = "file_access" if _is_file_function(lowered) else "forbidden_function"
            return Violation(kind, f"The query uses {lowered}, which is not allowed.")
    return None


def _plan_nodes(plan: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    stack = list(plan)
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            yield node
            stack.extend(node.get("children") or [])
