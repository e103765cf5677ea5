"""Reading the documents to index: a folder (or file) of .txt, .md and .jsonl.

A .txt/.md file is one document whose id and source are its path relative to
the folder given (so an index built on one machine cites the same names on
another); its title is its first Markdown heading, else its file name. Each
line of a .jsonl file is one document: a JSON object with a text field
(``text`` by default), optionally ``id`` and ``title``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agentcore.errors import ConfigError

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIX = ".jsonl"
SUFFIXES = (*TEXT_SUFFIXES, JSONL_SUFFIX)


@dataclass(frozen=True)
class SourceDocument:
    """A whole document before chunking."""

    id: str
    source: str
    title: str | None
    text: str


def find_files(path: Path) -> list[Path]:
    """The indexable files under ``path`` (or ``path`` itself), in a stable order."""
    if not path.exists():
        raise ConfigError(f"cannot index {str(path)!r}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise ConfigError(
                f"cannot index {str(path)!r}: only {', '.join(SUFFIXES)} files are read"
            )
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise ConfigError(
            f"no {', '.join(SUFFIXES)} files under {str(path)!r}; point at the folder holding them"
        )
    return files


def read_documents(path: Path, *, text_field: str = "text") -> Iterator[SourceDocument]:
    """Every document under ``path``, in file order."""
    root = path if path.is_dir() else path.parent
    for file in find_files(path):
        name = file.relative_to(root).as_posix()
        if file.suffix.lower() == JSONL_SUFFIX:
            yield from _read_jsonl(file, name, text_field)
        else:
            text = _read_text(file)
            if text.strip():
                yield SourceDocument(name, name, _title(text) or file.stem, text)


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _title(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip() or None
        if stripped:
            return None
    return None


def _read_jsonl(file: Path, name: str, text_field: str) -> Iterator[SourceDocument]:
    for number, line in enumerate(_read_text(file).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{file}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ConfigError(f"{where}: each line must be a JSON object")
        text = record.get(text_field)
        if not isinstance(text, str):
            raise ConfigError(
                f"{where}: no string field {text_field!r} "
                f"(fields: {', '.join(record) or 'none'}); choose one with --text-field"
            )
        if not text.strip():
            continue
        doc_id = str(record.get("id", f"{name}:{number}"))
        title = record.get("title")
        yield SourceDocument(
            doc_id, f"{name}:{number}", str(title) if title is not None else None, text
        )
