"""``agentcore index PATH`` reads only what is inside PATH: links are never followed.

A folder handed to the indexer may come from anywhere (a cloned repository, an
unpacked archive); a symbolic link in it must not pull ``~/.ssh/id_rsa`` or
``/etc/passwd`` into an index that is then served to a model. Each case builds
real links on disk and checks the index file itself, not only the messages.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest
from agentcore_retrievers.builder import index_folder, plan_index
from click.testing import CliRunner

from agentcore.cli.main import _load_commands, cli

SECRET = "correct horse battery staple"


@pytest.fixture
def runner() -> CliRunner:
    _load_commands()
    return CliRunner()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the one indexed, holding a secret in every readable form."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"The vault password is {SECRET}.\n")
    (folder / "notes.md").write_text(f"# Notes\n\n{SECRET}\n")
    return folder


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "guide").mkdir(parents=True)
    (folder / "readme.md").write_text("# Readme\n\nThe shop opens at nine.\n")
    (folder / "guide" / "returns.txt").write_text("Returns are free within thirty days.\n")
    return folder


def passages(index: Path) -> list[str]:
    with duckdb.connect(str(index), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT text FROM chunks").fetchall()]


def sources(index: Path) -> set[str]:
    with duckdb.connect(str(index), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT DISTINCT source FROM chunks").fetchall()}


def run_index(runner: CliRunner, folder: Path, into: Path):
    return runner.invoke(cli, ["index", str(folder), "--into", str(into), "--no-dense"])


def test_a_file_link_out_of_path_is_skipped_and_reported(
    runner: CliRunner, docs: Path, outside: Path, tmp_path: Path
) -> None:
    (docs / "passwords.txt").symlink_to(outside / "secret.txt")
    (docs / "guide" / "notes.md").symlink_to(outside / "notes.md")
    into = tmp_path / "docs.duckdb"
    result = run_index(runner, docs, into)
    assert result.exit_code == 0, result.output
    assert not any(SECRET in text for text in passages(into))
    assert sources(into) == {"readme.md", "guide/returns.txt"}
    assert "skipped passwords.txt: a link to" in result.output
    assert "skipped guide/notes.md: a link to" in result.output
    assert f"outside {docs.resolve()}" in result.output
    assert "indexed 2 documents" in result.output


def test_a_folder_link_out_of_path_is_not_descended(
    runner: CliRunner, docs: Path, outside: Path, tmp_path: Path
) -> None:
    (docs / "more").symlink_to(outside, target_is_directory=True)
    into = tmp_path / "docs.duckdb"
    result = run_index(runner, docs, into)
    assert result.exit_code == 0, result.output
    assert not any(SECRET in text for text in passages(into))
    assert "skipped more: a link to a folder" in result.output


def test_a_chain_of_links_ending_outside_is_skipped(docs: Path, outside: Path) -> None:
    """``a.txt -> b.txt -> ../private/secret.txt``: every hop is a link, none is followed."""
    (docs / "b.txt").symlink_to(outside / "secret.txt")
    (docs / "a.txt").symlink_to(docs / "b.txt")
    plan = plan_index(docs)
    assert not any(SECRET in chunk.text for chunk in plan.chunks)
    assert {s.name for s in plan.skipped} == {"a.txt", "b.txt"}


def test_a_link_inside_path_is_not_followed_either(docs: Path) -> None:
    """Links are never followed, even to a file inside PATH (that file is indexed by its own
    name), so no passage is indexed twice and no link can be swapped to point outside later."""
    (docs / "alias.txt").symlink_to(docs / "guide" / "returns.txt")
    plan = plan_index(docs)
    assert plan.documents == 2
    assert [s.name for s in plan.skipped] == ["alias.txt"]
    assert "inside the folder" in plan.skipped[0].reason


def test_link_loops_do_not_hang(docs: Path, tmp_path: Path) -> None:
    (docs / "self.txt").symlink_to(docs / "self.txt")  # a link to itself
    (docs / "ping.md").symlink_to(docs / "pong.md")  # two links to each other
    (docs / "pong.md").symlink_to(docs / "ping.md")
    (docs / "guide" / "up").symlink_to(docs, target_is_directory=True)  # a folder loop
    (docs / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    outcome: dict[str, object] = {}

    def build() -> None:
        try:
            outcome["stats"] = index_folder(docs, tmp_path / "loops.duckdb", dense=False)
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    worker = threading.Thread(target=build, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "indexing a folder with link loops did not finish"
    assert "error" not in outcome, outcome.get("error")
    stats = outcome["stats"]
    assert stats.documents == 2  # readme.md and guide/returns.txt, each once
    assert {s.name for s in stats.skipped} == {
        "self.txt",
        "ping.md",
        "pong.md",
        "guide/up",
        "dangling.txt",
    }
    assert any("loops or points nowhere" in s.reason for s in stats.skipped)


def test_path_given_as_a_link_is_followed_but_links_below_it_are_not(
    docs: Path, outside: Path, tmp_path: Path
) -> None:
    """The folder the user names may itself be a link; what is under it stays confined."""
    (docs / "secret.txt").symlink_to(outside / "secret.txt")
    named = tmp_path / "docs-link"
    named.symlink_to(docs, target_is_directory=True)
    plan = plan_index(named)
    assert plan.documents == 2
    assert not any(SECRET in chunk.text for chunk in plan.chunks)


def test_special_files_are_skipped_not_read(docs: Path) -> None:
    """A FIFO named like a document would block the indexer forever if it were opened."""
    os.mkfifo(docs / "pipe.txt")
    plan = plan_index(docs)
    assert plan.documents == 2
    assert [(s.name, s.reason) for s in plan.skipped] == [("pipe.txt", "not a regular file")]
