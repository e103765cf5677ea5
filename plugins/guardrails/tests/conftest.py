"""A plugin manager with the guardrails plugin, loaded through its entry point as installed."""

from __future__ import annotations

import pytest

from agentcore.plugins import AgentcorePluginManager


@pytest.fixture
def pm() -> AgentcorePluginManager:
    manager = AgentcorePluginManager(allow={"scripted", "guardrails"})
    assert "guardrails" in manager.infos, manager.failures
    return manager
