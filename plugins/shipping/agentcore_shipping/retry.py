"""Bounded retries with exponential backoff and jitter.

Both clients (carrier HTTP and SMTP) retry only what is safe to retry — the
carrier request carries an idempotency key, and an email is resent only when the
server provably did not take it — so the policy here is only about *when*:
how many attempts, how long to wait between them, and an overall deadline so a
tool call ends with a clear observation before the engine's time limit hits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    ``max_attempts`` counts the first try. The wait before attempt ``n + 1`` is
    drawn from ``[cap / 2, cap]`` with ``cap = min(max_delay_s, base_delay_s * 2**(n - 1))``
    ("equal jitter"): it grows exponentially, never exceeds ``max_delay_s``, and
    clients that failed together do not retry in lock-step. ``deadline_s`` bounds
    the whole call, waits included (``None``: no bound beyond the attempts).
    """

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    deadline_s: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("backoff delays must not be negative")
        if self.deadline_s is not None and self.deadline_s <= 0:
            raise ValueError(f"deadline_s must be positive, got {self.deadline_s}")

    def backoff(self, failed_attempt: int, rng: random.Random) -> float:
        """Seconds to wait after attempt number ``failed_attempt`` (1-based) failed."""
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (failed_attempt - 1))
        return cap / 2 + rng.uniform(0.0, cap / 2)


@dataclass
class RetryClock:
    """Tracks attempts and the deadline of one retried operation."""

    policy: RetryPolicy
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    attempts: int = 0
    started: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.started = self.monotonic()

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None`` if there is none)."""
        if self.policy.deadline_s is None:
            return None
        return self.policy.deadline_s - (self.monotonic() - self.started)

    def begin_attempt(self) -> int:
        self.attempts += 1
        return self.attempts

    def wait_before_retry(self, at_least_s: float = 0.0) -> bool:
        """Sleep before the next attempt; ``False`` when no attempt is left in budget.

        ``at_least_s`` honours a server's ``Retry-After`` (capped at ``max_delay_s``).
        """
        if self.attempts >= self.policy.max_attempts:
            return False
        delay = max(
            self.policy.backoff(self.attempts, self.rng),
            min(at_least_s, self.policy.max_delay_s),
        )
        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            return False
        self.sleep(delay)
        return True
