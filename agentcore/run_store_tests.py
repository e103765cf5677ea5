"""The run-store contract every backend must pass, as a reusable pytest class.

:class:`agentcore.run_store.RunStore` says what a backend keeps and returns; this class turns
that into tests. A backend's test suite subclasses it and provides two fixtures: ``store``
(an open, empty store) and ``reopen`` (a callable that closes ``store`` and returns a new
store on the same data, as a restarted process would see it)::

    from agentcore.run_store_tests import RunStoreContract

    class TestMyRunStore(RunStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            ...

The store plugin's DuckDB store and the postgres plugin's PostgreSQL store both run these
same tests; a third-party backend should too.

Importing this module imports pytest; the core never imports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from agentcore.memory import Conversation, Entry
from agentcore.run_store import (
    LOST,
    RunQuery,
    RunStore,
    SqlRunStore,
    StoredConversation,
    StoredFeedback,
    StoredRun,
)

Reopen = Callable[[], RunStore]


def a_run(run_id: str, **fields: Any) -> StoredRun:
    """A stored run with plausible defaults; ``fields`` override them."""
    values: dict[str, Any] = {"agent": "react", "input": f"question {run_id}", "replica": "r1"}
    values.update(fields)
    return StoredRun(run_id=run_id, **values)


STEP = {
    "index": 1,
    "thought": "I should look it up.",
    "action": {"tool": "search", "arguments": {"query": "Arthur's Magazine"}},
    "observation": "Arthur's Magazine (1844–1846) was an American literary periodical.",
    "usage": {"prompt_tokens": 812, "prompt_tokens_evaluated": 40, "completion_tokens": 21},
}


class RunStoreContract:
    """Tests of one run-store backend; subclasses provide ``store`` and ``reopen``."""

    # -- runs ---------------------------------------------------------------------------------

    def test_a_saved_run_comes_back_field_for_field(self, store: RunStore) -> None:
        run = a_run(
            "r-1",
            status="succeeded",
            key_id="k1",
            conversation_id="c1",
            started_at=1_700_000_001.25,
            ended_at=1_700_000_009.5,
            answer="Arthur's Magazine — “first”, 1844",
            steps=[STEP, {**STEP, "index": 2}],
            usage={"prompt_tokens": 1600, "completion_tokens": 42},
            warnings=["a hook failed"],
            notes=["the step budget is 6"],
        )
        store.save_run(run)
        assert store.get_run("r-1") == run

    def test_saving_a_run_again_replaces_it(self, store: RunStore) -> None:
        run = a_run("r-1")
        store.save_run(run)
        ended = run.model_copy(update={"status": "succeeded", "answer": "1844", "steps": [STEP]})
        store.save_run(ended)
        assert store.get_run("r-1") == ended
        assert store.list_runs(RunQuery())[1] == 1

    def test_an_unknown_run_is_none(self, store: RunStore) -> None:
        assert store.get_run("nope") is None

    def test_runs_are_listed_newest_first_with_the_total(self, store: RunStore) -> None:
        for i in range(5):
            store.save_run(a_run(f"r-{i}", created_at=1000.0 + i))
        page, total = store.list_runs(RunQuery(limit=2))
        assert total == 5
        assert [r.run_id for r in page] == ["r-4", "r-3"]
        page, total = store.list_runs(RunQuery(limit=2, offset=4))
        assert [r.run_id for r in page] == ["r-0"] and total == 5
        assert store.list_runs(RunQuery(offset=10)) == ([], 5)

    def test_lists_filter_by_status_agent_key_and_conversation(self, store: RunStore) -> None:
        store.save_run(a_run("a", status="succeeded", key_id="k1", created_at=1.0))
        store.save_run(a_run("b", status="error", key_id="k2", created_at=2.0))
        store.save_run(a_run("c", agent="chat", key_id="k1", conversation_id="c1", created_at=3.0))

        def ids(**query: Any) -> list[str]:
            return [r.run_id for r in store.list_runs(RunQuery(**query))[0]]

        assert ids(status="succeeded") == ["a"]
        assert ids(agent="chat") == ["c"]
        assert ids(key_id="k1") == ["c", "a"]
        assert ids(conversation_id="c1") == ["c"]
        assert ids(key_id="k1", status="error") == []

    def test_values_that_look_like_sql_are_only_values(self, store: RunStore) -> None:
        hostile = "x'); DROP TABLE served_runs; --"
        store.save_run(a_run(hostile, input=hostile, agent=hostile, key_id="%s ? $1"))
        assert store.get_run(hostile).input == hostile  # type: ignore[union-attr]
        assert [r.run_id for r in store.list_runs(RunQuery(agent=hostile))[0]] == [hostile]
        assert store.list_runs(RunQuery(key_id="%s ? $1"))[1] == 1

    def test_a_restart_marks_only_that_replicas_active_runs_lost(self, store: RunStore) -> None:
        store.save_run(a_run("queued", status="queued"))
        store.save_run(a_run("running", status="running", started_at=5.0))
        store.save_run(a_run("done", status="succeeded", answer="1844"))
        store.save_run(a_run("elsewhere", status="running", replica="r2"))
        lost = store.mark_lost("r1", "the server stopped while it was running")
        assert lost == ["queued", "running"]
        for run_id in lost:
            run = store.get_run(run_id)
            assert run is not None and run.status == LOST and run.ended_at is not None
            assert run.error == "the server stopped while it was running"
        assert store.get_run("done").status == "succeeded"  # type: ignore[union-attr]
        assert store.get_run("elsewhere").status == "running"  # type: ignore[union-attr]
        assert store.mark_lost("r1", "again") == []

    def test_concurrent_saves_from_many_threads_all_land(self, store: RunStore) -> None:
        errors: list[BaseException] = []

        def save(worker: int) -> None:
            try:
                for i in range(25):
                    run = a_run(f"w{worker}-{i}", created_at=float(i))
                    store.save_run(run)
                    store.save_run(run.model_copy(update={"status": "succeeded"}))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=save, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert store.list_runs(RunQuery(status="succeeded"))[1] == 200
        assert store.list_runs(RunQuery())[1] == 200

    # -- feedback -----------------------------------------------------------------------------

    def test_feedback_is_kept_per_run_oldest_first(self, store: RunStore) -> None:
        store.add_feedback(StoredFeedback(run_id="a", rating="bad", note="wrong year", at=2.0))
        store.add_feedback(StoredFeedback(run_id="a", rating="good", key_id="k1", at=3.0))
        store.add_feedback(StoredFeedback(run_id="b", rating="good", at=1.0))
        got = store.feedback(["a", "b", "c"])
        assert set(got) == {"a", "b"}
        assert [(f.rating, f.note, f.key_id) for f in got["a"]] == [
            ("bad", "wrong year", None),
            ("good", None, "k1"),
        ]
        assert store.feedback([]) == {}

    # -- conversations ------------------------------------------------------------------------

    def test_a_conversation_comes_back_and_unknown_is_none(self, store: RunStore) -> None:
        conversation = StoredConversation(conversation_id="c1", agent="chat", key_id="k1")
        store.save_conversation(conversation)
        assert store.get_conversation("c1") == conversation
        assert store.get_conversation("c2") is None

    def test_chat_memory_is_kept_beside_the_conversation(self, store: RunStore) -> None:
        store.save_conversation(StoredConversation(conversation_id="c1", agent="chat"))
        assert store.load("c1") is None
        memory = Conversation(session_id="c1")
        memory.add_user("hello")
        memory.entries.append(Entry(kind="step", action="respond[hi — how can I help?]"))
        store.save(memory)
        assert store.load("c1") == memory
        assert store.get_conversation("c1").agent == "chat"  # type: ignore[union-attr]
        assert store.sessions() == ["c1"]

    def test_memory_saved_first_is_not_a_served_conversation(self, store: RunStore) -> None:
        memory = Conversation(session_id="s1")
        memory.add_user("hello")
        store.save(memory)
        assert store.get_conversation("s1") is None  # memory alone names no agent
        store.save_conversation(StoredConversation(conversation_id="s1", agent="chat"))
        assert store.get_conversation("s1").agent == "chat"  # type: ignore[union-attr]
        assert store.load("s1") == memory

    # -- checkpoints (durable runs) -----------------------------------------------------------

    def test_a_checkpoint_is_replaced_at_each_commit_and_survives_reopening(
        self, store: RunStore, reopen: Reopen
    ) -> None:
        assert store.get_checkpoint("r-1") is None
        store.save_checkpoint("r-1", "running", '{"step": 1}')
        store.save_checkpoint("r-1", "paused", '{"step": 2, "text": "O\'Brien; DROP TABLE x"}')
        store.save_checkpoint("r-2", "running", '{"step": 1}')
        assert store.get_checkpoint("r-1") == '{"step": 2, "text": "O\'Brien; DROP TABLE x"}'
        assert reopen().get_checkpoint("r-2") == '{"step": 1}'

    # -- durability ---------------------------------------------------------------------------

    def test_everything_is_there_after_reopening(self, store: RunStore, reopen: Reopen) -> None:
        run = a_run("r-1", status="succeeded", answer="1844", steps=[STEP])
        store.save_run(run)
        store.add_feedback(StoredFeedback(run_id="r-1", rating="good", at=1.0))
        store.save_conversation(StoredConversation(conversation_id="c1", agent="chat"))
        memory = Conversation(session_id="c1")
        memory.add_user("hello")
        store.save(memory)
        again = reopen()
        assert again.get_run("r-1") == run
        assert [f.rating for f in again.feedback(["r-1"])["r-1"]] == ["good"]
        assert again.get_conversation("c1") is not None
        assert again.load("c1") == memory

    def test_a_store_written_by_a_newer_version_is_refused(
        self, store: RunStore, reopen: Reopen
    ) -> None:
        if not isinstance(store, SqlRunStore):
            pytest.skip("only SqlRunStore backends share the served_meta table")
        with store.connection() as con:
            store._execute(con, "UPDATE served_meta SET value = '99' WHERE key = 'schema_version'")
        from agentcore.errors import ConfigError

        with pytest.raises(ConfigError, match="schema version 99, newer than"):
            reopen()
