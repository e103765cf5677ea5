"""The index file: what a new process reads back, rebuilding in place, refusing other files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from agentcore_retrievers.builder import index_folder
from agentcore_retrievers.index_retrievers import BM25Retriever, DenseRetriever
from agentcore_retrievers.store import IndexReader

from agentcore.errors import ConfigError

QUERIES = [
    "Who is the plaintiff in case 2023-CV-0412?",
    "roof leak chimney flashing",
    "security deposit kept by the landlord",
]

_CHILD = """
import json, sys
from agentcore_retrievers.builder import index_folder
from agentcore_retrievers.index_retrievers import BM25Retriever
retriever = BM25Retriever(sys.argv[1])
out = [[(d.id, d.score, d.metadata["start"], d.metadata["end"]) for d in retriever.retrieve(q, 5)]
       for q in json.loads(sys.argv[2])]
print(json.dumps(out))
"""


def test_a_new_process_reads_the_same_results_from_the_file(tmp_path: Path, legal_cases) -> None:
    path = tmp_path / "cases.duckdb"
    index_folder(legal_cases, path, dense=False)
    here = BM25Retriever(path)
    expected = [
        [[d.id, d.score, d.metadata["start"], d.metadata["end"]] for d in here.retrieve(q, 5)]
        for q in QUERIES
    ]
    here.close()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), json.dumps(QUERIES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(child.stdout)
    assert got == expected
    assert got[0][0][0] == "2023-CV-0412.md#p1"


def test_reopened_dense_index_gives_the_same_ranking(legal_index: Path) -> None:
    query = "someone used my photographs in their app without paying"
    first = DenseRetriever(legal_index)
    before = [(d.id, d.score) for d in first.retrieve(query, 5)]
    first.close()
    with duckdb.connect(str(legal_index), read_only=True) as con:  # a plain new connection
        assert con.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 42
    after = [(d.id, d.score) for d in DenseRetriever(legal_index).retrieve(query, 5)]
    assert after == before
    assert before[0][0].startswith("2024-CV-0217.md")


def test_rebuilding_replaces_the_index_and_open_retrievers_see_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Apples grow in orchards.")
    path = tmp_path / "index.duckdb"
    index_folder(docs, path, dense=False)
    retriever = BM25Retriever(path)
    assert [d.source for d in retriever.retrieve("orchards", 3)] == ["a.txt"]
    (docs / "b.txt").write_text("Pears also grow in orchards, next to the orchards' apples.")
    index_folder(docs, path, dense=False)
    assert [d.source for d in retriever.retrieve("orchards", 3)] == ["b.txt", "a.txt"]
    assert not list(tmp_path.glob("*.building*"))  # the temporary file is gone
    reader = IndexReader(path)
    assert reader.meta["documents"] == "2" and reader.chunk_count == 2
    reader.close()


def test_refuses_to_overwrite_a_file_that_is_not_an_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\nText.")
    other = tmp_path / "shop.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE orders (id INTEGER)")
    with pytest.raises(ConfigError, match="not an agentcore index; refusing"):
        index_folder(docs, other, dense=False)
    with duckdb.connect(str(other), read_only=True) as con:  # untouched
        assert con.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    with pytest.raises(ConfigError, match="does not exist; build it"):
        BM25Retriever(tmp_path / "missing.duckdb")
    with pytest.raises(ConfigError, match="not an agentcore index"):
        BM25Retriever(other)
