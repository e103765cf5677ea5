"""Caches for online answers: an in-memory LRU, optionally backed by a directory.

Only answers are cached (a page, or "not found" with suggestions); failures
such as timeouts are not, so the next call tries the network again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

from agentcore_wikipedia.backend import SearchOutcome


class OutcomeCache:
    """Least-recently-used outcomes by key; ``size`` 0 turns the memory cache off."""

    def __init__(self, size: int = 256, directory: str | Path | None = None) -> None:
        self.size = size
        self.directory = Path(directory).expanduser() if directory else None
        self._items: OrderedDict[str, SearchOutcome] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> SearchOutcome | None:
        with self._lock:
            outcome = self._items.get(key)
            if outcome is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return outcome
        outcome = self._read_disk(key)
        with self._lock:
            if outcome is None:
                self.misses += 1
            else:
                self.hits += 1
                self._remember(key, outcome)
        return outcome

    def put(self, key: str, outcome: SearchOutcome) -> None:
        if outcome.error is not None:
            return
        with self._lock:
            self._remember(key, outcome)
        self._write_disk(key, outcome)

    def _remember(self, key: str, outcome: SearchOutcome) -> None:
        if self.size <= 0:
            return
        self._items[key] = outcome
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    # -- on disk ---------------------------------------------------------------------------

    def _file(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def _read_disk(self, key: str) -> SearchOutcome | None:
        file = self._file(key)
        if file is None or not file.is_file():
            return None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.pop("key", None) != key:
                return None  # a hash collision or a foreign file: ignore it
            data["sentences"] = tuple(data.get("sentences", ()))
            data["similar"] = tuple(data.get("similar", ()))
            return SearchOutcome(**data)
        except (OSError, ValueError, TypeError):
            return None  # a damaged entry is a miss, not an error

    def _write_disk(self, key: str, outcome: SearchOutcome) -> None:
        file = self._file(key)
        if file is None:
            return
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps({"key": key, **asdict(outcome)}, ensure_ascii=False)
            # Write then rename, so a reader never sees half a file.
            fd, temporary = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(temporary, file)
        except OSError:
            pass  # the disk cache is an optimisation; the answer is still returned
