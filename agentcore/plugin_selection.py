"""Which plugins the environment lets load: ``AGENTCORE_PLUGINS`` and ``AGENTCORE_DISABLE_PLUGINS``.

A module of its own, without pluggy, so that ``agentcore --help`` can apply the two lists to
the command entry points without building the plugin manager.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

ALLOW_ENV = "AGENTCORE_PLUGINS"
DENY_ENV = "AGENTCORE_DISABLE_PLUGINS"


def env_names(variable: str) -> set[str] | None:
    """The comma-separated names in ``variable``; ``None`` when it is unset or blank."""
    value = os.environ.get(variable)
    if value is None or not value.strip():
        return None
    return names(value.split(","))


def names(items: Iterable[str]) -> set[str]:
    return {n.strip() for n in items if n.strip()}


def is_wanted(name: str, allow: set[str] | None, deny: set[str]) -> bool:
    """Whether plugin ``name`` may load under an allow-list (``None``: all) and a deny-list."""
    return name not in deny and (allow is None or name in allow)
