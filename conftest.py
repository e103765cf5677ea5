"""Fixtures shared by the core's and the plugins' tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_plugin_manager(monkeypatch):
    """Each test sees the plugins as the environment says, not as an earlier test left them."""
    from agentcore.plugins import reset_plugin_manager

    monkeypatch.delenv("AGENTCORE_PLUGINS", raising=False)
    monkeypatch.delenv("AGENTCORE_DISABLE_PLUGINS", raising=False)
    # Runs made by tests never land in the user's run store; store tests point it elsewhere.
    monkeypatch.setenv("AGENTCORE_STORE", "off")
    # Nor does the user's config file (or an agentcore.toml in the checkout) change them.
    monkeypatch.setenv("AGENTCORE_CONFIG", "off")
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
