"""Attacks beyond tables: hidden types and sequences, deep nesting, resource exhaustion, huge
results. Each runs a real DuckDB file through ``SqlDatabase.run`` as the model's tool would.

* A user-defined type (an ENUM) used only by a hidden table names values of that table;
  a "Did you mean ...?" hint can name a hidden type or sequence. Neither may reach the model,
  and a hidden type must be indistinguishable from one that does not exist.
* A deeply nested expression must end in a clear error, not a ``RecursionError``.
* ``repeat``, ``lpad``, ``range`` ... build values outside DuckDB's memory limit (measured:
  ``len(range(300000000))`` took 15 GB and ignored the interrupt for a minute in-process);
  the engine's own process must stay small and the time limit must hold.
* What comes back is capped in rows × bytes, with a note saying so.
"""

from __future__ import annotations

import resource
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from agentcore_duckdb.database import SqlDatabase

HIDDEN_VALUES = ("hunter2_happy", "topsecret_sad")

TYPES_SQL = """
CREATE TYPE secret_mood AS ENUM ('hunter2_happy', 'topsecret_sad');
CREATE TYPE ticket_status AS ENUM ('open', 'closed');
CREATE TYPE unused_kind AS ENUM ('never_shown');
CREATE SEQUENCE secret_seq_counter;
CREATE TABLE tickets (id INTEGER, status ticket_status, tags ticket_status[]);
INSERT INTO tickets VALUES (1, 'open', ['open']), (2, 'closed', []);
CREATE TABLE staff (name VARCHAR, mood secret_mood);
INSERT INTO staff VALUES ('admin', 'hunter2_happy');
"""


@pytest.fixture(scope="module")
def typed_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlDatabase]:
    path = tmp_path_factory.mktemp("types") / "types.duckdb"
    con = duckdb.connect(str(path))
    con.execute(TYPES_SQL)
    con.execute("CHECKPOINT")
    con.close()
    database = SqlDatabase(path, ["tickets"], timeout_s=10)
    yield database
    database.close()


def refused(db: SqlDatabase, query: str, kind: str) -> str:
    result = db.run(query)
    assert result.error is not None, f"{query!r} ran: {result.rows}"
    assert result.error.kind == kind, (query, result.error)
    text = result.to_text()
    for secret in (*HIDDEN_VALUES, "never_shown", "secret_mood", "unused_kind", "secret_seq"):
        if secret not in query:  # the model's own words may be echoed back, nothing more
            assert secret not in text, (query, text)
    return text


# --- hidden types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT enum_range(NULL::secret_mood)",
        "SELECT enum_first(NULL::secret_mood)",
        "SELECT 'x'::secret_mood",
        "SELECT TRY_CAST('x' AS secret_mood)",
        "SELECT CAST(1 AS secret_mood)",
        "SELECT typeof(NULL::secret_mood)",
        "SELECT NULL::secret_mood[]",
        "SELECT NULL::secret_mood[2]",
        "SELECT NULL::STRUCT(a secret_mood)",
        "SELECT NULL::MAP(VARCHAR, secret_mood)",
        "SELECT NULL::UNION(a secret_mood)",
        "SELECT NULL::main.secret_mood",
        "SELECT NULL::types.main.secret_mood",
        "SELECT enum_range(NULL::unused_kind)",  # used by no table at all
        "SELECT * FROM tickets WHERE status::VARCHAR IN "
        "(SELECT unnest(enum_range(NULL::secret_mood))::VARCHAR)",
        "PIVOT tickets ON status IN secret_mood USING count(*)",
    ],
)
def test_types_of_hidden_tables_are_not_available(typed_db: SqlDatabase, query: str) -> None:
    refused(typed_db, query, "forbidden_type")


def test_a_hidden_type_reads_exactly_like_one_that_does_not_exist(typed_db: SqlDatabase) -> None:
    """No oracle: the answer for a hidden type and for a misspelt one differ only in the name."""
    hidden = refused(typed_db, "SELECT NULL::secret_mood", "forbidden_type")
    missing = refused(typed_db, "SELECT NULL::secret_mooo", "forbidden_type")
    assert hidden.replace("secret_mood", "T") == missing.replace("secret_mooo", "T")


