"""Fixtures for the sandbox plugin's tests: real worker processes, small limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from agentcore_sandbox.executor import SandboxExecutor

# Generous bound that only guards against a hang; blocked cases end far sooner.
NOT_HUNG_S = 15.0


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxExecutor]:
    """One executor shared by the attack and function tests (as an engine would share it)."""
    executor = SandboxExecutor(timeout_s=2.0, max_output_chars=5_000)
    yield executor
    executor.close()


@pytest.fixture
def fresh_sandbox() -> Iterator[SandboxExecutor]:
    """An executor of the test's own, for tests that watch worker processes."""
    executor = SandboxExecutor(timeout_s=2.0)
    yield executor
    executor.close()
