"""Cutting documents into overlapping passages that remember where they came from.

A passage is a window of ``size`` units (words or sentences); consecutive
windows share ``overlap`` units, so a fact that straddles a boundary is whole in
at least one passage. Every passage keeps its document id, source, 1-based
passage number and the character offsets of its span, so ``text[start:end]`` is
exactly the passage: a citation can always be traced back to the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agentcore.plugin import ConfigError

Unit = Literal["words", "sentences"]
UNITS: tuple[str, ...] = ("words", "sentences")

DEFAULT_CHUNK_SIZE = 120
DEFAULT_OVERLAP = 30

_WORD = re.compile(r"\S+")
# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by whitespace, at a blank
# line, or before a new Markdown line (heading, list item), so headers and bullets stay apart.
_SENTENCE_END = re.compile(r"""[.!?]["')\]]*(?=\s)|\n[ \t]*\n|\n(?=[ \t]*(?:[#>*+-]|\d+\.)\s)""")


@dataclass(frozen=True)
class Chunk:
    """One passage of a document and where it lies in it."""

    doc_id: str
    source: str
    title: str | None
    passage: int  # 1-based position among the document's passages
    start: int  # character offsets into the document text: text[start:end]
    end: int
    text: str


def check_window(size: int, overlap: int) -> None:
    """Refuse windows that cannot advance (the overlap must be smaller than the size)."""
    if size < 1:
        raise ConfigError(f"chunk size must be at least 1, got {size}")
    if overlap < 0:
        raise ConfigError(f"overlap must be 0 or more, got {overlap}")
    if overlap >= size:
        raise ConfigError(
            f"overlap ({overlap}) must be smaller than the chunk size ({size}), "
            "or the windows would never advance"
        )


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the whitespace-separated words of ``text``."""
    return [m.span() for m in _WORD.finditer(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end() if text[match.start()] not in "\n" else match.start()
        _add_stripped(text, start, end, spans)
        start = match.end()
    _add_stripped(text, start, len(text), spans)
    return spans


def _add_stripped(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


def windows(units: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Character spans of windows of ``size`` units, each sharing ``overlap`` with the last."""
    check_window(size, overlap)
    spans: list[tuple[int, int]] = []
    step = size - overlap
    first = 0
    while first < len(units):
        group = units[first : first + size]
        spans.append((group[0][0], group[-1][1]))
        if first + size >= len(units):
            break
        first += step
    return spans


def chunk_text(
    text: str,
    *,
    doc_id: str,
    source: str = "",
    title: str | None = None,
    size: int = DEFAULT_CHUNK_SIZE,
    overlap: int = DEFAULT_OVERLAP,
    unit: Unit = "words",
) -> list[Chunk]:
    """The overlapping passages of one document (none for an empty one)."""
    if unit == "words":
        units = word_spans(text)
    elif unit == "sentences":
        units = sentence_spans(text)
    else:
        raise ConfigError(f"unknown chunk unit {unit!r}; use one of {', '.join(UNITS)}")
    return [
        Chunk(doc_id, source, title, number, start, end, text[start:end])
        for number, (start, end) in enumerate(windows(units, size, overlap), start=1)
    ]
