"""agentcore hook implementations for the Wikipedia tools (kept light: no backend imports)."""

from __future__ import annotations

from collections.abc import Callable

from agentcore.plugin import hookimpl


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    """Provide ``search`` and ``lookup``; their backend is chosen per call from settings."""
    from agentcore_wikipedia.tools import lookup, search

    register(search)
    register(lookup)


@hookimpl
def register_settings(register: Callable[..., None]) -> None:
    from agentcore_wikipedia.settings import SECTION, WikiSettings

    register(SECTION, WikiSettings, description="the search and lookup tools' wiki")
