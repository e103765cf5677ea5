"""Everything the SQL tool must refuse, each case asserting the specific error kind.

A real DuckDB file (tests/conftest.py) holds a secret table, a secret schema, a
view and macros over the secret; the model may see orders, customers, events
and the order_summary view only.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from agentcore_duckdb.confine import AllowedTable
from agentcore_duckdb.database import SqlDatabase

SECRET = "hunter2"


def assert_blocked(db: SqlDatabase, query: str, kind: str) -> str:
    result = db.run(query)
    assert result.error is not None, f"{query!r} was not blocked: {result.rows}"
    assert result.error.kind == kind, f"{query!r}: {result.error}"
    assert result.rows == [] and result.columns == []
    text = result.to_text()
    assert SECRET not in text
    return text


WRITES = [
    "INSERT INTO orders VALUES (105, 1, 'pending', 1.00, DATE '2024-04-01')",
    "UPDATE orders SET total = 0",
    "DELETE FROM orders",
    "CREATE TABLE stolen AS SELECT * FROM staff_passwords",
    "CREATE TEMP TABLE scratch(i INTEGER)",
    "CREATE MACRO m() AS 1",
    "CREATE VIEW v AS SELECT * FROM staff_passwords",
    "DROP TABLE orders",
    "ALTER TABLE orders ADD COLUMN hacked VARCHAR",
    "ALTER TABLE orders RENAME TO orders_old",
    "TRUNCATE orders",
    "CHECKPOINT",
    "BEGIN TRANSACTION",
    "EXPLAIN SELECT * FROM staff_passwords",
    "CALL duckdb_tables()",
    "VACUUM",
]


@pytest.mark.parametrize("query", WRITES)
def test_writes_and_other_statements_are_not_read_only(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "not_read_only")


@pytest.mark.parametrize(
    "query",
    [
        "COPY orders TO '{tmp}/out.csv'",
        "COPY (SELECT * FROM staff_passwords) TO '{tmp}/out.parquet' (FORMAT parquet)",
        "COPY orders FROM '/etc/passwd'",
        "EXPORT DATABASE '{tmp}/export'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "ATTACH ':memory:' AS mem",
        "DETACH shop",
    ],
)
def test_copy_export_attach_are_file_access(db: SqlDatabase, query: str, tmp_path: Path) -> None:
    assert_blocked(db, query.format(tmp=tmp_path), "file_access")
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "SELECT * FROM read_json('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM parquet_metadata('/tmp/x.parquet')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 'orders.csv'",
        "SELECT * FROM 'https://example.com/data.parquet'",
        "SELECT o.id FROM orders o JOIN read_text('/etc/hostname') t ON true",
        "SELECT (SELECT content FROM read_text('/etc/passwd'))",
        "WITH f AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM f",
    ],
)
def test_file_reading_functions_are_file_access(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "file_access")


@pytest.mark.parametrize("query", ["INSTALL httpfs", "LOAD httpfs", "FORCE INSTALL httpfs"])
def test_extensions_cannot_be_installed_or_loaded(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "extension")


@pytest.mark.parametrize(
    "query",
    [
        "SET threads = 1",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET GLOBAL memory_limit = '100GB'",
        "RESET memory_limit",
        "PRAGMA enable_profiling",
        "USE internal",
        "SET VARIABLE x = 1",
    ],
)
def test_settings_cannot_change(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "settings_change")


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("PRAGMA table_info('staff_passwords')", {"settings_change", "forbidden_function"}),
        ("PRAGMA show_tables", {"settings_change", "forbidden_table"}),
    ],
)
def test_catalog_pragmas_are_refused(db: SqlDatabase, query: str, kinds: set[str]) -> None:
    """DuckDB 2 parses these as PRAGMA statements; 1.5 rewrites them into SELECTs over
    ``pragma_table_info()`` / ``duckdb_tables``, which the checks refuse as such."""
    result = db.run(query)
    assert result.error is not None and result.error.kind in kinds
    assert "username" not in result.to_text() and "audit" not in result.to_text()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1; DROP TABLE orders",
        "SELECT 1; SELECT 2",
        "SELECT * FROM orders; SELECT * FROM staff_passwords",
        "SELECT 1;;SET threads = 1",
    ],
)
def test_several_statements_are_refused(db: SqlDatabase, query: str) -> None:
    text = assert_blocked(db, query, "multiple_statements")
    assert "exactly one" in text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM staff_passwords",
        "SELECT * FROM STAFF_PASSWORDS",
        'SELECT * FROM "Staff_Passwords"',
        "SELECT * FROM main.staff_passwords",
        "SELECT * FROM shop.main.staff_passwords",
        "SELECT * FROM shop.staff_passwords",
        "SELECT * FROM internal.audit",
        "SELECT * FROM temp.main.orders",
        "SELECT * FROM leaky",
        "SELECT o.* FROM orders o JOIN staff_passwords s ON true",
        "SELECT * FROM orders, LATERAL (SELECT * FROM staff_passwords)",
        "SELECT id FROM orders UNION ALL SELECT length(password) FROM staff_passwords",
        "SELECT (SELECT max(password) FROM staff_passwords)",
        "SELECT * FROM (SELECT * FROM staff_passwords) t",
        "TABLE staff_passwords",
        "FROM staff_passwords",
        "DESCRIBE staff_passwords",
        "SUMMARIZE staff_passwords",
        "SUMMARIZE SELECT * FROM internal.audit",
        "SELECT * FROM staff_passwords AS orders",
        "PIVOT staff_passwords ON username IN ('admin') USING max(password)",
    ],
)
def test_tables_not_given_are_forbidden(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "forbidden_table")


@pytest.mark.parametrize(
    "query",
    [
        # a CTE that reads a table not given
        "WITH s AS (SELECT * FROM staff_passwords) SELECT * FROM s",
        # a non-recursive CTE named like the table reads the real table, not itself
        "WITH staff_passwords AS (SELECT * FROM staff_passwords) SELECT * FROM orders",
        # CTEs are not visible before they are defined, nor outside their query
        "WITH a AS (SELECT * FROM staff_passwords), staff_passwords AS (SELECT 1) FROM a",
        "SELECT * FROM (WITH staff_passwords AS (SELECT 1) FROM staff_passwords), staff_passwords",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT * FROM r, staff_passwords",
        "WITH o AS MATERIALIZED (FROM orders) SELECT * FROM o, internal.audit",
    ],
)
def test_ctes_cannot_reach_tables_not_given(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "forbidden_table")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM orders WHERE id IN (SELECT length(password) FROM staff_passwords)",
        "SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM staff_passwords WHERE password = 'x')",
        "SELECT * FROM orders WHERE total > (SELECT count(*) FROM internal.audit)",
        "SELECT * FROM orders GROUP BY ALL HAVING count(*) > (SELECT count(*) FROM leaky)",
        "SELECT * FROM orders ORDER BY (SELECT max(password) FROM staff_passwords)",
    ],
)
def test_subqueries_cannot_reach_tables_not_given(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "forbidden_table")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM information_schema.columns",
        "SELECT * FROM information_schema.schemata",
        "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM pg_tables",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM duckdb_tables",
        "SELECT * FROM duckdb_columns",
        "SHOW TABLES",
        "SHOW ALL TABLES",
        "SHOW DATABASES",
        "SELECT * FROM (SHOW TABLES)",
    ],
)
def test_catalog_views_are_forbidden_tables(db: SqlDatabase, query: str) -> None:
    text = assert_blocked(db, query, "forbidden_table")
    assert "audit" not in text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM duckdb_columns()",
        "SELECT * FROM duckdb_databases()",
        "SELECT * FROM duckdb_views()",
        "SELECT * FROM duckdb_schemas()",
        "SELECT * FROM duckdb_functions()",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_secrets()",
        "SELECT (SELECT count(*) FROM duckdb_tables())",
        "SELECT * FROM orders WHERE id IN (SELECT estimated_size FROM duckdb_tables())",
        "SELECT * FROM pragma_table_info('staff_passwords')",
        "SELECT * FROM pragma_database_size()",
        "SELECT * FROM query('SELECT * FROM staff_passwords')",
        "SELECT * FROM query_table('staff_passwords')",
        "SELECT * FROM leak_rows()",
        "SELECT leak()",
        "SELECT shop.main.leak()",
        "SELECT pg_get_viewdef(0)",
        "SELECT current_setting('memory_limit')",
        "SELECT getenv('HOME')",
        "SELECT * FROM histogram(staff_passwords, password)",
    ],
)
def test_catalog_settings_and_macros_are_forbidden_functions(db: SqlDatabase, query: str) -> None:
    assert_blocked(db, query, "forbidden_function")


def test_no_catalog_route_reveals_other_table_names_or_data(db: SqlDatabase) -> None:
    """Every introspection route fails without naming what else is in the database."""
    routes = [
        "SELECT table_name FROM information_schema.tables",
        "SELECT table_name FROM duckdb_tables()",
        "SELECT column_name FROM duckdb_columns()",
        "SELECT database_name, path FROM duckdb_databases()",
        "SELECT sql FROM duckdb_views()",
        "SELECT * FROM duckdb_tables",
        "SHOW ALL TABLES",
        "SELECT pg_get_viewdef(0)",
    ]
    for query in routes:
        result = db.run(query)
        assert result.error is not None, query
        assert result.error.kind in ("forbidden_table", "forbidden_function"), query
        for hidden in ("staff_passwords", "audit", "internal", "leaky", SECRET, "leak_rows"):
            assert hidden not in result.error.message, (query, hidden)


def test_unknown_table_hint_does_not_leak_similar_names(db: SqlDatabase) -> None:
    """DuckDB's binder would say 'Did you mean staff_passwords?'; the check runs first."""
    text = assert_blocked(db, "SELECT * FROM staff_password", "forbidden_table")
    assert "staff_passwords" not in text
    assert "Did you mean" not in text


