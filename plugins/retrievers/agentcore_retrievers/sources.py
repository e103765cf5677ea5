"""Reading the documents to index: a folder (or file) of .txt, .md and .jsonl.

A .txt/.md file is one document whose id and source are its path relative to
the folder given (so an index built on one machine cites the same names on
another); its title is its first Markdown heading, else its file name. Each
line of a .jsonl file is one document: a JSON object with a text field
(``text`` by default), optionally ``id`` and ``title``.

Only what is inside the folder is read. A folder to index may come from
anywhere (a cloned repository, an unpacked archive), so a symbolic link in it
could otherwise pull ``~/.ssh/id_rsa`` or ``/etc/passwd`` into an index that a
model is then shown. Links below the folder are therefore never followed —
not to files, not to folders, not even to targets inside the folder (those are
indexed under their own names) — and each one is reported as
:class:`Skipped`, as is anything that is not a regular file (a FIFO would block
the read). The walk is :func:`os.fwalk` without following links, and every
file is opened relative to its folder's descriptor with ``O_NOFOLLOW``, so a
link swapped in while indexing runs is refused too; a link loop cannot make
it hang. The folder (or file) named by the caller may itself be a link: that
choice is theirs, and it is resolved once.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agentcore.plugin import ConfigError

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


@dataclass(frozen=True)
class Skipped:
    """Something under the folder that was not read, and why (a link, a FIFO, ...)."""

    name: str  # relative to the folder, with "/" separators
    reason: str

    def describe(self) -> str:
        return f"skipped {self.name}: {self.reason}"


@dataclass(frozen=True)
class SourceFile:
    """A regular file found under the folder, with its bytes (read without following links)."""

    name: str  # relative to the folder given (or the file's name), with "/" separators
    path: Path  # for messages only; the content was read through the folder's descriptor
    content: bytes


def list_sources(path: Path) -> tuple[list[SourceFile], list[Skipped]]:
    """The indexable files under ``path`` (or ``path`` itself) in a stable order, and what
    was skipped. Links below ``path`` are reported, never followed (see the module docs)."""
    if not path.exists():
        raise ConfigError(f"cannot index {str(path)!r}: no such file or folder")
    root = path.resolve()  # the caller's own choice of folder may be a link; resolve it once
    if root.is_file():
        if root.suffix.lower() not in SUFFIXES:
            raise ConfigError(
                f"cannot index {str(path)!r}: only {', '.join(SUFFIXES)} files are read"
            )
        return [SourceFile(path.name, path, root.read_bytes())], []
    if not root.is_dir():
        raise ConfigError(f"cannot index {str(path)!r}: not a regular file or folder")
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    for folder, subfolders, names, folder_fd in os.fwalk(root, follow_symlinks=False):
        relative = Path(folder).relative_to(root)
        kept = []
        for name in sorted(subfolders):
            if name.startswith("."):
                continue
            if stat.S_ISLNK(os.lstat(name, dir_fd=folder_fd).st_mode):
                skipped.append(_skipped_link(root, relative / name, folder_fd, name))
            else:
                kept.append(name)
        subfolders[:] = kept  # fwalk descends into what is left, in this order
        for name in sorted(names):
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                continue
            found = _read_entry(root, relative / name, folder_fd, name)
            (files if isinstance(found, SourceFile) else skipped).append(found)
    files.sort(key=lambda f: Path(f.name).parts)
    skipped.sort(key=lambda s: Path(s.name).parts)
    if not files:
        raise ConfigError(
            f"no {', '.join(SUFFIXES)} files under {str(path)!r}; point at the folder holding them"
            + (f" ({len(skipped)} skipped: {skipped[0].describe()} ...)" if skipped else "")
        )
    return files, skipped


def find_files(path: Path) -> list[Path]:
    """The paths of the indexable files under ``path`` (or ``path`` itself), in order."""
    files, _ = list_sources(path)
    root = path.resolve()
    return [root / f.name if root.is_dir() else path for f in files]


def read_documents(
    path: Path, *, text_field: str = "text", skipped: list[Skipped] | None = None
) -> Iterator[SourceDocument]:
    """Every document under ``path``, in file order; what was not read goes to ``skipped``."""
    files, passed_over = list_sources(path)
    if skipped is not None:
        skipped.extend(passed_over)
    for file in files:
        if file.name.lower().endswith(JSONL_SUFFIX):
            yield from _read_jsonl(file.path, file.name, _decode(file), text_field)
        else:
            text = _decode(file)
            if text.strip():
                yield SourceDocument(
                    file.name, file.name, _title(text) or Path(file.name).stem, text
                )


def _read_entry(root: Path, relative: Path, folder_fd: int, name: str) -> SourceFile | Skipped:
    """Open ``name`` in its folder without following a link (nor blocking on a FIFO)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags, dir_fd=folder_fd)
    except OSError as exc:
        if stat.S_ISLNK(os.lstat(name, dir_fd=folder_fd).st_mode):
            return _skipped_link(root, relative, folder_fd, name)
        return Skipped(relative.as_posix(), f"cannot be read ({exc.strerror})")
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return Skipped(relative.as_posix(), "not a regular file")
        return SourceFile(relative.as_posix(), root / relative, handle.read())


def _skipped_link(root: Path, relative: Path, folder_fd: int, name: str) -> Skipped:
    """Why a link was not followed, saying where it points (resolved without following it)."""
    shown = relative.as_posix()
    try:
        target = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop, on Python 3.11/3.12
        return Skipped(shown, "a link that loops or points nowhere; links are not followed")
    kind = "a folder" if target.is_dir() else "a file"
    if target.is_relative_to(root):
        where = f"{kind} inside the folder ({target.relative_to(root).as_posix()})"
        return Skipped(shown, f"a link to {where}; links are not followed")
    return Skipped(shown, f"a link to {kind} outside {root} ({target}); links are not followed")


def _decode(file: SourceFile) -> str:
    try:
        return file.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file.path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def _title(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip() or None
        if stripped:
            return None
    return None


def _read_jsonl(file: Path, name: str, content: str, text_field: str) -> Iterator[SourceDocument]:
    for number, line in enumerate(content.splitlines(), start=1):
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
