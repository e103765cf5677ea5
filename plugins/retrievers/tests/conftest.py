"""Fixtures for the retrievers plugin: the legal example's cases and an index built from them.

Building the legal index embeds every passage with the real all-MiniLM-L6-v2
model; it is built once per test session and only read afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from agentcore_retrievers.builder import index_folder

REPO_ROOT = Path(__file__).resolve().parents[3]
LEGAL = REPO_ROOT / "examples" / "rag_legal"


@pytest.fixture(scope="session")
def legal_cases() -> Path:
    return LEGAL / "cases"


@pytest.fixture(scope="session")
def legal_questions() -> Path:
    return LEGAL / "questions.jsonl"


@pytest.fixture(scope="session")
def legal_index(tmp_path_factory: pytest.TempPathFactory, legal_cases: Path) -> Path:
    """The legal cases indexed with BM25 and dense vectors (read-only for tests)."""
    path = tmp_path_factory.mktemp("legal") / "legal.duckdb"
    index_folder(legal_cases, path, dense=True)
    return path


@pytest.fixture(scope="session")
def lexical_index(tmp_path_factory: pytest.TempPathFactory, legal_cases: Path) -> Path:
    """The legal cases indexed without embeddings (no model needed)."""
    path = tmp_path_factory.mktemp("legal_lexical") / "legal.duckdb"
    index_folder(legal_cases, path, dense=False)
    return path
