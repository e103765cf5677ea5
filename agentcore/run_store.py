"""Where served runs, their feedback and their conversations are kept: one interface, any backend.

A server (or any process that runs agents for others) writes each run when it is queued,
when it starts, after each step and when it ends, so that reading a run, listing runs and
reading a conversation work after a restart and across replicas that share one store.
Backends are plugins (``register_run_stores``): the store plugin's ``duckdb`` (one file, one
process) and the postgres plugin's ``postgresql`` (one database, many replicas).

Every backend is a :class:`RunStore`. It also keeps durable runs' checkpoints
(:mod:`agentcore.checkpoints`). The SQL they share — five tables, the upserts, the
filters, the ``lost`` marking — is :class:`SqlRunStore`; a backend supplies a connection
and its parameter style. A replica names itself (``replica``): when it starts, the runs it
had queued or running are marked :data:`LOST` — never silently dropped, and never another
live replica's.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from agentcore.errors import ConfigError
from agentcore.memory import Conversation

QUEUED, RUNNING, LOST = "queued", "running", "lost"
ACTIVE_STATUSES = (QUEUED, RUNNING)
SCHEMA_VERSION = 1


class StoredRun(BaseModel):
    """A run as the store keeps it: who started it, where it ran, how it ended, every step."""

    run_id: str
    agent: str
    input: str
    status: str = QUEUED
    key_id: str | None = None
    conversation_id: str | None = None
    replica: str = ""
    created_at: float = Field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    answer: str | None = None
    error: str | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class StoredFeedback(BaseModel):
    run_id: str
    rating: Literal["good", "bad"]
    note: str | None = None
    key_id: str | None = None
    at: float = Field(default_factory=time.time)


class StoredConversation(BaseModel):
    conversation_id: str
    agent: str
    key_id: str | None = None
    created_at: float = Field(default_factory=time.time)


class RunQuery(BaseModel):
    """Which runs a list shows, newest first. ``key_id`` set: only that key's runs."""

    status: str | None = None
    agent: str | None = None
    key_id: str | None = None
    conversation_id: str | None = None
    limit: int = Field(20, ge=1, le=10_000)
    offset: int = Field(0, ge=0)


class RunStore(Protocol):
    """What a run store backend provides. It is also a
    :class:`~agentcore.memory.ConversationStore` (``load``/``save``/``sessions``): a chat
    agent keeps each conversation's memory in it, so any replica can take the next turn."""

    def save_run(self, run: StoredRun) -> None:
        """Insert the run, or replace what is stored for its id."""

    def get_run(self, run_id: str) -> StoredRun | None: ...

    def list_runs(self, query: RunQuery) -> tuple[list[StoredRun], int]:
        """One page of the runs ``query`` selects, and how many it selects in all."""

    def mark_lost(self, replica: str, reason: str) -> list[str]:
        """End ``replica``'s queued and running runs as ``lost`` (it restarted); their ids."""

    def add_feedback(self, feedback: StoredFeedback) -> None: ...

    def feedback(self, run_ids: list[str]) -> dict[str, list[StoredFeedback]]:
        """Each run's ratings, oldest first (runs without any are absent)."""

    def save_conversation(self, conversation: StoredConversation) -> None: ...

    def get_conversation(self, conversation_id: str) -> StoredConversation | None: ...

    def load(self, session_id: str) -> Conversation | None: ...

    def save(self, conversation: Conversation) -> None: ...

    def sessions(self) -> list[str]: ...

    def save_checkpoint(self, run_id: str, status: str, body: str) -> None:
        """Insert or replace a durable run's checkpoint (:mod:`agentcore.checkpoints`)."""

    def get_checkpoint(self, run_id: str) -> str | None:
        """The checkpoint JSON stored for ``run_id``, or ``None``."""

    def close(self) -> None: ...


