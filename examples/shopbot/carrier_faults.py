"""Failures the reference carrier can be told to inject, for tests and demos.

Two independent counters, consumed by the next API requests (``/v1/...`` only;
``/health`` and ``/_control`` are never affected):

* ``fail_next`` requests answer ``status`` (500 by default; 429/503 may carry a
  ``retry_after``) — or, with ``"drop": true``, close the connection without any
  answer — *before* anything is processed, so no label is made.
* ``delay_next`` requests are held ``seconds``; with ``phase`` ``"after"``
  (default) the label is made first and only the answer is late — the case where
  a client times out although the carrier acted, which idempotency must absorb;
  with ``"before"`` the request waits before being processed.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

_FAIL_STATUSES = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: float | None
    drop: bool


@dataclass(frozen=True)
class Delay:
    seconds: float
    phase: str


@dataclass
class _Plan:
    fail_next: int = 0
    status: int = 500
    retry_after: float | None = None
    drop: bool = False
    delay_next: int = 0
    seconds: float = 0.0
    phase: str = "after"


class FaultInjector:
    """Thread-safe counters of failures and delays still to inject."""

    def __init__(self) -> None:
        self._plan = _Plan()
        self._lock = threading.Lock()

    def configure(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply a control request; raises ValueError describing a bad one."""
        unknown = set(spec) - {
            "fail_next", "status", "retry_after", "drop",
            "delay_next", "seconds", "phase", "reset",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"unknown control field(s): {', '.join(sorted(unknown))}")
        with self._lock:
            plan = _Plan() if spec.get("reset") else _Plan(**asdict(self._plan))
            if "fail_next" in spec:
                plan.fail_next = _count(spec["fail_next"], "fail_next")
                plan.status = int(spec.get("status", 500))
                if plan.status not in _FAIL_STATUSES:
                    raise ValueError(f"status must be one of {sorted(_FAIL_STATUSES)}")
                retry_after = spec.get("retry_after")
                plan.retry_after = None if retry_after is None else float(retry_after)
                plan.drop = bool(spec.get("drop", False))
            if "delay_next" in spec:
                plan.delay_next = _count(spec["delay_next"], "delay_next")
                plan.seconds = float(spec.get("seconds", 1.0))
                if not 0 <= plan.seconds <= 60:
                    raise ValueError("seconds must be between 0 and 60")
                plan.phase = str(spec.get("phase", "after"))
                if plan.phase not in ("before", "after"):
                    raise ValueError("phase must be 'before' or 'after'")
            self._plan = plan
            return asdict(plan)

    def take_failure(self) -> Failure | None:
        with self._lock:
            if self._plan.fail_next <= 0:
                return None
            self._plan.fail_next -= 1
            return Failure(self._plan.status, self._plan.retry_after, self._plan.drop)

    def take_delay(self) -> Delay | None:
        with self._lock:
            if self._plan.delay_next <= 0:
                return None
            self._plan.delay_next -= 1
            return Delay(self._plan.seconds, self._plan.phase)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._plan)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise ValueError(f"{name} must be an integer between 0 and 1000")
    return value
