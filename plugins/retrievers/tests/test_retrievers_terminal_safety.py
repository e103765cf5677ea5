"""``agentcore retrieve`` prints passages escaped; ``--json`` keeps them exact.

An indexed file holds an OSC 52 clipboard write, a screen clear, an 8-bit CSI and a bidi
override; the real CLI prints the passage (``color=True``, as a terminal gets it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

TEXT = "Opening hours\x1b]52;c;cm0gLXJm\x07\x1b[2J\x9b31m are nine to five\u202e."


@pytest.fixture
def index(tmp_path: Path) -> Path:
    from agentcore.cli.main import _load_commands, cli

    _load_commands()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hours.md").write_text(TEXT, encoding="utf-8")
    into = tmp_path / "hours.duckdb"
    built = CliRunner().invoke(cli, ["index", str(docs), "--into", str(into), "--no-dense"])
    assert built.exit_code == 0, built.output
    return into


@pytest.mark.parametrize("as_json", [False, True])
def test_passages_reach_the_terminal_escaped(index: Path, as_json: bool) -> None:
    from agentcore.cli.main import cli

    args = ["retrieve", str(index), "opening hours", "-r", "bm25", "-k", "1"]
    result = CliRunner().invoke(cli, args + (["--json"] if as_json else []), color=True)
    assert result.exit_code == 0, result.output
    for raw in ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\u202e"):
        assert raw not in result.output
    if as_json:
        assert "\x1b]52;c;cm0gLXJm\x07" in json.loads(result.output)["text"]
    else:
        assert "hours\\x1b]52;c;cm0gLXJm\\x07\\x1b[2J\\x9b31m are" in result.output