def test_types_of_allowed_tables_and_builtin_types_work(typed_db: SqlDatabase) -> None:
    assert typed_db.run("SELECT enum_range(NULL::ticket_status)").rows == [[["open", "closed"]]]
    assert typed_db.run("SELECT count(*) FROM tickets WHERE status = 'open'::ticket_status").rows
    casts = (
        "SELECT '1'::INTEGER, '1'::int, '2.5'::DECIMAL(10, 2), 'a'::VARCHAR, 'a'::string, "
        "'a'::text, '[1]'::INTEGER[], '2024-01-01'::DATE, '2024-01-01'::TIMESTAMP, "
        "'2024-01-01 00:00:00+00'::TIMESTAMP WITH TIME ZONE, 1::DOUBLE, 1::BIGINT, "
        "'{}'::JSON, {'a': 1}::STRUCT(a INTEGER), MAP {'k': 1}::MAP(VARCHAR, INTEGER), "
        "'a'::ENUM('a', 'b'), 1::BOOLEAN, 'ff'::BLOB, INTERVAL 1 DAY, 1::UBIGINT, "
        "'00000000-0000-0000-0000-000000000000'::UUID, 1::FLOAT, 1::HUGEINT"
    )
    result = typed_db.run(casts)
    assert result.error is None, result.error
    misspelt = typed_db.run("SELECT '1'::intger")
    assert misspelt.error is not None and misspelt.error.kind == "forbidden_type"
    assert "integer" in misspelt.error.message.lower()  # the hint names built-in types only


@pytest.mark.parametrize(
    "query",
    [
        "SELECT nextval('secret_seq_counter')",
        "SELECT currval('secret_seq_counter')",
        "SELECT nextval('secret_seq_countr')",  # the binder would say: Did you mean ...?
        "SELECT currval('secret_seq_countr')",
    ],
)
def test_sequences_are_not_reachable_nor_named(typed_db: SqlDatabase, query: str) -> None:
    refused(typed_db, query, "forbidden_function")


def test_no_hint_names_a_hidden_type_or_sequence(typed_db: SqlDatabase) -> None:
    for query in (
        "SELECT secret_mood FROM tickets",
        "SELECT secret_seq_counter FROM tickets",
        "SELECT * FROM tickets WHERE status = secret_mood",
        "SELECT secret_moo()",
        "SELECT * FROM secret_mood",
    ):
        result = typed_db.run(query)
        assert result.error is not None, query
        for hidden in ("secret_mood", "secret_seq_counter", *HIDDEN_VALUES):
            if hidden in query:
                continue  # the model's own words may be echoed back
            assert hidden not in result.error.message, (query, result.error.message)


# --- deep nesting ------------------------------------------------------------------------


NESTINGS = {
    "parentheses": lambda n: "SELECT " + "(" * n + "1" + ")" * n,
    "additions": lambda n: "SELECT " + "+".join(["1"] * n),
    "function calls": lambda n: "SELECT " + "abs(" * n + "1" + ")" * n,
    "lists": lambda n: "SELECT " + "[" * n + "1" + "]" * n,
    "scalar subqueries": lambda n: "SELECT " + "(SELECT " * n + "1" + ")" * n,
    "derived tables": lambda n: "SELECT * FROM " + "(SELECT * FROM " * n + "orders" + ")" * n,
    "CASE": lambda n: "SELECT " + "CASE WHEN true THEN " * n + "1" + " END" * n,
    "NOT": lambda n: "SELECT " + "NOT " * n + "true",
}


@pytest.mark.parametrize("depth", [300, 1500, 20000])
@pytest.mark.parametrize("shape", sorted(NESTINGS))
def test_deep_nesting_is_a_clear_error(db: SqlDatabase, shape: str, depth: int) -> None:
    result = db.run(NESTINGS[shape](depth))
    assert result.error is not None, shape
    assert result.error.kind == "too_complex", result.error
    message = result.error.message
    assert "nest" in message and "WITH" in message  # what was wrong, what to do
    assert "Recursion" not in message and "SET max_expression_depth" not in message


@pytest.mark.parametrize("shape", sorted(NESTINGS))
def test_moderate_nesting_still_runs(db: SqlDatabase, shape: str) -> None:
    result = db.run(NESTINGS[shape](20))
    assert result.error is None, (shape, result.error)


