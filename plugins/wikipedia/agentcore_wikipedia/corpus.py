"""Loading an offline corpus: the one bundled in this package, or a user's JSONL file.

A corpus file holds one page per line, ``{"title": str, "sentences": [str, ...]}``
(the HotpotQA layout) or ``{"title": str, "text": str}``; plain ``.jsonl`` or
gzip-compressed ``.jsonl.gz``. Loading only parses JSON: sentence repair
happens per page on first use, so start-up stays fast.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import IO

from agentcore.plugin import ConfigError
from agentcore_wikipedia.text import merge_fragments, split_text

BUNDLED_RESOURCE = "data/corpus.jsonl.gz"
BUNDLED_NAME = "(bundled HotpotQA corpus)"


@dataclass(eq=False)
class Page:
    """One page: its title and its text, as the fragments the file gave."""

    title: str
    fragments: tuple[str, ...] = ()
    text: str | None = None

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """Clean sentences (fragments re-joined), computed once."""
        if self.text is not None:
            return tuple(split_text(self.text, self.title))
        return tuple(merge_fragments(self.fragments, self.title))

    @property
    def raw_text(self) -> str:
        """The text for indexing: no repair needed, only the words count."""
        return self.text if self.text is not None else "".join(self.fragments)


@dataclass
class Corpus:
    """The pages of one corpus file, in file order."""

    source: str
    pages: list[Page]

    def __len__(self) -> int:
        return len(self.pages)


def load_bundled() -> Corpus:
    """The corpus shipped inside this package (works from a wheel or a zip too)."""
    resource = resources.files("agentcore_wikipedia").joinpath(BUNDLED_RESOURCE)
    with resource.open("rb") as raw:
        return Corpus(BUNDLED_NAME, list(_read_pages(_text_stream(raw, gz=True), BUNDLED_NAME)))


def load_path(path: str | Path) -> Corpus:
    """A user's corpus file; problems become a :class:`ConfigError` naming the file and line."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(
            f"wikipedia corpus {str(file)!r} does not exist; set "
            "settings['wikipedia']['corpus'] to a .jsonl or .jsonl.gz file of "
            '{"title", "sentences"} records, or remove it to use the bundled corpus'
        )
    with file.open("rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        pages = list(_read_pages(_text_stream(raw, gz=gz), str(file)))
    if not pages:
        raise ConfigError(f"wikipedia corpus {str(file)!r} holds no pages")
    return Corpus(str(file), pages)


def _text_stream(raw: IO[bytes], *, gz: bool) -> IO[str]:
    binary: IO[bytes] = gzip.GzipFile(fileobj=raw) if gz else raw  # type: ignore[assignment]
    return io.TextIOWrapper(binary, encoding="utf-8")


def _read_pages(lines: IO[str], source: str) -> Iterator[Page]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"wikipedia corpus {source}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("title"), str):
            raise ConfigError(f'{where}: expected an object with a "title" string')
        sentences, text = record.get("sentences"), record.get("text")
        if isinstance(sentences, list) and all(isinstance(s, str) for s in sentences):
            yield Page(record["title"], fragments=tuple(sentences))
        elif isinstance(text, str):
            yield Page(record["title"], text=text)
        else:
            raise ConfigError(f'{where}: expected "sentences" (a list of strings) or "text"')
