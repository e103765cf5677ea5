"""One throwaway PostgreSQL cluster for the session; each test gets its own database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from agentcore_postgres.testing import (
    create_database,
    drop_database,
    postgres_binaries,
    throwaway_cluster,
)


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
    url = create_database(cluster_url)
    yield url
    drop_database(url)
