"""The DuckDB run store (``agentcore serve``'s default) passes the shared run-store contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from agentcore_store.served import DuckDBRunStore

from agentcore.errors import ConfigError
from agentcore.run_store import open_run_store
from agentcore.run_store_tests import RunStoreContract, a_run


class TestDuckDBRunStore(RunStoreContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "served" / "runs.duckdb"

    @pytest.fixture
    def store(self, path: Path):
        opened = [DuckDBRunStore(path)]
        yield opened[0]
        opened[0].close()

    @pytest.fixture
    def reopen(self, store: DuckDBRunStore, path: Path):
        def reopen() -> DuckDBRunStore:
            store.close()
            return DuckDBRunStore(path)

        return reopen


class TestSharedDuckDBRunStore(RunStoreContract):
    """``hold=False``: a connection per operation, so processes take turns with the file."""

    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "shared" / "runs.duckdb"

    @pytest.fixture
    def store(self, path: Path):
        return DuckDBRunStore(path, hold=False)

    @pytest.fixture
    def reopen(self, path: Path):
        return lambda: DuckDBRunStore(path, hold=False)


def test_a_shared_store_lets_another_process_write_between_operations(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    store = DuckDBRunStore(path, hold=False)
    store.save_checkpoint("r-1", "paused", "{}")
    code = (
        "import sys\nfrom agentcore_store.served import DuckDBRunStore\n"
        "s = DuckDBRunStore(sys.argv[1], hold=False)\n"
        "print(s.get_checkpoint('r-1')); s.save_checkpoint('r-1', 'running', '{\"by\": 2}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "{}", out.stdout + out.stderr
    assert store.get_checkpoint("r-1") == '{"by": 2}'


def test_a_path_with_the_duckdb_suffix_opens_this_store(tmp_path: Path) -> None:
    store = open_run_store(str(tmp_path / "runs.duckdb"))
    try:
        assert isinstance(store, DuckDBRunStore)
        store.save_run(a_run("r-1"))
        assert store.get_run("r-1") is not None
    finally:
        store.close()


def test_a_second_process_on_the_same_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    store = DuckDBRunStore(path)
    try:
        code = (
            "import sys\nfrom agentcore_store.served import DuckDBRunStore\n"
            "from agentcore.errors import ConfigError\n"
            "try:\n    DuckDBRunStore(sys.argv[1])\n"
            "except ConfigError as exc:\n    print(exc)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
        )
        assert "another process has it open" in out.stdout, out.stdout + out.stderr
        assert "postgresql://" in out.stdout
    finally:
        store.close()


def test_a_directory_or_a_closed_store_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        DuckDBRunStore(tmp_path)
    store = DuckDBRunStore(tmp_path / "runs.duckdb")
    store.close()
    with pytest.raises(ConfigError, match="is closed"):
        store.get_run("r-1")


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("", "location is empty"),
        ("runs", "name a file with the backend's suffix"),
        ("runs.sqlite", "no plugin provides a run store for 'runs.sqlite'"),
        ("mysql://db/x", "install agentcore-store for .duckdb files"),
    ],
)
def test_a_location_no_store_serves_says_what_to_do(location: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_run_store(location)
