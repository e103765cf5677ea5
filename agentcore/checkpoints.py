"""Durable runs: each step committed to a run store, so a run survives its process.

With a run store configured (``Agent(checkpoints=...)``), the lifecycle commits the run's
record when it starts, before every tool call (the step as the model wrote it, marked *in
flight*), after every step and when it ends. A process killed at any point loses at most
the step in progress; :meth:`Agent.resume <agentcore.agent.Agent.resume>` continues from
the last commit, rebuilding each prompt byte for byte from the stored steps (each step's
``prompt_sha256`` is checked), so KV-prefix reuse still applies.

A tool call in flight when the process died is never blindly repeated: its tool's
``effect`` decides (:data:`~agentcore.models.ToolEffect`). ``idempotent`` and ``keyed``
calls are redone (a keyed call with the same ``ToolContext.call_key``); a ``side_effect``
call pauses the run with the call pending, for a person to approve (redo it) or reject.

The store is any :class:`~agentcore.run_store.RunStore` (DuckDB file, PostgreSQL): the
checkpoint is one row per run, replaced at each commit. Everything here is engine code the
loops call directly, not an event hook: a commit that fails stops the run (status
``error``), because going on without one could repeat a side effect after a crash.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import Field, ValidationError

from agentcore.errors import AgentcoreError, redact_data
from agentcore.models import PendingAction, Record, RunResult, RunStatus

if TYPE_CHECKING:
    from agentcore.run import Run

CHECKPOINT_VERSION = 1
CHECKPOINTS_ENV = "AGENTCORE_CHECKPOINTS"
TRACE_STORE_ENV = "AGENTCORE_STORE"
OFF = frozenset({"off", "none", "false", "0", "disabled"})
RUNNING = "running"
#: Statuses a run can be resumed from (``running`` too, once its process is gone).
RESUMABLE = (
    RunStatus.LOST.value,
    RunStatus.CANCELLED.value,
    RunStatus.PAUSED.value,
    RunStatus.MAX_STEPS.value,
    RunStatus.BUDGET.value,
)


_live: set[str] = set()
"""Runs in progress in this process: a run of this process that is not here has ended, even
if its last commit (which failed) still says ``running``."""
_live_lock = threading.Lock()


def mark_live(run_id: str, live: bool) -> None:
    with _live_lock:
        (_live.add if live else _live.discard)(run_id)


class CheckpointError(AgentcoreError):
    """A run cannot be resumed (unknown, finished, changed since) or a commit failed."""


class Owner(Record):
    """Which process holds a running run: a resume refuses a run that is still alive."""

    host: str = Field(default_factory=socket.gethostname)
    pid: int = Field(default_factory=os.getpid)

    def alive(self, run_id: str) -> bool | None:
        """Whether the process still runs ``run_id`` (``None``: on another host, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        if self.pid == os.getpid():
            with _live_lock:
                return run_id in _live
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class KVState(Record):
    """A stopped run's KV cache in a file beside agentcore's cache: its resume loads it and
    evaluates only the new tokens instead of the whole prompt again."""

    path: str
    sha256: str
    bytes: int


def save_kv(run_id: str, data: bytes) -> KVState:
    """Write a run's exported KV state (replacing an earlier one); its record."""
    import hashlib

    from agentcore.model_registry import cache_dir

    folder = cache_dir() / "kv"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.kv"
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)  # never a half-written state under the real name
    return KVState(path=str(path), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))


def load_kv(state: KVState) -> bytes | None:
    """The saved KV state's bytes, or ``None`` if the file is gone or not what was saved."""
    import hashlib

    try:
        data = Path(state.path).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == state.sha256 else None


def drop_kv(run_id: str) -> None:
    from agentcore.model_registry import cache_dir

    (cache_dir() / "kv" / f"{run_id}.kv").unlink(missing_ok=True)


