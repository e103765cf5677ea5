"""The command entry points of the installed distributions, read without importing any plugin.

A plugin declares its commands in the ``agentcore.commands`` entry-point group
(``runs = "agentcore_store.cli:runs_group"``); the ``agentcore`` command lists them from this
table and imports one only when it is used. ``importlib.metadata`` is the source of truth,
but importing it (email, zipfile, pathlib, ...) costs more than the rest of ``agentcore --help``
together, so its answer is kept in a small cache file and reused while the files it reads are
unchanged: the cache is keyed on every ``*.dist-info`` / ``*.egg-info`` directory on
``sys.path`` and the modification time of its ``entry_points.txt``, so installing, upgrading,
removing or re-installing (editable or not) any distribution refreshes it. Reading the key is
a directory listing per ``sys.path`` entry; an unreadable or unwritable cache is ignored.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from typing import NamedTuple

from agentcore.paths import cache_root

COMMANDS_GROUP = "agentcore.commands"
PLUGINS_GROUP = "agentcore"
_CACHE_FORMAT = 1


class CommandEntry(NamedTuple):
    """One declared command: where it lives and which distribution (and plugins) declare it."""

    name: str
    value: str  # "module:attribute"
    distribution: str
    plugins: tuple[str, ...]  # the distribution's entry points in the ``agentcore`` group


def command_entries() -> list[CommandEntry]:
    """Every declared command, first declaration of a name first (``sys.path`` order)."""
    key = (_CACHE_FORMAT, sys.version, _fingerprint())
    path = os.path.join(cache_root(), f"entry-points-{zlib.crc32(sys.prefix.encode()):08x}")
    try:
        with open(path, "rb") as cached:
            stored_key, rows = marshal.load(cached)
        if stored_key == key:
            return [CommandEntry(*row) for row in rows]
    except (OSError, EOFError, ValueError, TypeError):
        pass
    entries = _read_with_importlib_metadata()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "wb") as out:
            marshal.dump((key, [tuple(e) for e in entries]), out)
        os.replace(partial, path)
    except OSError:
        pass
    return entries


def _fingerprint() -> tuple[tuple[str, str, int], ...]:
    """What ``importlib.metadata`` would read: distribution folders and their entry points."""
    found = []
    for entry in sys.path:
        directory = entry or "."
        try:
            listing = os.scandir(directory)
        except OSError:  # missing, a file (zip), or unreadable: holds no dist-info folders
            continue
        with listing:
            for item in listing:
                if item.name.endswith((".dist-info", ".egg-info")):
                    try:
                        mtime = os.stat(os.path.join(item.path, "entry_points.txt")).st_mtime_ns
                    except OSError:
                        mtime = 0
                    found.append((os.path.abspath(directory), item.name, mtime))
    return tuple(found)


def _read_with_importlib_metadata() -> list[CommandEntry]:
    import importlib.metadata

    def dist_name(ep: importlib.metadata.EntryPoint) -> str:
        dist = getattr(ep, "dist", None)
        return dist.metadata["Name"] if dist is not None else "?"

    plugins: dict[str, list[str]] = {}
    for ep in importlib.metadata.entry_points(group=PLUGINS_GROUP):
        plugins.setdefault(dist_name(ep), []).append(ep.name)
    entries: list[CommandEntry] = []
    for ep in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        dist = dist_name(ep)
        entries.append(CommandEntry(ep.name, ep.value, dist, tuple(plugins.get(dist, ()))))
    return entries
