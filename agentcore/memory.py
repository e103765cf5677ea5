"""Conversations and how much of them an agent remembers.

A :class:`Conversation` is the ordered record of one chat session: user
messages and the agent's steps between them (thought, action, observation,
replies). A *memory strategy* decides which of those entries go into the next
prompt; a *conversation store* keeps sessions between calls (and restarts).

* :class:`FullBuffer` — everything, oldest first. Each turn's prompt extends
  the previous one, which is what KV-prefix reuse wants.
* :class:`TokenWindow` — the newest entries that fit a token budget. The
  current turn (the last user message and every step since) is always kept,
  because the model is acting on those tool results right now; older tool
  results are shortened before older entries are dropped, and a note says
  how many were left out.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field

from agentcore.models import Record

EntryKind = Literal["user", "step"]


class Entry(Record):
    """One thing that happened in a conversation."""

    kind: EntryKind
    text: str = Field("", description="The user's message (kind 'user').")
    thought: str | None = None
    action: str | None = Field(None, description="The action as the model wrote it.")
    observation: str | None = None
    observation_by_engine: bool = Field(
        False,
        description="The observation is the engine's own message (format help), not tool "
        "output: it enters prompts as written; tool output is cleaned as untrusted data.",
    )
    at: float = Field(default_factory=time.time)


class Conversation(Record):
    """A chat session: its id and entries in order."""

    session_id: str
    entries: list[Entry] = Field(default_factory=list)

    def add_user(self, text: str) -> Entry:
        entry = Entry(kind="user", text=text)
        self.entries.append(entry)
        return entry

    def current_turn_start(self) -> int:
        """Index of the last user message (the turn the agent is working on)."""
        for index in range(len(self.entries) - 1, -1, -1):
            if self.entries[index].kind == "user":
                return index
        return 0


Renderer = Callable[[Entry, bool], str]
"""Renders one entry as prompt text; the flag asks for a shortened observation."""


class Memory(Protocol):
    """Chooses the entries (rendered) that go into the prompt."""

    def select(
        self,
        conversation: Conversation,
        render: Renderer,
        count_tokens: Callable[[str], int],
        budget: int,
    ) -> tuple[str, str | None]:
        """The rendered history and, if anything was left out, a note saying what."""
        ...


class FullBuffer:
    """Keep everything."""

    def select(self, conversation, render, count_tokens, budget):
        return "".join(render(e, False) for e in conversation.entries), None


class TokenWindow:
    """Keep the newest entries that fit ``max_tokens`` (and the backend's budget)."""

    def __init__(self, max_tokens: int | None = None) -> None:
        self.max_tokens = max_tokens

    def select(self, conversation, render, count_tokens, budget):
        limit = budget if self.max_tokens is None else min(budget, self.max_tokens)
        start = conversation.current_turn_start()
        current = "".join(render(e, False) for e in conversation.entries[start:])
        used = count_tokens(current)
        kept: list[str] = []
        shortened = dropped = 0
        for index in range(start - 1, -1, -1):
            entry = conversation.entries[index]
            full = render(entry, False)
            cost = count_tokens(full)
            if used + cost <= limit:
                kept.append(full)
                used += cost
                continue
            if entry.observation:
                short = render(entry, True)
                short_cost = count_tokens(short)
                if used + short_cost <= limit:
                    kept.append(short)
                    used += short_cost
                    shortened += 1
                    continue
            dropped = index + 1
            break
        history = "".join(reversed(kept)) + current
        notes = []
        if dropped:
            notes.append(f"{dropped} earlier entries left out to fit the context window")
        if shortened:
            notes.append(f"{shortened} older tool results shortened")
        return history, "; ".join(notes) or None


def memory_from_name(name: str, max_tokens: int | None = None) -> Memory:
    """``full`` or ``window`` (the CLI and config use names)."""
    if name == "full":
        return FullBuffer()
    if name == "window":
        return TokenWindow(max_tokens)
    from agentcore.errors import ConfigError

    raise ConfigError(f"unknown memory strategy {name!r}; use 'full' or 'window'")


class ConversationStore(Protocol):
    """Keeps conversations between calls."""

    def load(self, session_id: str) -> Conversation | None: ...

    def save(self, conversation: Conversation) -> None: ...

    def sessions(self) -> Sequence[str]: ...


class InMemoryStore:
    """Conversations for the life of the process."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, session_id: str) -> Conversation | None:
        with self._lock:
            raw = self._data.get(session_id)
        return None if raw is None else Conversation.model_validate_json(raw)

    def save(self, conversation: Conversation) -> None:
        with self._lock:
            self._data[conversation.session_id] = conversation.model_dump_json()

    def sessions(self) -> list[str]:
        with self._lock:
            return sorted(self._data)


class JsonDirectoryStore:
    """One JSON file per session in a directory: survives restarts, needs no database."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, session_id: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in session_id)
        return self.directory / f"{safe}.json"

    def load(self, session_id: str) -> Conversation | None:
        path = self._path(session_id)
        if not path.is_file():
            return None
        return Conversation.model_validate(json.loads(path.read_text(encoding="utf-8")))

    def save(self, conversation: Conversation) -> None:
        path = self._path(conversation.session_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(conversation.model_dump_json(), encoding="utf-8")
        tmp.replace(path)

    def sessions(self) -> list[str]:
        ids = []
        for path in self.directory.glob("*.json"):
            ids.append(json.loads(path.read_text(encoding="utf-8"))["session_id"])
        return sorted(ids)