def test_misspelt_function_hint_does_not_reveal_macro_names(db: SqlDatabase) -> None:
    hidden = db.run("SELECT leek()")
    assert hidden.error is not None and hidden.error.kind == "query_error"
    assert "leak" not in hidden.error.message and "leek" in hidden.error.message
    helpful = db.run("SELECT uper(status) FROM orders")  # built-in suggestions stay
    assert helpful.error is not None and 'Did you mean "upper"?' in helpful.error.message


def test_blocked_attacks_leave_the_database_file_untouched(shop_db: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(shop_db.read_bytes()).hexdigest()
    with SqlDatabase(shop_db, ["orders"]) as database:
        for query in [*WRITES, f"COPY orders TO '{tmp_path}/x.csv'", "DROP TABLE orders"]:
            assert database.run(query).error is not None
        assert database.run("SELECT count(*) FROM orders").rows == [[4]]
    assert hashlib.sha256(shop_db.read_bytes()).hexdigest() == before
    assert list(tmp_path.iterdir()) == []


# --- each layer holds on its own -------------------------------------------------------


def test_engine_layer_refuses_writes_files_and_settings_without_any_check(
    db: SqlDatabase, tmp_path: Path
) -> None:
    """Bypassing the parse and plan checks, DuckDB itself still refuses."""
    raw = db._conn
    with pytest.raises(duckdb.Error, match="read-only"):
        raw.execute("CREATE TABLE stolen AS SELECT 1")
    with pytest.raises(duckdb.Error, match="read-only"):
        raw.execute("DELETE FROM orders")
    with pytest.raises(duckdb.PermissionException):
        raw.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.PermissionException):
        raw.execute(f"COPY orders TO '{tmp_path}/out.csv'")
    with pytest.raises(duckdb.Error):
        raw.execute(f"ATTACH '{tmp_path}/other.duckdb' AS other")
    with pytest.raises(duckdb.Error, match="locked"):
        raw.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="locked"):
        raw.execute("SET lock_configuration = false")
    with pytest.raises(duckdb.Error):
        raw.execute("INSTALL httpfs")
    assert list(tmp_path.iterdir()) == []
    settings = dict(
        raw.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
            "'allow_community_extensions', 'python_enable_replacements', 'access_mode')"
        ).fetchall()
    )
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allow_community_extensions": "false",
        "python_enable_replacements": "false",
        "access_mode": "read_only",
    }