class Checkpoint(Record):
    """A run as committed: its record so far, and what a resume must find unchanged.

    ``record`` holds every completed step (prompt hash, completion, parsed action,
    observation, tool result, usage), the run's notes and decisions; ``in_flight`` the step
    whose tool call was under way at the commit; ``generation`` the sampling settings (the
    seed among them); ``model``/``model_sha256`` the model's identity; ``prompt_sha256`` the
    prompt template's; ``agent_spec`` the :class:`~agentcore.specs.AgentSpec` the agent was
    built from, when it was, so the command line can rebuild it.
    """

    version: int = CHECKPOINT_VERSION
    run_id: str
    status: str
    record: RunResult
    in_flight: PendingAction | None = None
    agent_kind: str
    agent_spec: dict[str, Any] | None = None
    generation: dict[str, Any] = Field(default_factory=dict)
    model: str = ""
    model_sha256: str | None = None
    prompt_sha256: str = ""
    max_steps: int | None = None
    conversation: dict[str, Any] | None = None
    """A chat turn's conversation as it was before the turn (the turn's steps are replayed)."""
    kv_state: KVState | None = None
    """Where the model's KV cache of a stopped run was saved (``Agent(keep_kv=True)``)."""
    tool_state: Any = None
    """The tools' scratch state (``ToolContext.state``) at the commit, encoded by
    :func:`encode_state`; ``None`` when it held something that is not data."""
    owner: Owner = Field(default_factory=Owner)
    updated_at: float = Field(default_factory=time.time)

    def effective_status(self) -> str:
        """The status to act on: a ``running`` run whose process is gone is ``lost``."""
        if self.status == RUNNING and self.owner.alive(self.run_id) is False:
            return RunStatus.LOST.value
        return self.status


class CheckpointStore(Protocol):
    """Where checkpoints live: every :class:`~agentcore.run_store.RunStore` is one."""

    where: str

    def save_checkpoint(self, run_id: str, status: str, body: str) -> None:
        """Insert or replace the checkpoint of ``run_id`` (``body``: its JSON)."""

    def get_checkpoint(self, run_id: str) -> str | None:
        """The JSON body stored for ``run_id``, or ``None``."""


class MemoryCheckpoints:
    """Checkpoints in this process's memory: what an agent that can pause for approval uses
    when it was given no run store — its paused runs resume from this process only."""

    where = "memory (this process)"

    def __init__(self) -> None:
        self._bodies: dict[str, str] = {}
        self._lock = threading.Lock()

    def save_checkpoint(self, run_id: str, status: str, body: str) -> None:
        with self._lock:
            self._bodies[run_id] = body

    def get_checkpoint(self, run_id: str) -> str | None:
        with self._lock:
            return self._bodies.get(run_id)


class Checkpointer:
    """Commits one agent's runs to a store; built by the agent, used by its lifecycle."""

    def __init__(self, store: CheckpointStore, identity: Callable[[], dict[str, Any]]) -> None:
        self.store = store
        self._identity = identity
        self._described: dict[str, Any] | None = None

    @property
    def describe(self) -> dict[str, Any]:
        """What every checkpoint of this agent repeats: kind, spec, model, prompt hash (read
        at the first commit: the model's hash may take a moment, and the agent is built)."""
        if self._described is None:
            self._described = self._identity()
        return self._described

    def commit(self, run: Run, status: str, in_flight: PendingAction | None = None) -> None:
        """Write the run as it is now; a failure is a :class:`CheckpointError`."""
        record = run.record
        state = encode_state(run.tools.state)
        if state is None and run.tools.state:
            run.note("the tools' state is not plain data, so a resumed run starts without it")
        checkpoint = Checkpoint(
            run_id=record.run_id,
            status=status,
            record=record,
            in_flight=in_flight,
            max_steps=run.step_limit,
            conversation=run.conversation_before,
            tool_state=state,
            kv_state=run.kv_state,
            **self.describe,
        )
        body = _redacted_json(checkpoint)
        try:
            self.store.save_checkpoint(record.run_id, status, body)
        except Exception as exc:
            raise CheckpointError(
                f"could not commit run {record.run_id} to {self.store.where}: "
                f"{type(exc).__name__}: {exc}. The run stopped here; what was committed "
                "before is kept, and the run can be resumed once the store is writable"
            ) from exc

    def load(self, run_id: str) -> Checkpoint:
        """The checkpoint of ``run_id``, checked to be resumable; the store is not changed."""
        try:
            body = self.store.get_checkpoint(run_id)
        except Exception as exc:
            raise CheckpointError(
                f"could not read run {run_id} from {self.store.where}: {type(exc).__name__}: {exc}"
            ) from exc
        if body is None:
            raise CheckpointError(
                f"no checkpoint of run {run_id!r} in {self.store.where}: only runs of an agent "
                "with checkpoints on can be resumed (check the id and the store)"
            )
        try:
            checkpoint = Checkpoint.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the body"
            raise CheckpointError(
                f"the checkpoint of run {run_id} in {self.store.where} is corrupted ({where}: "
                f"{first['msg']}); it was left as it is, and the run cannot be resumed from it"
            ) from None
        if checkpoint.version > CHECKPOINT_VERSION:
            raise CheckpointError(
                f"run {run_id} was checkpointed by a newer agentcore (format "
                f"{checkpoint.version}); upgrade agentcore to resume it"
            )
        status = checkpoint.effective_status()
        if status == RUNNING:
            owner = checkpoint.owner
            raise CheckpointError(
                f"run {run_id} is still running (process {owner.pid} on {owner.host}); "
                "cancel it or wait for it to end before resuming it"
            )
        if status not in RESUMABLE:
            raise CheckpointError(
                f"run {run_id} ended {status}; only a run that is "
                f"{', '.join(RESUMABLE)} can be resumed"
            )
        checkpoint.status = status
        return checkpoint


