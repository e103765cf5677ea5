"""Where agentcore keeps its caches (without pathlib, so the CLI's start-up path can use it)."""

from __future__ import annotations

import os


def cache_root() -> str:
    """``$AGENTCORE_CACHE``, else ``$XDG_CACHE_HOME/agentcore`` (``~/.cache/agentcore``)."""
    return os.environ.get("AGENTCORE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "agentcore"
    )
