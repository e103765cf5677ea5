"""Errors the user can act on.

Each carries a message that says what was wrong, where, and what to do; the CLI
prints ``str(error)`` as one line instead of a traceback.
"""

from __future__ import annotations


class AgentcoreError(Exception):
    """Base class for errors caused by input or configuration, not by a bug."""


class ConfigError(AgentcoreError):
    """A setting, option or argument is invalid."""


class NotFoundError(AgentcoreError):
    """A backend, tool, executor, retriever, prompt or model name is unknown."""

    def __init__(self, kind: str, name: str, available: list[str], hint: str = "") -> None:
        self.kind, self.name, self.available = kind, name, available
        listing = ", ".join(sorted(available)) or "none"
        message = f"unknown {kind} {name!r}; available: {listing}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class PromptTooLongError(AgentcoreError):
    """Even the zero-shot prompt does not fit the backend's context window."""


class BackendError(AgentcoreError):
    """A backend failed in a way the user can fix (model missing, server down, ...)."""


class UnsupportedSettingError(ConfigError):
    """A backend cannot honour a generation setting and refuses rather than ignore it."""


class ModelIntegrityError(AgentcoreError):
    """An assembled model file does not have the SHA-256 the registry records."""
