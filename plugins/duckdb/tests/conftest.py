"""A real DuckDB shop database, built once per session, that the tests only read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

#: The tables the ``db`` fixture may read; staff_passwords, internal.audit and leaky are not.
ALLOWED = ["orders", "customers", "order_summary", "events"]

SHOP_SQL = """
CREATE TABLE customers(id INTEGER PRIMARY KEY, name VARCHAR, email VARCHAR);
INSERT INTO customers VALUES
    (1, 'Ada', 'ada@example.com'), (2, 'Bo', 'bo@example.com'), (3, 'Cy', 'cy@example.com');
CREATE TABLE orders(
    id INTEGER, customer_id INTEGER, status VARCHAR, total DECIMAL(10, 2), placed DATE);
INSERT INTO orders VALUES
    (101, 1, 'shipped', 25.50, DATE '2024-03-01'),
    (102, 1, 'pending', 10.00, DATE '2024-03-05'),
    (103, 2, 'shipped', 99.99, DATE '2024-03-07'),
    (104, 3, 'returned', 5.25, DATE '2024-03-09');
COMMENT ON TABLE orders IS 'One row per order';
COMMENT ON COLUMN orders.status IS 'pending, shipped or returned';
CREATE TABLE events AS
    SELECT range AS id, 'event number ' || range || ' with a rather long description' AS label
    FROM range(120);
CREATE TABLE staff_passwords(username VARCHAR, password VARCHAR);
INSERT INTO staff_passwords VALUES ('admin', 'hunter2');
CREATE SCHEMA internal;
CREATE TABLE internal.audit(note VARCHAR);
INSERT INTO internal.audit VALUES ('hunter2 is the admin password');
CREATE VIEW order_summary AS
    SELECT c.name, count(*) AS orders, sum(o.total) AS spent
    FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name;
CREATE VIEW leaky AS SELECT o.id, s.password FROM orders o, staff_passwords s;
CREATE MACRO leak() AS (SELECT max(password) FROM staff_passwords);
CREATE MACRO leak_rows() AS TABLE SELECT * FROM staff_passwords;
"""


def build_shop_db(path: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(SHOP_SQL)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the shared shop database (tests must only read it)."""
    return build_shop_db(tmp_path_factory.mktemp("duckdb") / "shop.duckdb")


@pytest.fixture
def private_shop_db(tmp_path: Path) -> Path:
    """A shop database of this test's own (for non-default settings or writers)."""
    return build_shop_db(tmp_path / "own_shop.duckdb")


@pytest.fixture(scope="session")
def db(shop_db: Path) -> Iterator[object]:
    """A SqlDatabase over ALLOWED, shared by the tests that only run queries on it."""
    from agentcore_duckdb.database import SqlDatabase

    database = SqlDatabase(shop_db, ALLOWED, row_limit=50, timeout_s=10)
    yield database
    database.close()


@pytest.fixture
def fresh_db(shop_db: Path) -> Iterator[object]:
    """A SqlDatabase of this test's own (tests that change its policy or limits)."""
    from agentcore_duckdb.database import SqlDatabase

    database = SqlDatabase(shop_db, ALLOWED, row_limit=50, timeout_s=10)
    yield database
    database.close()
