"""One throwaway PostgreSQL cluster for the session; each test gets its own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from agentcore_postgres.testing import postgres_binaries, throwaway_cluster


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    bindir, why = postgres_binaries()
    if bindir is None:
        pytest.skip(why)
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def database_url(cluster_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's cluster (dropped afterwards)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    yield cluster_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(cluster_url, autocommit=True) as con:
        con.execute(f"DROP DATABASE {name} WITH (FORCE)")
