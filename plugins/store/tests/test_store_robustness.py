"""Storage problems never break a run; the schema is versioned and migrates; imports stay light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.models import RunStatus
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent


def run_once(answer: str = "done") -> object:
    pm = AgentcorePluginManager(allow={"store", "scripted"})
    backend = ScriptedBackend([f" Sure.\nAction 1: finish[{answer}]"])
    result = ReActAgent(backend, tools=[], plugin_manager=pm).run("Anything?")
    assert pm.failures == []  # the hooks swallowed the problem themselves
    return result


@pytest.mark.parametrize("kind", ["parent_is_a_file", "path_is_a_directory", "not_a_database"])
def test_unusable_store_path_warns_once_and_runs_still_finish(tmp_path, monkeypatch, capsys, kind):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a plain file where a folder should be")
    target = {
        "parent_is_a_file": blocker / "runs.duckdb",
        "path_is_a_directory": tmp_path,
        "not_a_database": blocker,
    }[kind]
    monkeypatch.setenv("AGENTCORE_STORE", str(target))
    first, second = run_once("one"), run_once("two")
    assert (first.status, first.answer) == (RunStatus.FINISHED, "one")
    assert (second.status, second.answer) == (RunStatus.FINISHED, "two")
    err = capsys.readouterr().err
    assert err.count("agentcore-store: could not") == 1, err
    assert str(target) in err and "The run goes on" in err
    assert blocker.read_text() == "a plain file where a folder should be"  # never clobbered


def _set_version(path: Path, version: int) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


def test_store_from_a_newer_version_is_left_alone(store, capsys, query_store):
    from click.testing import CliRunner

    from agentcore.cli.main import _load_commands, cli

    kept = run_once("kept")
    _set_version(store, 99)
    later = run_once("later")
    assert later.status is RunStatus.FINISHED
    assert "schema version 99, newer than this agentcore-store understands" in (
        capsys.readouterr().err
    )
    assert query_store(store, "SELECT run_id FROM runs") == [(kept.run_id,)]

    _load_commands()
    listing = CliRunner().invoke(cli, ["runs"])
    assert listing.exit_code == 1 and "upgrade agentcore-store" in listing.output


def test_pending_migrations_run_once_in_order(store, monkeypatch, query_store):
    from agentcore_store import schema
    from agentcore_store.connection import open_store

    run_once("before")
    applied: list[int] = []

    nxt = schema.latest_version() + 1

    def add_cost_column(con) -> None:
        applied.append(nxt)
        con.execute("ALTER TABLE runs ADD COLUMN cost_usd DOUBLE")

    migrations = [*schema.MIGRATIONS, schema.Migration(nxt, "runs.cost_usd", add_cost_column)]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    result = run_once("after")  # the start write migrates the file; the end write does not again
    with open_store(store, wait_s=5):
        pass
    assert applied == [nxt]
    assert query_store(store, "SELECT value FROM meta") == [(str(nxt),)]
    rows = query_store(store, "SELECT answer, cost_usd FROM runs ORDER BY started_at")
    assert rows == [("before", None), ("after", None)]
    assert result.status is RunStatus.FINISHED


def test_a_failing_migration_is_rolled_back(store, monkeypatch, query_store, capsys):
    from agentcore_store import schema

    run_once("before")

    def broken(con) -> None:
        con.execute("ALTER TABLE runs ADD COLUMN half_done INTEGER")
        raise RuntimeError("migration bug")

    current = schema.latest_version()
    monkeypatch.setattr(
        schema, "MIGRATIONS", [*schema.MIGRATIONS, schema.Migration(current + 1, "broken", broken)]
    )
    assert run_once("during").status is RunStatus.FINISHED
    assert "migration bug" in capsys.readouterr().err
    assert query_store(store, "SELECT value FROM meta") == [(str(current),)]
    columns = [row[0] for row in query_store(store, "DESCRIBE runs")]
    assert "half_done" not in columns


def test_plugin_import_and_cli_help_do_not_import_duckdb(tmp_path):
    probe = (
        "import json, sys\n"
        "from agentcore.cli.main import cli, _load_commands\n"
        "from agentcore.plugins import AgentcorePluginManager\n"
        "pm = AgentcorePluginManager(allow={'store'})\n"
        "assert 'store' in pm.infos, pm.failures\n"
        "pm.registry\n"
        "_load_commands()\n"
        "for args in (['--help'], ['runs', '--help'], ['export', '--help']):\n"
        "    try:\n        cli(args)\n    except SystemExit:\n        pass\n"
        "print(json.dumps('duckdb' in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert "agentcore runs" in out.stdout or "List stored runs" in out.stdout
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False
