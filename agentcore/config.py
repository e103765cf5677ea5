"""Config files: defaults for the command line, and where each value in effect came from.

Read, later ones winning: ``~/.config/agentcore/config.toml`` (``$XDG_CONFIG_HOME``), then
``agentcore.toml`` in the current directory; ``AGENTCORE_CONFIG=PATH`` reads that file
instead (``AGENTCORE_CONFIG=off``: none). Command-line flags win over every file. A file
holds the backend and model to use, backend options (``-o``) per backend, and settings
sections (``--set``)::

    backend = "llama-cpp"
    model = "qwen2.5-coder-1.5b"

    [options.llama-cpp]
    n_ctx = 8192

    [settings.wikipedia]
    mode = "online"

    mcp = ["python tools_server.py", "http://127.0.0.1:8000/mcp"]   # MCP servers' tools

Values are checked where the command line's are (each backend's options model, each
settings section's model), so a typo in a file is the same one-line error, naming the file.
``agentcore config`` shows what is in effect and the source of every value.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore.errors import ConfigError

CONFIG_ENV = "AGENTCORE_CONFIG"
PROJECT_FILE = "agentcore.toml"
TOP_LEVEL = ("backend", "model", "mcp", "options", "settings")
SECTIONS = ("options", "settings")

log = logging.getLogger(__name__)


def user_config_path() -> Path:
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(root) / "agentcore" / "config.toml"


def config_paths() -> list[Path]:
    """The files to read, in order (later ones win); only those that exist."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit is not None:
        if explicit.strip().lower() in ("", "off", "none"):
            return []
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={explicit}: no such file")
        return [path]
    return [p for p in (user_config_path(), Path.cwd() / PROJECT_FILE) if p.is_file()]


@dataclass(frozen=True)
class Value:
    """One value in effect: its dotted key (``options.llama-cpp.n_ctx``) and its file."""

    key: str
    value: Any
    source: str


@dataclass
class Config:
    """The merged files: every value with the file it came from."""

    files: list[Path] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        found = self.values.get(key)
        return default if found is None else found.value

    def section(self, kind: str, name: str) -> dict[str, Any]:
        """``options`` for backend ``name``, or the ``settings`` section ``name``."""
        prefix = f"{kind}.{name}."
        return {k[len(prefix) :]: v.value for k, v in self.values.items() if k.startswith(prefix)}

    def settings(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, value in self.values.items():
            kind, _, rest = key.partition(".")
            if kind == "settings":
                section, _, name = rest.partition(".")
                out.setdefault(section, {})[name] = value.value
        return out

    def source_of(self, kind: str, name: str) -> str:
        """The files a section's values came from, for error messages."""
        prefix = f"{kind}.{name}."
        sources = {v.source for k, v in self.values.items() if k.startswith(prefix)}
        return ", ".join(sorted(sources))


def load_config() -> Config:
    """Read the config files; a file that is not valid is one :class:`ConfigError` line."""
    config = Config()
    for path in config_paths():
        log.info("reading config file %s", path)
        config.files.append(path)
        for key, value in _flatten(path, _read(path)):
            config.values[key] = Value(key, value, str(path))
    return config


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def _flatten(path: Path, data: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key not in TOP_LEVEL:
            raise ConfigError(
                f"config file {path}: unknown key {key!r}; it may hold {', '.join(TOP_LEVEL)}"
            )
        if key in SECTIONS:
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(
                    f"config file {path}: [{key}] holds tables, e.g. [{key}.NAME] with KEY = VALUE"
                )
            for name, table in value.items():
                out.extend((f"{key}.{name}.{k}", v) for k, v in table.items())
        elif key == "mcp":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(
                    f"config file {path}: mcp must be a list of MCP servers (commands or URLs), "
                    f"got {value!r}"
                )
            out.append((key, value))
        elif not isinstance(value, str):
            raise ConfigError(f"config file {path}: {key} must be a string, got {value!r}")
        else:
            out.append((key, value))
    return out