# --- resources ---------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


BUILDERS = [
    "SELECT strlen(repeat('x', 2000000000))",
    "SELECT repeat('x', 1500000000)",
    "SELECT strlen(lpad('x', 1500000000, 'y'))",
    "SELECT strlen(rpad('x', 1500000000, 'y'))",
    "SELECT strlen(printf('%1500000000d', 1))",
    "SELECT len(range(300000000))",
    "SELECT len(list(repeat('x', 100))) FROM range(30000000)",
    "SELECT strlen(string_agg(repeat('x', 1000), '')) FROM range(3000000)",
    "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r "
    "WHERE strlen(s) < 2000000000) SELECT max(strlen(s)) FROM r",
    "SELECT count(*) FROM range(1000000000) a, range(1000000000) b",
]


@pytest.fixture(scope="module")
def small_db(shop_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlDatabase]:
    """A copy of its own: one process cannot open a file twice with different settings."""
    path = tmp_path_factory.mktemp("small") / "shop.duckdb"
    shutil.copyfile(shop_db, path)
    database = SqlDatabase(path, ["orders"], timeout_s=2, memory_limit="256MB")
    yield database
    database.close()


@pytest.mark.parametrize("query", BUILDERS)
def test_value_builders_hold_the_memory_and_time_limits(small_db: SqlDatabase, query) -> None:
    before = peak_rss_mb()
    started = time.monotonic()
    result = small_db.run(query)
    elapsed = time.monotonic() - started
    assert result.error is not None, f"{query!r} ran: {str(result.rows)[:80]}"
    assert result.error.kind in ("memory_limit", "timeout"), result.error
    assert elapsed < small_db.timeout_s + 15, elapsed  # start-up + the kill's grace
    assert peak_rss_mb() - before < 150  # the engine's own process did not grow
    assert small_db.run("SELECT count(*) FROM orders").rows == [[4]]  # and still answers


def test_a_query_stuck_past_the_interrupt_is_stopped(small_db: SqlDatabase) -> None:
    """``range(n)`` as a list does not check for interrupts: the query's process is ended."""
    started = time.monotonic()
    result = small_db.run("SELECT len(range(250000000)) + len(range(250000000))")
    assert result.error is not None and result.error.kind in ("timeout", "memory_limit")
    assert time.monotonic() - started < small_db.timeout_s + 15
    assert "2 s" in result.error.message or "memory" in result.error.message


# --- result size -------------------------------------------------------------------------


def test_a_huge_cell_is_cut_with_a_note(db: SqlDatabase) -> None:
    result = db.run("SELECT repeat('x', 1000000) AS big, 7 AS small")
    assert result.error is None, result.error
    big, small = result.rows[0]
    assert small == 7
    assert len(big) <= db.max_cell_chars + 1 and big.endswith("…")
    assert any("cut to" in note for note in result.notes), result.notes
    assert "cut to" in result.to_text()
    assert result.to_json_dict()["notes"] == result.notes


def test_nested_values_are_cut_too(db: SqlDatabase) -> None:
    result = db.run("SELECT list(repeat('y', 100)) AS many FROM range(1000)")
    assert result.error is None, result.error
    cell = result.rows[0][0]
    assert isinstance(cell, str) and len(cell) <= db.max_cell_chars + 1
    assert result.notes


def test_the_whole_result_is_capped_in_bytes_with_a_note(db: SqlDatabase) -> None:
    result = db.run("SELECT id, repeat('z', 900) AS pad FROM events ORDER BY id")
    assert result.error is None, result.error
    size = sum(len(str(value)) for row in result.rows for value in row)
    assert size <= db.max_result_bytes
    assert 0 < len(result.rows) < 50  # fewer than the row limit: the byte cap came first
    assert result.more_rows == 120 - len(result.rows)
    assert any("bytes" in note for note in result.notes), result.notes
    assert result.to_text().splitlines()[-1].startswith("Note:")


def test_small_results_have_no_notes(db: SqlDatabase) -> None:
    result = db.run("SELECT * FROM orders")
    assert result.notes == [] and result.to_json_dict()["notes"] == []
