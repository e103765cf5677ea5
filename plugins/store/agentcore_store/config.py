"""Where the run store lives: ``AGENTCORE_STORE``, or ``runs.duckdb`` in agentcore's cache.

The path is read from the environment each time it is needed, so a process (or a
test) can point the store elsewhere, or switch it off, without restarting.
"""

from __future__ import annotations

import os
from pathlib import Path

STORE_ENV = "AGENTCORE_STORE"
DEFAULT_FILE_NAME = "runs.duckdb"
OFF_VALUES = frozenset({"off", "none", "false", "0", "disabled"})


def store_path() -> Path | None:
    """The store file to use now, or ``None`` when ``AGENTCORE_STORE=off`` disables storage."""
    value = os.environ.get(STORE_ENV, "").strip()
    if value.lower() in OFF_VALUES:
        return None
    if value:
        return Path(value).expanduser()
    from agentcore.plugin import cache_dir

    return cache_dir() / DEFAULT_FILE_NAME


def describe_setting() -> str:
    """One phrase saying where the path came from (for messages)."""
    value = os.environ.get(STORE_ENV, "").strip()
    return f"{STORE_ENV}={value}" if value else f"default; set {STORE_ENV} to change it"
