"""What the SQL engine answers: happy paths, the schema description, limits, setup errors."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from agentcore_duckdb import database as database_module
from agentcore_duckdb.database import SqlDatabase, UnknownTableError

from agentcore.errors import ConfigError


def test_join_across_allowed_tables(db: SqlDatabase) -> None:
    result = db.run(
        "SELECT c.name, o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.status = 'shipped' ORDER BY o.id"
    )
    assert result.error is None
    assert result.columns == ["name", "id", "total"]
    assert result.rows == [["Ada", 101, 25.5], ["Bo", 103, 99.99]]


def test_aggregate_with_group_by(db: SqlDatabase) -> None:
    result = db.run(
        "SELECT status, count(*) AS n, sum(total) AS revenue FROM orders "
        "GROUP BY status ORDER BY status"
    )
    assert result.rows == [["pending", 1, 10.0], ["returned", 1, 5.25], ["shipped", 2, 125.49]]


def test_with_query_and_window_function(db: SqlDatabase) -> None:
    result = db.run(
        "WITH ranked AS (SELECT customer_id, total, "
        "row_number() OVER (PARTITION BY customer_id ORDER BY total DESC) AS r FROM orders) "
        "SELECT customer_id, total FROM ranked WHERE r = 1 ORDER BY customer_id"
    )
    assert result.rows == [[1, 25.5], [2, 99.99], [3, 5.25]]


def test_allowed_view_and_a_cte_shadowing_a_secret_name(db: SqlDatabase) -> None:
    assert db.run("SELECT name, orders FROM order_summary ORDER BY name").rows == [
        ["Ada", 2],
        ["Bo", 1],
        ["Cy", 1],
    ]
    # a CTE may take any name, even a hidden table's: it reads what it is defined as
    shadow = db.run(
        "WITH staff_passwords AS (SELECT name FROM customers) SELECT * FROM staff_passwords"
    )
    assert shadow.rows == [["Ada"], ["Bo"], ["Cy"]]


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("SELECT 1 + 1 AS two", [[2]]),
        ("VALUES (1, 'a'), (2, 'b')", [[1, "a"], [2, "b"]]),
        ("FROM customers SELECT name WHERE id = 3", [["Cy"]]),
        ("SELECT sum(range) FROM range(5)", [[10]]),
        ("SELECT count(*) FROM generate_series(1, 3)", [[3]]),
        ("SELECT unnest([3, 4]) AS x", [[3], [4]]),
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
            "SELECT max(n) FROM r",
            [[3]],
        ),
        ("SELECT placed FROM orders WHERE id = 101", [["2024-03-01"]]),
        ("SELECT count(*) FROM main.orders", [[4]]),
        ("SELECT count(*) FROM shop.main.orders", [[4]]),
        (
            "SELECT * FROM orders PIVOT (count(*) FOR status IN ('pending')) ORDER BY id LIMIT 1",
            [[101, 1, 25.5, "2024-03-01", 0]],
        ),
        (
            "SELECT id FROM orders "
            "WHERE customer_id IN (SELECT id FROM customers WHERE name = 'Bo')",
            [[103]],
        ),
        ("SELECT 1;", [[1]]),
    ],
)
def test_read_only_queries_run(db: SqlDatabase, query: str, rows: list[list[object]]) -> None:
    result = db.run(query)
    assert result.error is None, result.error
    assert result.rows == rows


def test_describe_and_summarize_of_allowed_tables(db: SqlDatabase) -> None:
    described = db.run("DESCRIBE orders")
    assert described.error is None
    assert [r[0] for r in described.rows] == ["id", "customer_id", "status", "total", "placed"]
    summary = db.run("SUMMARIZE customers")
    assert summary.error is None and len(summary.rows) == 3


def test_text_table_is_compact(db: SqlDatabase) -> None:
    text = db.run("SELECT id, label FROM events WHERE id < 2 ORDER BY id").to_text()
    lines = text.splitlines()
    assert lines[0] == "id | label"
    assert lines[2] == "0  | event number 0 with a rather long descr…"
    assert lines[2].endswith("…") and len(lines[2].split(" | ")[1]) == 40
    assert lines[-1] == "(2 rows)"
    assert db.run("SELECT NULL AS nothing").to_text().splitlines()[2] == "NULL"
    assert db.run("SELECT * FROM orders WHERE id = 0").to_text().endswith("(no rows)")


def test_row_cap_reports_rows_left_out(db: SqlDatabase) -> None:
    result = db.run("SELECT id FROM events ORDER BY id")
    assert len(result.rows) == 50
    assert result.rows[-1] == [49]
    assert result.more_rows == 70 and not result.more_rows_at_least
    assert result.to_text().endswith("(70 more rows not shown)")
    smaller = db.run("SELECT id FROM events", row_limit=5)
    assert len(smaller.rows) == 5 and smaller.more_rows == 115
    exact = db.run("SELECT id FROM events WHERE id < 50")
    assert exact.more_rows == 0 and exact.to_text().endswith("(50 rows)")


def test_huge_results_are_counted_only_up_to_a_cap(
    db: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "COUNT_CAP", 1000)
    result = db.run("SELECT * FROM range(100000000)")
    assert len(result.rows) == 50
    assert result.more_rows == 1000 and result.more_rows_at_least
    assert result.to_text().endswith("(at least 1000 more rows not shown)")


def test_long_query_is_interrupted_by_the_time_limit(shop_db: Path, db: SqlDatabase) -> None:
    with SqlDatabase(shop_db, ["orders"], timeout_s=0.5) as quick:
        started = time.monotonic()
        result = quick.run(
            "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = 7"
        )
        assert time.monotonic() - started < 60  # stopped, not hung
        assert result.error is not None and result.error.kind == "timeout"
        assert "0.5 s" in result.error.message
        assert quick.run("SELECT count(*) FROM orders").rows == [[4]]  # still usable


def test_memory_limit_is_an_error_kind(private_shop_db: Path) -> None:
    with SqlDatabase(private_shop_db, ["orders"], memory_limit="64MB", threads=1) as small:
        result = small.run("SELECT length(string_agg(repeat('x', 1000), '')) FROM range(1000000)")
    assert result.error is not None and result.error.kind == "memory_limit"


def test_query_errors_and_syntax_errors(db: SqlDatabase) -> None:
    missing = db.run("SELECT nope FROM orders")
    assert missing.error is not None and missing.error.kind == "query_error"
    assert "nope" in missing.error.message
    assert "EXPLAIN" not in missing.error.message  # our plan check stays invisible
    assert "LINE 1: SELECT nope FROM orders" in missing.error.message
    syntax = db.run("SELEC * FROM orders")
    assert syntax.error is not None and syntax.error.kind == "syntax_error"
    for empty in ("", "   ", ";", "-- just a comment"):
        result = db.run(empty)
        assert result.error is not None and result.error.kind == "empty_query", empty


def test_schema_description(db: SqlDatabase) -> None:
    text = db.describe()
    lines = text.splitlines()
    assert lines[0].startswith("Tables you can query")
    assert lines[1] == (
        "- orders (4 rows; One row per order): id INTEGER, customer_id INTEGER, "
        "status VARCHAR (pending, shipped or returned), total DECIMAL(10,2), placed DATE"
    )
    assert lines[2] == "- customers (3 rows): id INTEGER, name VARCHAR, email VARCHAR"
    assert lines[3].startswith("- order_summary (view): name VARCHAR, orders BIGINT")
    assert lines[4] == "- events (120 rows): id BIGINT, label VARCHAR"
    assert "staff_passwords" not in text and "audit" not in text
    assert db.table_names == ["orders", "customers", "order_summary", "events"]


def test_tables_in_other_schemas_are_named_with_their_schema(shop_db: Path) -> None:
    with SqlDatabase(shop_db, "internal.audit") as audit:
        assert audit.run("SELECT count(*) FROM internal.audit").rows == [[1]]
        assert audit.run("SELECT * FROM audit").error.kind == "forbidden_table"  # main.audit
        assert audit.describe().splitlines()[1].startswith("- internal.audit (1 row)")


def test_setup_errors_are_clear(shop_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        SqlDatabase(tmp_path / "missing.duckdb", ["orders"])
    with pytest.raises(ConfigError, match="no tables given"):
        SqlDatabase(shop_db, [])
    with pytest.raises(ConfigError, match="no tables given"):
        SqlDatabase(shop_db, " , ")
    with pytest.raises(UnknownTableError, match=r"'ordrs' is not in DuckDB database .*orders"):
        SqlDatabase(shop_db, ["orders", "ordrs"])
    with pytest.raises(ConfigError, match="row_limit"):
        SqlDatabase(shop_db, ["orders"], row_limit=0)


def test_database_open_for_writing_in_this_process_is_a_clear_error(
    private_shop_db: Path,
) -> None:
    writer = duckdb.connect(str(private_shop_db))
    try:
        with pytest.raises(ConfigError, match="close that connection first"):
            SqlDatabase(private_shop_db, ["orders"])
    finally:
        writer.close()
    with SqlDatabase(private_shop_db, ["orders"]) as reader:  # fine once the writer is gone
        assert reader.run("SELECT count(*) FROM orders").rows == [[4]]


def test_concurrent_queries_from_threads(db: SqlDatabase) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: db.run(f"SELECT {i} + count(*) FROM orders"), range(8)))
    assert [r.rows for r in results] == [[[i + 4]] for i in range(8)]


def test_views_that_read_the_catalog_or_files_cannot_be_offered(tmp_path: Path) -> None:
    path = tmp_path / "views.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.execute("CREATE VIEW catalog_view AS SELECT table_name FROM duckdb_tables()")
    con.execute(f"CREATE VIEW file_view AS SELECT * FROM read_text('{path}')")
    con.close()
    with pytest.raises(ConfigError, match="'catalog_view' cannot be offered"):
        SqlDatabase(path, ["t", "catalog_view"])
    with pytest.raises(ConfigError, match=r"'file_view'.* cannot be (offered|read)"):
        SqlDatabase(path, ["file_view"])
    with SqlDatabase(path, ["t"]) as fine:
        assert fine.run("SELECT x FROM t").rows == [[1]]
