"""What a Wikipedia backend answers, whichever backend it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SearchOutcome:
    """The result of looking an entity up: a page, suggestions, or a failure.

    Exactly one of these holds: ``title`` is set (the page was found and
    ``sentences`` is its text), ``error`` is set (the backend could not answer;
    ``error_kind`` names why), or neither (not found; ``similar`` may be empty).
    """

    entity: str
    title: str | None = None
    sentences: tuple[str, ...] = ()
    similar: tuple[str, ...] = ()
    error: str | None = None
    error_kind: str | None = None

    @property
    def found(self) -> bool:
        return self.title is not None


class WikiBackend(Protocol):
    """A source of pages: the offline corpus or the online API."""

    def search(self, entity: str, *, similar: int = 5, context: str = "") -> SearchOutcome:
        """Find the page for ``entity``; never raises for a missing page or a network error.

        ``context`` is what the search is for (the run's question); a backend that can rank
        suggestions by it may (the offline one does), others ignore it."""
        ...