def test_plan_layer_catches_a_macro_the_parse_check_let_through(fresh_db: SqlDatabase) -> None:
    """If the parse check did not know ``leak`` is a user macro, the bound plan shows
    that it scans staff_passwords."""
    fresh_db.policy = replace(fresh_db.policy, user_functions=frozenset())
    text = assert_blocked(fresh_db, "SELECT leak()", "forbidden_table")
    assert "view or macro" in text


def test_plan_layer_catches_catalog_shims_the_parse_check_let_through(
    fresh_db: SqlDatabase,
) -> None:
    fresh_db.policy = replace(fresh_db.policy, denied_functions=frozenset())
    assert_blocked(fresh_db, "SELECT pg_get_viewdef(0)", "forbidden_function")


def test_plan_layer_catches_catalog_views_the_parse_check_let_through(
    fresh_db: SqlDatabase,
) -> None:
    """Pretend information_schema.tables were allowed by name: its plan reads the catalog."""
    fake = AllowedTable("information_schema.tables", "shop", "information_schema", "tables")
    fresh_db.policy = replace(fresh_db.policy, tables=(*fresh_db.policy.tables, fake))
    assert_blocked(
        fresh_db, "SELECT table_name FROM information_schema.tables", "forbidden_function"
    )


def test_allowed_view_does_not_open_its_base_tables(shop_db: Path) -> None:
    """Giving a view over a secret table shows the view, not the table behind it."""
    with SqlDatabase(shop_db, ["leaky"]) as database:
        assert database.run("SELECT count(*) FROM leaky").rows == [[4]]
        assert_blocked(database, "SELECT * FROM staff_passwords", "forbidden_table")
        assert_blocked(database, "SELECT * FROM orders", "forbidden_table")
