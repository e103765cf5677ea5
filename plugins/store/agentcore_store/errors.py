"""Errors of the run store; the CLI prints them as one line and exits with status 1."""

from __future__ import annotations

from agentcore.plugin import AgentcoreError


class StoreError(AgentcoreError):
    """The store cannot be opened, is locked for too long, or is from a newer version."""


class RunNotFoundError(StoreError):
    """A run id (or prefix) matches no stored run, or more than one."""
