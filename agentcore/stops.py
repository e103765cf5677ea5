"""Stop sequences applied while text streams in, so a stop ends generation at once.

Text that might be the start of a stop sequence is held back until the next
piece shows whether it is; so what ``on_text`` receives joins up to exactly the
returned text, and the stop sequence itself is never emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


class StopScanner:
    """Receives generated text piece by piece and finds the first stop sequence."""

    def __init__(self, stops: Sequence[str], on_text: Callable[[str], None] | None = None) -> None:
        self.stops = tuple(stops)
        self.on_text = on_text
        self.stopped_by: str | None = None
        self._text = ""
        self._emitted = 0
        self._longest = max((len(s) for s in self.stops), default=0)

    @property
    def text(self) -> str:
        """All text so far, cut before the stop sequence once one was found."""
        return self._text

    def feed(self, piece: str) -> bool:
        """Add ``piece``; return True when a stop sequence has now appeared."""
        if self.stopped_by is not None:
            return True
        if not piece:
            return False
        start = max(0, len(self._text) - self._longest + 1)
        self._text += piece
        found_at, found = -1, None
        for stop in self.stops:
            at = self._text.find(stop, start)
            if at != -1 and (found_at == -1 or at < found_at):
                found_at, found = at, stop
        if found is not None:
            self._text = self._text[:found_at]
            self.stopped_by = found
            self._emit(len(self._text))
            return True
        self._emit(len(self._text) - self._held_back())
        return False

    def finish(self) -> str:
        """Generation ended: release held-back text and return the final text."""
        self._emit(len(self._text))
        return self._text

    def _held_back(self) -> int:
        """Length of the longest tail of the text that begins some stop sequence."""
        for size in range(min(self._longest - 1, len(self._text)), 0, -1):
            tail = self._text[-size:]
            if any(stop.startswith(tail) for stop in self.stops):
                return size
        return 0

    def _emit(self, upto: int) -> None:
        if upto > self._emitted:
            piece = self._text[self._emitted : upto]
            self._emitted = upto
            if self.on_text is not None:
                self.on_text(piece)
