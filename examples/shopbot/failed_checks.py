"""Failed identity checks, counted across conversations (and restarts) in a SQLite file.

``verify_customer`` lets whoever knows an order number and its email address act on that order.
If failures were counted per conversation only, a guesser would simply start a new conversation
after every few tries. So each failure is recorded twice — under the order number and under the
email address — and a check is refused while either has :data:`MAX_FAILED_CHECKS` failures
within :data:`WINDOW_S`: guessing emails for one order and trying one email against many orders
are both stopped, in every conversation. A successful check clears its order and email (the
customer who mistyped is not locked out later; a guesser cannot clear keys they cannot match).

A lock on someone else's order can be provoked on purpose (three wrong emails); that is the
usual price of a lockout, bounded by the window, and the refusal sends the customer to support.
Distinct (order, email) pairs are each tried once at most three times per conversation; a shop
facing that should also rate-limit conversations per client in front of the bot.

The file is SQLite (standard library): several bot processes can share it safely.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

MAX_FAILED_CHECKS = 3
WINDOW_S = 24 * 3600.0
FILE_NAME = "failed-checks.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
"""


def order_key(order: int | str) -> str:
    return f"order:{str(order).strip().lower()}"


def email_key(email: str) -> str:
    return f"email:{email.strip().lower()}"


class FailedChecks:
    """Counts failed checks per order number and per email address; ``path=None`` keeps them
    in memory (shared by every conversation of the tools holding this object)."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        limit: int = MAX_FAILED_CHECKS,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Tools run on worker threads: one connection, used under a lock; SQLite's own file
        # locking keeps several processes consistent.
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(self.path) if self.path is not None else ":memory:",
            timeout=10.0,
            isolation_level=None,
            check_same_thread=False,
        )
        self._conn.executescript(_SCHEMA)

    @classmethod
    def for_settings(cls, settings: Mapping[str, Any]) -> FailedChecks:
        """The bot's count: ``failed-checks.sqlite`` in ``shopbot.work_dir`` (else beside the
        orders database)."""
        shop = settings.get("shopbot", {}) if isinstance(settings, Mapping) else {}
        folder = shop.get("work_dir") or Path(str(shop.get("database", "."))).parent
        return cls(Path(str(folder)).expanduser() / FILE_NAME)

    def locked(self, order: int | str, email: str) -> bool:
        """Has this order number or this email address failed too often lately?"""
        since = self._clock() - self.window_s
        with self._lock:
            rows = self._conn.execute(
                "SELECT count(*) FROM failures WHERE key IN (?, ?) AND at > ? GROUP BY key",
                (order_key(order), email_key(email), since),
            ).fetchall()
        return any(count >= self.limit for (count,) in rows)

    def record_failure(self, order: int | str, email: str) -> None:
        now = self._clock()
        with self._lock:
            self._conn.execute("DELETE FROM failures WHERE at <= ?", (now - self.window_s,))
            self._conn.executemany(
                "INSERT INTO failures VALUES (?, ?)",
                [(order_key(order), now), (email_key(email), now)],
            )

    def clear(self, order: int | str, email: str) -> None:
        """A check succeeded: earlier mistakes with this order and email no longer count."""
        with self._lock:
            self._conn.execute(
                "DELETE FROM failures WHERE key IN (?, ?)", (order_key(order), email_key(email))
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
