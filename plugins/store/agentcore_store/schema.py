"""The store's tables, their version, and how an older file is brought up to date.

The ``meta`` table records ``schema_version``. :data:`MIGRATIONS` is the migration
hook: entry *n* turns a version *n-1* file into version *n*, and every pending one
runs (in its own transaction) the first time a newer agentcore-store opens an
older file. A file written by a *newer* version is refused rather than altered.
To change the schema, append a migration; never edit one that has shipped.

All times are UTC (``TIMESTAMP`` without zone); JSON columns hold JSON text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentcore_store.errors import StoreError

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS runs (
    run_id                  VARCHAR PRIMARY KEY,
    agent                   VARCHAR NOT NULL,
    input                   VARCHAR NOT NULL,
    status                  VARCHAR NOT NULL,  -- running, finished, max_steps, error, cancelled
    answer                  VARCHAR,
    error                   VARCHAR,
    backend                 VARCHAR,
    model                   VARCHAR,
    prompt_name             VARCHAR,
    shots                   INTEGER,
    tools                   JSON,              -- tool names the agent was given
    generation              JSON,              -- the run's GenerationConfig
    started_at              TIMESTAMP,
    ended_at                TIMESTAMP,
    duration_s              DOUBLE,
    step_count              INTEGER,
    llm_call_count          INTEGER,
    prompt_tokens           BIGINT,
    prompt_tokens_evaluated BIGINT,
    completion_tokens       BIGINT,
    notes                   JSON,
    pid                     INTEGER,           -- process that ran it (finds runs killed mid-way)
    host                    VARCHAR
);
CREATE TABLE IF NOT EXISTS steps (
    run_id                  VARCHAR NOT NULL,
    step_index              INTEGER NOT NULL,
    kind                    VARCHAR,           -- react, program, final
    thought                 VARCHAR,
    action_tool             VARCHAR,
    action_args             JSON,
    action_raw              VARCHAR,
    observation             VARCHAR,
    parse_error             VARCHAR,
    tool_ok                 BOOLEAN,
    tool_error_kind         VARCHAR,
    completion              VARCHAR,
    finish_reason           VARCHAR,
    prompt_sha256           VARCHAR,
    prompt_tokens           INTEGER,
    prompt_tokens_evaluated INTEGER,
    completion_tokens       INTEGER,
    llm_s                   DOUBLE,
    tool_s                  DOUBLE
);
CREATE TABLE IF NOT EXISTS llm_calls (
    run_id                  VARCHAR NOT NULL,
    call_index              INTEGER NOT NULL,  -- order within the run, from 1
    step_index              INTEGER,
    prompt                  VARCHAR,
    prompt_sha256           VARCHAR,
    completion              VARCHAR,           -- NULL: no completion came back
    finish_reason           VARCHAR,
    stop_sequence           VARCHAR,
    prompt_tokens           INTEGER,
    prompt_tokens_evaluated INTEGER,
    completion_tokens       INTEGER,
    total_s                 DOUBLE,
    prompt_s                DOUBLE,
    generation_s            DOUBLE,
    model                   VARCHAR,
    config                  JSON,              -- the GenerationConfig of this call
    started_at              TIMESTAMP
);
CREATE TABLE IF NOT EXISTS tool_calls (
    run_id                  VARCHAR NOT NULL,
    step_index              INTEGER NOT NULL,
    tool                    VARCHAR NOT NULL,
    arguments               JSON,
    ok                      BOOLEAN NOT NULL,
    error_kind              VARCHAR,
    error_message           VARCHAR,
    observation             VARCHAR,
    duration_s              DOUBLE,
    data                    JSON               -- structured result, e.g. a program's stdout
);
CREATE SEQUENCE IF NOT EXISTS feedback_id_seq;
CREATE TABLE IF NOT EXISTS feedback (
    feedback_id             BIGINT PRIMARY KEY DEFAULT nextval('feedback_id_seq'),
    run_id                  VARCHAR NOT NULL,
    rating                  VARCHAR NOT NULL CHECK (rating IN ('good', 'bad')),
    note                    VARCHAR,
    created_at              TIMESTAMP NOT NULL
);
"""


@dataclass(frozen=True)
class Migration:
    """Brings a file from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[Any], None]


def _create_v1(con: Any) -> None:
    con.execute(SCHEMA_V1)


#: The migration hook. Append ``Migration(N, "what changes", function)`` to evolve the schema.
def _create_v2(con: Any) -> None:
    con.execute(
        """
        CREATE TABLE conversations (
            session_id VARCHAR PRIMARY KEY,
            conversation JSON NOT NULL,
            entries INTEGER NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )


def _add_sanitized_v3(con: Any) -> None:
    # What was made inert in a step's untrusted text before it entered a prompt
    # (Step.sanitized); the observation column keeps the original.
    con.execute("ALTER TABLE steps ADD COLUMN sanitized JSON")


def _create_eval_results_v4(con: Any) -> None:
    con.execute(
        """
        CREATE TABLE eval_results (
            eval_id VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            item_id VARCHAR NOT NULL,
            run_id VARCHAR,
            status VARCHAR,
            answer VARCHAR,
            reference VARCHAR,
            scores JSON,
            failure VARCHAR,
            recorded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (eval_id, item_id)
        )
        """
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "runs, steps, llm_calls, tool_calls, feedback", _create_v1),
    Migration(2, "conversations (chat sessions that survive a restart)", _create_v2),
    Migration(3, "steps.sanitized (what cleaning changed in untrusted text)", _add_sanitized_v3),
    Migration(
        4, "eval_results (agentcore eval's items, linked to their runs)", _create_eval_results_v4
    ),
]


def latest_version() -> int:
    return max(m.version for m in MIGRATIONS)


def current_version(con: Any) -> int:
    """The version recorded in the file (0 for a file without our tables)."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def ensure_schema(con: Any, where: str) -> int:
    """Apply pending migrations; refuse a file from a newer version. Returns the version."""
    version = current_version(con)
    newest = latest_version()
    if version > newest:
        raise StoreError(
            f"the run store {where} has schema version {version}, newer than this "
            f"agentcore-store understands ({newest}); upgrade agentcore-store, or set "
            "AGENTCORE_STORE to another file"
        )
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            migration.apply(con)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                [str(migration.version)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = migration.version
    return version
