"""Chat sessions kept in the DuckDB store, so a conversation survives a restart.

Implements :class:`agentcore.memory.ConversationStore`: a :class:`~agentcore.chat.ChatAgent`
given ``store=DuckDBConversationStore(path)`` loads the session's conversation before a turn
and saves it after. Each call opens the file briefly (like the run store), so several processes
can share it.
"""

from __future__ import annotations

from pathlib import Path

from agentcore.plugin import Conversation
from agentcore_store.connection import open_store

WAIT_S = 10.0


class DuckDBConversationStore:
    """Conversations in the ``conversations`` table of a store file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def load(self, session_id: str) -> Conversation | None:
        with open_store(self.path, wait_s=WAIT_S, create=False) as con:
            if con is None:
                return None
            row = con.execute(
                "SELECT conversation FROM conversations WHERE session_id = ?", [session_id]
            ).fetchone()
        return None if row is None else Conversation.model_validate_json(row[0])

    def save(self, conversation: Conversation) -> None:
        with open_store(self.path, wait_s=WAIT_S) as con:
            con.execute(
                "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, now()::TIMESTAMP)",
                [
                    conversation.session_id,
                    conversation.model_dump_json(),
                    len(conversation.entries),
                ],
            )

    def sessions(self) -> list[str]:
        with open_store(self.path, wait_s=WAIT_S, create=False) as con:
            if con is None:
                return []
            rows = con.execute("SELECT session_id FROM conversations ORDER BY 1").fetchall()
        return [r[0] for r in rows]