RUN_COLUMNS = (
    "run_id", "agent", "input", "status", "key_id", "conversation_id", "replica",
    "created_at", "started_at", "ended_at", "answer", "error", "step_count", "record",
)  # fmt: skip
RECORD_FIELDS = ("steps", "usage", "warnings", "notes")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS served_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS served_runs (
        run_id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        input TEXT NOT NULL,
        status TEXT NOT NULL,
        key_id TEXT,
        conversation_id TEXT,
        replica TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        ended_at DOUBLE PRECISION,
        answer TEXT,
        error TEXT,
        step_count INTEGER NOT NULL,
        record TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS served_feedback (
        run_id TEXT NOT NULL,
        rating TEXT NOT NULL,
        note TEXT,
        key_id TEXT,
        given_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS run_checkpoints (
        run_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS served_conversations (
        conversation_id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        key_id TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        memory TEXT
    )""",
)


class SqlRunStore:
    """The SQL of a run store, for any DB-API connection whose ``execute`` returns a cursor.

    A subclass provides :meth:`connection` (a context manager that yields a connection and
    commits what was done in it) and, where its driver does not take ``?``, ``placeholder``.
    The SQL is the subset DuckDB and PostgreSQL share: ``ON CONFLICT`` upserts,
    ``RETURNING``, ``DOUBLE PRECISION`` times in seconds since the epoch, JSON as text.
    """

    placeholder = "?"
    where = "the run store"

    def connection(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _execute(self, con: Any, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return con.execute(sql, params)

    def create_schema(self) -> None:
        """The tables, once; a store written by a newer version is refused, not altered."""
        with self.connection() as con:
            self.lock_schema(con)
            for statement in SCHEMA:
                self._execute(con, statement)
            row = self._execute(
                con, "SELECT value FROM served_meta WHERE key = 'schema_version'"
            ).fetchone()
            if row is None:
                self._execute(
                    con,
                    "INSERT INTO served_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise ConfigError(
                    f"{self.where} has served-runs schema version {row[0]}, newer than this "
                    f"agentcore understands ({SCHEMA_VERSION}); upgrade agentcore"
                )

    def lock_schema(self, con: Any) -> None:
        """Hold off other processes creating the schema at once (a backend that can)."""

    # -- runs ---------------------------------------------------------------------------------

    def save_run(self, run: StoredRun) -> None:
        record = json.dumps({name: getattr(run, name) for name in RECORD_FIELDS})
        values = (
            run.run_id, run.agent, run.input, run.status, run.key_id, run.conversation_id,
            run.replica, run.created_at, run.started_at, run.ended_at, run.answer, run.error,
            len(run.steps), record,
        )  # fmt: skip
        updates = ", ".join(f"{c} = excluded.{c}" for c in RUN_COLUMNS[1:])
        marks = ", ".join("?" for _ in RUN_COLUMNS)
        with self.connection() as con:
            self._execute(
                con,
                f"INSERT INTO served_runs ({', '.join(RUN_COLUMNS)}) VALUES ({marks}) "
                f"ON CONFLICT (run_id) DO UPDATE SET {updates}",
                values,
            )

    def get_run(self, run_id: str) -> StoredRun | None:
        with self.connection() as con:
            row = self._execute(
                con,
                f"SELECT {', '.join(RUN_COLUMNS)} FROM served_runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        return None if row is None else _run_from_row(row)

    def list_runs(self, query: RunQuery) -> tuple[list[StoredRun], int]:
        conditions, params = [], []
        for column in ("status", "agent", "key_id", "conversation_id"):
            value = getattr(query, column)
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        with self.connection() as con:
            total = self._execute(con, f"SELECT count(*) FROM served_runs {where}", params)
            total = int(total.fetchone()[0])
            rows = self._execute(
                con,
                f"SELECT {', '.join(RUN_COLUMNS)} FROM served_runs {where} "
                "ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        return [_run_from_row(row) for row in rows], total

    def mark_lost(self, replica: str, reason: str) -> list[str]:
        with self.connection() as con:
            rows = self._execute(
                con,
                "UPDATE served_runs SET status = ?, error = ?, ended_at = ? "
                "WHERE replica = ? AND status IN (?, ?) RETURNING run_id",
                (LOST, reason, time.time(), replica, *ACTIVE_STATUSES),
            ).fetchall()
        return sorted(row[0] for row in rows)

    # -- feedback -----------------------------------------------------------------------------

    def add_feedback(self, feedback: StoredFeedback) -> None:
        with self.connection() as con:
            self._execute(
                con,
                "INSERT INTO served_feedback VALUES (?, ?, ?, ?, ?)",
                (feedback.run_id, feedback.rating, feedback.note, feedback.key_id, feedback.at),
            )

    def feedback(self, run_ids: list[str]) -> dict[str, list[StoredFeedback]]:
        if not run_ids:
            return {}
        marks = ", ".join("?" for _ in run_ids)
        with self.connection() as con:
            rows = self._execute(
                con,
                "SELECT run_id, rating, note, key_id, given_at FROM served_feedback "
                f"WHERE run_id IN ({marks}) ORDER BY given_at",
                list(run_ids),
            ).fetchall()
        out: dict[str, list[StoredFeedback]] = {}
        for run_id, rating, note, key_id, at in rows:
            out.setdefault(run_id, []).append(
                StoredFeedback(run_id=run_id, rating=rating, note=note, key_id=key_id, at=at)
            )
        return out

    # -- conversations ------------------------------------------------------------------------

    def save_conversation(self, conversation: StoredConversation) -> None:
        with self.connection() as con:
            self._execute(
                con,
                "INSERT INTO served_conversations (conversation_id, agent, key_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET "
                "agent = excluded.agent, key_id = excluded.key_id",
                (
                    conversation.conversation_id,
                    conversation.agent,
                    conversation.key_id,
                    conversation.created_at,
                ),
            )

    def get_conversation(self, conversation_id: str) -> StoredConversation | None:
        with self.connection() as con:
            row = self._execute(
                con,
                "SELECT conversation_id, agent, key_id, created_at FROM served_conversations "
                "WHERE conversation_id = ? AND agent <> ''",
                (conversation_id,),
            ).fetchone()
        if row is None:
            return None
        conversation_id, agent, key_id, created_at = row
        return StoredConversation(
            conversation_id=conversation_id, agent=agent, key_id=key_id, created_at=created_at
        )

    # the chat memory (agentcore.memory.ConversationStore)

    def load(self, session_id: str) -> Conversation | None:
        with self.connection() as con:
            row = self._execute(
                con,
                "SELECT memory FROM served_conversations WHERE conversation_id = ?",
                (session_id,),
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return Conversation.model_validate_json(row[0])

    def save(self, conversation: Conversation) -> None:
        with self.connection() as con:
            self._execute(
                con,
                "INSERT INTO served_conversations VALUES (?, '', NULL, ?, ?) "
                "ON CONFLICT (conversation_id) DO UPDATE SET memory = excluded.memory",
                (conversation.session_id, time.time(), conversation.model_dump_json()),
            )

    def sessions(self) -> list[str]:
        with self.connection() as con:
            rows = self._execute(
                con,
                "SELECT conversation_id FROM served_conversations "
                "WHERE memory IS NOT NULL ORDER BY 1",
            ).fetchall()
        return [row[0] for row in rows]

    # -- checkpoints (agentcore.checkpoints) -------------------------------------------------

    def save_checkpoint(self, run_id: str, status: str, body: str) -> None:
        with self.connection() as con:
            self._execute(
                con,
                "INSERT INTO run_checkpoints VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE "
                "SET status = excluded.status, updated_at = excluded.updated_at, "
                "body = excluded.body",
                (run_id, status, time.time(), body),
            )

    def get_checkpoint(self, run_id: str) -> str | None:
        with self.connection() as con:
            row = self._execute(
                con, "SELECT body FROM run_checkpoints WHERE run_id = ?", (run_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Release connections (a backend that holds some overrides this)."""


def _run_from_row(row: tuple[Any, ...]) -> StoredRun:
    values = dict(zip(RUN_COLUMNS, row, strict=True))
    values.pop("step_count")
    values.update(json.loads(values.pop("record")))
    return StoredRun.model_validate(values)


def store_provider_for(location: str) -> tuple[str, dict[str, Any]]:
    """Which ``register_run_stores`` provider a store location names, and its options.

    ``postgresql://…`` (any ``SCHEME://``) names the provider registered for the scheme and
    passes the whole location as ``url``; a path names the provider for its suffix
    (``runs.duckdb``: ``duckdb``) and passes ``path``.
    """
    location = location.strip()
    if not location:
        raise ConfigError("the run store location is empty: give a file path or a URL")
    scheme, sep, _ = location.partition("://")
    if sep:
        return ("postgresql" if scheme == "postgres" else scheme.lower()), {"url": location}
    suffix = location.rsplit(".", 1)[-1] if "." in location.rsplit("/", 1)[-1] else ""
    if not suffix:
        raise ConfigError(
            f"run store {location!r}: name a file with the backend's suffix "
            "(runs.duckdb) or give a URL (postgresql://user@host/db)"
        )
    return suffix.lower(), {"path": location}


def open_run_store(location: str, *, shared: bool = False) -> RunStore:
    """The run store at ``location`` (a path like ``runs.duckdb`` or a URL), schema ready.

    ``shared``: several processes take turns with it — a DuckDB file is then opened for each
    operation instead of held (durable command-line runs, so ``agentcore runs approve`` in
    another terminal reaches them); a database server is shared anyway.
    """
    from agentcore.errors import NotFoundError
    from agentcore.plugins import get_plugin_manager

    name, options = store_provider_for(location)
    if shared and name == "duckdb":
        options["hold"] = False
    try:
        return get_plugin_manager().create("run_store", name, **options)
    except NotFoundError as exc:
        raise ConfigError(
            f"no plugin provides a run store for {location!r} ({exc}); install "
            "agentcore-store for .duckdb files, agentcore-postgres for postgresql:// URLs"
        ) from None
