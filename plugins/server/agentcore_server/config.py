"""What ``agentcore serve`` serves and how: one TOML file, validated before anything starts.

::

    [server]
    host = "127.0.0.1"      # a non-loopback address needs API keys (agentcore keys create)
    port = 8000
    workers = 2             # worker threads; each builds its own instance of an agent it runs
    queue_size = 16         # runs waiting for a worker; more get 429 with Retry-After
    store = "runs.duckdb"   # runs, feedback, conversations; "postgresql://..." for replicas

    [agents.wiki]           # POST /v1/runs {"agent": "wiki", "input": "..."}
    kind = "react"
    model = "qwen2.5-coder-0.5b"
    max_steps = 5

Every ``[agents.NAME]`` table is an :class:`agentcore.plugin.AgentSpec`; a typo anywhere is
one error line naming the file and the key.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from agentcore.plugin import AgentSpec, ConfigError, Options, cache_dir, format_validation_error

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
AGENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class ServerSettings(Options):
    """The ``[server]`` table."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    queue_size: int = Field(16, ge=0, le=100_000)
    max_wall_s: float = Field(600.0, gt=0, description="A run still going after this is cancelled.")
    max_input_chars: int = Field(20_000, ge=1)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    keys_file: str | None = Field(None, description="API keys (hashed); default in the cache.")
    rate_per_minute: int = Field(120, ge=1, description="Requests per key per minute.")
    max_active_runs_per_key: int = Field(4, ge=1, description="Queued or running, per key.")
    cors_origins: list[str] = Field(default_factory=list, description="Off unless listed.")
    keep_runs: int = Field(1000, ge=1, description="Finished runs kept in memory for the API.")
    shutdown_grace_s: float = Field(10.0, ge=0, description="Time running runs get to finish.")
    store: str | None = Field(
        None,
        description="Where runs, feedback and conversations are kept: a .duckdb file (default "
        "in the cache; one server process), a postgresql:// URL (replicas share it) or "
        "'memory' (kept only while the process lives).",
    )
    replica: str | None = Field(
        None,
        max_length=200,
        description="This server's name in a shared store (default HOST:PORT of the machine): "
        "on restart it marks the runs it had queued or running lost, and no other replica's.",
    )

    def keys_path(self) -> Path:
        return Path(self.keys_file).expanduser() if self.keys_file else default_keys_path()

    def store_location(self) -> str:
        return self.store if self.store else str(cache_dir() / "server" / "runs.duckdb")

    def replica_name(self) -> str:
        import socket

        return self.replica or f"{socket.gethostname()}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


class ServerConfig(Options):
    """The whole file: ``[server]`` and one ``[agents.NAME]`` table per agent served."""

    server: ServerSettings = Field(default_factory=ServerSettings)
    agents: dict[str, AgentSpec] = Field(default_factory=dict)

    @field_validator("agents")
    @classmethod
    def _names(cls, agents: dict[str, AgentSpec]) -> dict[str, AgentSpec]:
        import re

        for name in agents:
            if not re.match(AGENT_NAME, name):
                raise ValueError(f"agent name {name!r} must be 1-64 letters, digits, '-' or '_'")
        return agents


def default_keys_path() -> Path:
    return cache_dir() / "server" / "keys.sqlite3"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: Path | None, **overrides: Any) -> ServerConfig:
    """The config in ``path`` (none: no agents yet), with ``[server]`` values overridden."""
    data: dict[str, Any] = {}
    where = "the server settings"
    if path is not None:
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable TOML file ({exc})") from None
    server = dict(data.get("server", {}))
    server.update({key: value for key, value in overrides.items() if value is not None})
    data["server"] = server
    try:
        return ServerConfig(**data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where=where, model=ServerConfig)) from None