_TAG = "__agentcore_state__"


def encode_state(value: Any) -> Any:
    """``value`` as JSON data that :func:`decode_state` turns back into it exactly: dicts with
    keys that are not strings (a ShopBot's ``{1001: "ann@…"}``), tuples and sets are tagged.
    ``None`` if something in it is not data (an object), which a checkpoint cannot keep."""
    try:
        return _encode(value)
    except TypeError:
        return None


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple | set | frozenset):
        kind = "tuple" if isinstance(value, tuple) else "set"
        items = list(value) if kind == "tuple" else sorted(value, key=repr)
        return {_TAG: kind, "items": [_encode(v) for v in items]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {_TAG: "dict", "items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(type(value).__name__)


def decode_state(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    if isinstance(value, dict):
        kind = value.get(_TAG)
        if kind == "dict":
            return {_hashable(decode_state(k)): decode_state(v) for k, v in value["items"]}
        if kind in ("tuple", "set"):
            items = [decode_state(v) for v in value["items"]]
            return tuple(items) if kind == "tuple" else set(items)
        return {k: decode_state(v) for k, v in value.items()}
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def open_checkpoints(location: str | None = None) -> Any:
    """The run store command-line runs commit to (:func:`default_location` unless given),
    opened so several processes take turns with it; a clear error when switched off."""
    from agentcore.run_store import open_run_store

    location = location or default_location()
    if location is None:
        raise CheckpointError(
            f"checkpoints are switched off ({CHECKPOINTS_ENV} or {TRACE_STORE_ENV} is off); "
            "set one to the run store the run was committed to"
        )
    return open_run_store(location, shared=True)


def agent_for_run(run_id: str, store: Any) -> Any:
    """The agent a stored run ran on, rebuilt from its spec (loads the model), with its
    checkpoints in ``store``: what ``agentcore runs resume|approve|reject`` continue it with."""
    from agentcore.specs import AgentSpec

    checkpoint = Checkpointer(store, dict).load(run_id)
    if checkpoint.agent_spec is None:
        raise CheckpointError(
            f"run {run_id} was started by an agent built in Python, not from a spec: resume it "
            "from the program that built it (agent.resume, agent.approve)"
        )
    spec = AgentSpec.model_validate(checkpoint.agent_spec)
    return spec.build(checkpoints=store)


def default_location() -> str | None:
    """Where command-line runs keep their checkpoints: ``$AGENTCORE_CHECKPOINTS``, else the
    trace store's file (``$AGENTCORE_STORE``, else ``runs.duckdb`` in agentcore's cache), so
    ``agentcore runs`` shows and resumes the same runs; ``None`` when switched ``off``."""
    for name in (CHECKPOINTS_ENV, TRACE_STORE_ENV):
        value = os.environ.get(name, "").strip()
        if value.lower() in OFF:
            return None
        if value:
            return str(Path(value).expanduser())
    from agentcore.model_registry import cache_dir

    return str(cache_dir() / "runs.duckdb")


def _redacted_json(checkpoint: Checkpoint) -> str:
    """The checkpoint as JSON with registered secrets removed (an API key in settings)."""
    import json

    return json.dumps(redact_data(checkpoint.model_dump(mode="json")))
