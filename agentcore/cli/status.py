"""A status line while nothing else shows progress: loading a model, a step being generated.

Drawn by rich on standard error, with a spinner and the time elapsed, and only when standard
error is a terminal: piped or captured output (``--json``, tests, logs) never holds spinner
frames. The line is transient: it disappears when the wait ends, before anything is printed,
so it never mixes with the streamed model text.
"""

from __future__ import annotations

import time
from typing import Any


class _Elapsed:
    """A spinner whose text ends with the seconds since the wait began (re-read each frame)."""

    def __init__(self, text: str) -> None:
        from rich.spinner import Spinner

        self.text = text
        self.started = time.monotonic()
        self.spinner = Spinner("dots", style="cyan")

    def __rich_console__(self, console: Any, options: Any) -> Any:
        self.spinner.text = f"{self.text} · {time.monotonic() - self.started:.1f}s"
        yield self.spinner


class StatusLine:
    """``show(text)`` starts (or replaces) the wait shown; ``clear()`` removes it."""

    def __init__(self, enabled: bool = True) -> None:
        self._live: Any = None
        self._console: Any = None
        if enabled:
            from rich.console import Console

            console = Console(stderr=True)
            self._console = console if console.is_terminal else None

    @property
    def active(self) -> bool:
        return self._console is not None

    def show(self, text: str) -> None:
        if self._console is None:
            return
        self.clear()
        from rich.live import Live

        self._live = Live(
            _Elapsed(text), console=self._console, transient=True, refresh_per_second=8
        )
        self._live.start()

    def clear(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> StatusLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
