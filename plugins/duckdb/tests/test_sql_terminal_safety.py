"""``agentcore sql`` prints cells escaped: a value in the database cannot drive the terminal.

A real DuckDB file holds a cell with an OSC 52 clipboard write, a screen clear, an 8-bit
CSI and a bidi override; the real CLI prints it (``color=True``, as a terminal gets it).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

CELL = "note\x1b]52;c;cm0gLXJm\x07\x1b[2J\x9b31m\u202eevil"


@pytest.fixture
def notes_db(tmp_path: Path) -> Path:
    path = tmp_path / "notes.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE notes(body VARCHAR)")
        con.execute("INSERT INTO notes VALUES (?)", [CELL])
    return path


def run_sql(*args: str):
    from agentcore.cli.main import _load_commands, cli

    _load_commands()
    return CliRunner().invoke(cli, ["sql", *args], color=True, catch_exceptions=False)


@pytest.mark.parametrize("as_json", [False, True])
def test_cells_reach_the_terminal_escaped(notes_db: Path, as_json: bool) -> None:
    result = run_sql(str(notes_db), "SELECT body FROM notes", "--tables", "notes",
                     *(["--json"] if as_json else []))  # fmt: skip
    assert result.exit_code == 0, result.output
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in result.output
    if as_json:
        assert json.loads(result.output)["rows"] == [[CELL]]
    else:
        assert "note\\x1b]52;c;cm0gLXJm\\x07\\x1b[2J\\x9b31m<U+202E>evil" in result.output
