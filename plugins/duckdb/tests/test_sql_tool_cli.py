"""The ``sql`` tool through ``tool.invoke``, the bound-tool factory, the plugin, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from agentcore_duckdb import sql, sql_tool
from click.testing import CliRunner

from agentcore.errors import ConfigError
from agentcore.tools import Tool, ToolContext

SECRET = "hunter2"


def settings_context(shop_db: Path, tables: object = "orders, customers") -> ToolContext:
    return ToolContext(settings={"sql": {"database": str(shop_db), "tables": tables}})


def test_tool_from_settings_answers_with_a_table(shop_db: Path) -> None:
    ctx = settings_context(shop_db)
    result = sql.invoke({"query": "SELECT name FROM customers ORDER BY id"}, ctx)
    assert result.ok and result.tool == "sql" and result.error_kind is None
    assert result.observation.splitlines() == ["name", "----", "Ada", "Bo", "Cy", "(3 rows)"]
    assert result.data["columns"] == ["name"]
    # free text works too (single string argument), and the database is opened once per run
    again = sql.invoke("SELECT count(*) AS n FROM orders", ctx)
    assert again.ok and again.data["rows"] == [[4]]
    assert len(ctx.state["agentcore_duckdb.databases"]) == 1


def test_tool_blocked_query_is_an_observation_with_a_kind(shop_db: Path) -> None:
    ctx = settings_context(shop_db, ["orders", "customers"])
    result = sql.invoke({"query": "SELECT * FROM staff_passwords"}, ctx)
    assert not result.ok
    assert result.error_kind == "forbidden_table"
    assert result.observation.startswith("SQL error (forbidden_table):")
    assert "orders, customers" in result.observation
    assert SECRET not in result.observation
    write = sql.invoke({"query": "DROP TABLE orders"}, ctx)
    assert write.error_kind == "not_read_only"


def test_tool_describes_the_schema_on_request(shop_db: Path) -> None:
    result = sql.invoke({"query": "schema"}, settings_context(shop_db))
    assert result.ok
    assert "- orders (4 rows; One row per order): id INTEGER" in result.observation
    assert "- customers (3 rows)" in result.observation
    assert "staff_passwords" not in result.observation


def test_tool_without_configuration_says_how_to_configure(shop_db: Path) -> None:
    result = sql.invoke({"query": "SELECT 1"}, ToolContext())
    assert not result.ok and result.error_kind == "not_configured"
    assert "sql.database" in result.observation and "sql.tables" in result.observation
    missing_tables = sql.invoke({"query": "SELECT 1"}, settings_context(shop_db, ""))
    assert missing_tables.error_kind == "not_configured"


def test_tool_misconfigured_table_does_not_list_the_database(shop_db: Path, tmp_path: Path) -> None:
    bad_table = sql.invoke({"query": "SELECT 1"}, settings_context(shop_db, "orders,ordrs"))
    assert bad_table.error_kind == "not_configured"
    assert "ordrs" in bad_table.observation
    assert "staff_passwords" not in bad_table.observation
    bad_path = sql.invoke(
        {"query": "SELECT 1"}, settings_context(tmp_path / "nope.duckdb", "orders")
    )
    assert bad_path.error_kind == "not_configured" and "does not exist" in bad_path.observation


def test_tool_spec_is_one_string_query() -> None:
    spec = sql.spec
    assert spec.name == "sql"
    assert spec.parameters["required"] == ["query"]
    assert spec.parameters["properties"]["query"]["type"] == "string"
    assert spec.string_argument == "query"
    assert "read-only" in spec.description


def test_bound_tool_factory(shop_db: Path) -> None:
    bound = sql_tool(shop_db, ["orders", "customers"], row_limit=2, timeout_s=3)
    assert isinstance(bound, Tool) and bound.name == "sql"
    assert "- orders (4 rows" in bound.description and "- customers" in bound.description
    assert bound.timeout_s is not None and bound.timeout_s > 3
    result = bound.invoke({"query": "SELECT id FROM orders ORDER BY id"})
    assert result.ok
    assert result.observation.splitlines()[-1] == "(2 more rows not shown)"
    blocked = bound.invoke({"query": "SELECT leak()"})
    assert blocked.error_kind == "forbidden_function"
    bound.database.close()


def test_bound_tool_factory_checks_configuration_up_front(shop_db: Path) -> None:
    with pytest.raises(ConfigError, match="ordrs"):
        sql_tool(shop_db, ["ordrs"])
    with pytest.raises(ConfigError, match="tables"):
        sql_tool(shop_db)


def test_plugin_registers_the_tool_and_loads_lightly() -> None:
    from agentcore.plugins import get_plugin_manager

    pm = get_plugin_manager()
    assert pm.tool("sql") is sql
    assert "duckdb" in {info.name for info in pm.plugins()}
    assert not [f for f in pm.failures if f.name == "duckdb"]
    probe = (
        "import sys, agentcore_duckdb.plugin, agentcore_duckdb; "
        "assert 'duckdb' not in sys.modules, 'duckdb imported at plugin import'"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


# --- CLI -------------------------------------------------------------------------------


def run_cli(*args: str) -> object:
    from agentcore.cli.main import _load_commands, cli

    _load_commands()
    return CliRunner().invoke(cli, ["sql", *args])


def test_cli_json_prints_exactly_the_five_keys(shop_db: Path) -> None:
    result = run_cli(
        str(shop_db),
        "SELECT c.name, sum(o.total) AS spent FROM orders o JOIN customers c "
        "ON c.id = o.customer_id GROUP BY c.name ORDER BY c.name",
        "--tables",
        "orders,customers",
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"columns", "rows", "error", "duration_s", "notes"}
    assert payload["notes"] == []  # nothing was cut to fit the size caps
    assert payload["columns"] == ["name", "spent"]
    assert payload["rows"] == [["Ada", 35.5], ["Bo", 99.99], ["Cy", 5.25]]
    assert payload["error"] is None
    assert isinstance(payload["duration_s"], float)


def test_cli_json_blocked_query_exits_1_with_the_kind(shop_db: Path) -> None:
    result = run_cli(str(shop_db), "SELECT * FROM staff_passwords", "--tables", "orders", "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["columns"] == [] and payload["rows"] == []
    assert payload["error"]["kind"] == "forbidden_table"
    assert set(payload["error"]) == {"kind", "message"}
    for query, kind in [
        ("SELECT * FROM read_csv('/etc/passwd')", "file_access"),
        ("SELECT 1; DROP TABLE orders", "multiple_statements"),
        ("SET threads = 1", "settings_change"),
    ]:
        blocked = run_cli(str(shop_db), query, "--tables", "orders", "--json")
        assert blocked.exit_code == 1
        assert json.loads(blocked.stdout)["error"]["kind"] == kind


def test_cli_text_mode_prints_what_the_model_sees(shop_db: Path) -> None:
    ok = run_cli(
        str(shop_db), "SELECT id FROM events ORDER BY id", "--tables", "events", "--max-rows", "3"
    )
    assert ok.exit_code == 0
    assert ok.stdout.splitlines() == ["id", "--", "0", "1", "2", "(117 more rows not shown)"]
    blocked = run_cli(str(shop_db), "DELETE FROM events", "--tables", "events")
    assert blocked.exit_code == 1
    assert "SQL error (not_read_only)" in blocked.stderr


def test_cli_missing_database_is_one_error_line(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "nope.duckdb"), "SELECT 1", "--tables", "orders")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: DuckDB database")
    assert "does not exist" in lines[0]


def test_cli_unknown_table_is_one_error_line(shop_db: Path) -> None:
    result = run_cli(str(shop_db), "SELECT 1", "--tables", "orders,ordrs")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'ordrs' is not in DuckDB database" in lines[0]
    assert "Traceback" not in result.output


def test_cli_requires_tables(shop_db: Path) -> None:
    result = run_cli(str(shop_db), "SELECT 1")
    assert result.exit_code == 2 and "--tables" in result.output
