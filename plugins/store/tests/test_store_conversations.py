"""Chat sessions persisted in DuckDB survive a new agent and a new process."""

from __future__ import annotations

import subprocess
import sys

from agentcore_store.conversations import DuckDBConversationStore

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.chat import ChatAgent
from agentcore.plugins import AgentcorePluginManager


def test_conversation_survives_a_restart(tmp_path):
    path = tmp_path / "chat.duckdb"
    pm = AgentcorePluginManager(allow={"scripted"})
    first = ChatAgent(
        ScriptedBackend([" ok\nAction: respond[Noted, order A-7.]"]),
        store=DuckDBConversationStore(path),
        plugin_manager=pm,
    )
    assert first.chat("c-1", "My order is A-7").answer == "Noted, order A-7."
    # a different process reads the same session back
    code = (
        "from agentcore_store.conversations import DuckDBConversationStore as S;"
        f"c = S({str(path)!r}).load('c-1'); print(len(c.entries), c.entries[0].text)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2 My order is A-7"
    backend = ScriptedBackend([" known\nAction: respond[Your order is A-7.]"])
    again = ChatAgent(backend, store=DuckDBConversationStore(path), plugin_manager=pm)
    assert again.chat("c-1", "Which order was it?").answer == "Your order is A-7."
    assert "User: My order is A-7" in backend.prompts[0]
    assert DuckDBConversationStore(path).sessions() == ["c-1"]


def test_missing_store_file_has_no_sessions(tmp_path):
    store = DuckDBConversationStore(tmp_path / "none.duckdb")
    assert store.load("x") is None and store.sessions() == []
    assert not (tmp_path / "none.duckdb").exists()
