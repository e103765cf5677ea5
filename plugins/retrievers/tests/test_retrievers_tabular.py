"""Rows as documents: the sql retriever over a real DuckDB file and the csv retriever."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from agentcore.errors import ConfigError
from agentcore.plugins import get_plugin_manager

CASES = [
    ("2023-CV-0412", "Marisol Okafor", "Brightwater Property Management", "No heat for weeks."),
    ("2022-CV-0412", "Greenleaf Farms", "Tamsin Achterberg", "Cancelled tomato order."),
    ("2024-CV-0139", "Tomasz Wierzbicki", "Brightwater Property Management", "Deposit kept."),
    ("2021-CV-3307", "Hiroshi Tanabe", "Okafor & Sons Roofing", "Leaking slate roof."),
]


@pytest.fixture
def cases_db(tmp_path: Path) -> Path:
    path = tmp_path / "court.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE cases (number VARCHAR, plaintiff VARCHAR, defendant VARCHAR, "
            "summary VARCHAR)"
        )
        con.executemany("INSERT INTO cases VALUES (?, ?, ?, ?)", CASES)
    return path


def test_sql_query_template_with_the_question_as_a_parameter(cases_db: Path) -> None:
    retriever = get_plugin_manager().create(
        "retriever",
        "sql",
        database=str(cases_db),
        query="SELECT * FROM cases WHERE contains(upper($query), number) ORDER BY number LIMIT $k",
        id_column="number",
    )
    docs = retriever.retrieve("Who is the plaintiff in case 2023-cv-0412?", k=5)
    assert [d.id for d in docs] == ["2023-CV-0412"]
    assert docs[0].text.splitlines() == [
        "number: 2023-CV-0412",
        "plaintiff: Marisol Okafor",
        "defendant: Brightwater Property Management",
        "summary: No heat for weeks.",
    ]
    assert docs[0].source == "court.duckdb#2023-CV-0412"
    assert docs[0].metadata["values"]["plaintiff"] == "Marisol Okafor"
    assert retriever.retrieve("no case number here", k=5) == []


def test_sql_rows_without_query_parameter_are_ranked_by_bm25(cases_db: Path) -> None:
    retriever = get_plugin_manager().create(
        "retriever",
        "sql",
        database=str(cases_db),
        query="SELECT number, defendant, summary FROM cases",
        text_columns="defendant,summary",
        id_column="number",
    )
    docs = retriever.retrieve("which cases are against Brightwater?", k=5)
    assert sorted(d.id for d in docs) == ["2023-CV-0412", "2024-CV-0139"]
    assert all("Brightwater" in d.text and "number:" not in d.text for d in docs)
    assert docs[0].score is not None and docs[0].score > 0
    top = retriever.retrieve("roof leaking", k=1)
    assert [d.id for d in top] == ["2021-CV-3307"]


def test_sql_retriever_cannot_write_and_reports_bad_queries(cases_db: Path) -> None:
    pm = get_plugin_manager()
    writer = pm.create("retriever", "sql", database=str(cases_db), query="DELETE FROM cases")
    with pytest.raises(ConfigError, match="the query failed"):
        writer.retrieve("anything", k=3)
    with duckdb.connect(str(cases_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cases").fetchone() == (len(CASES),)
    broken = pm.create("retriever", "sql", database=str(cases_db), query="SELECT nope FROM cases")
    with pytest.raises(ConfigError, match="nope"):
        broken.retrieve("anything", k=3)
    wrong_column = pm.create(
        "retriever", "sql", database=str(cases_db), query="SELECT * FROM cases", id_column="id"
    )
    with pytest.raises(ConfigError, match="no column 'id'"):
        wrong_column.retrieve("anything", k=3)
    with pytest.raises(ConfigError, match="does not exist"):
        pm.create("retriever", "sql", database="/nonexistent.duckdb", query="SELECT 1")


def test_csv_rows_are_documents_ranked_by_bm25(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "plaintiff", "defendant", "summary"])
        writer.writerows(CASES)
    retriever = get_plugin_manager().create(
        "retriever", "csv", path=str(path), id_column="number", title_column="plaintiff"
    )
    docs = retriever.retrieve("tomato order cancelled", k=2)
    assert docs[0].id == "2022-CV-0412"
    assert docs[0].title == "Greenleaf Farms"
    assert docs[0].source == "cases.csv#2022-CV-0412"
    assert "summary: Cancelled tomato order." in docs[0].text
    # the file is re-read when it changes
    with path.open("a", newline="") as handle:
        csv.writer(handle).writerow(["2025-CV-0001", "Ana Silva", "Tomato Growers Inc", "Tomatoes"])
    assert {d.id for d in retriever.retrieve("tomato", k=5)} == {"2022-CV-0412", "2025-CV-0001"}


def test_csv_errors_name_the_problem(tmp_path: Path) -> None:
    pm = get_plugin_manager()
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ConfigError, match="data row 2, has 1 fields; the header has 2"):
        pm.create("retriever", "csv", path=str(path)).retrieve("x", k=1)
    with pytest.raises(ConfigError, match="does not exist"):
        pm.create("retriever", "csv", path=str(tmp_path / "missing.csv"))
