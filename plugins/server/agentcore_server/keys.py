"""API keys: made and revoked on the command line, stored hashed, checked per request.

A key reads ``ak_<key id>_<secret>``. The key id is public (it names the key in logs, in the
runs it started and in ``agentcore keys list``); the secret is shown once, when the key is
made, and stored only as an argon2id hash. Checking a bearer token looks its key id up and
verifies the whole token against the hash (argon2's own comparison is constant-time); an
unknown key id costs the same hashing, so timing does not tell which ids exist. Verified
tokens are remembered for :data:`CACHE_S` seconds as a SHA-256 digest, so a client's
requests do not each pay argon2's deliberate cost; a revoked key stops working within that
time in every server process sharing the file, at once in the process that revoked it.

Scopes: ``read`` lists and reads every run (a dashboard, an auditor); ``run`` starts runs and
reads, cancels and rates only its own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from agentcore.plugin import ConfigError

Scope = Literal["read", "run"]
SCOPES: tuple[Scope, ...] = ("read", "run")
CACHE_S = 30.0
TOKEN = re.compile(r"ak_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})")
NAME = re.compile(r"[\w .@-]{1,64}")
#: argon2id at OWASP's recommended minimum (19 MiB, 2 passes): a guess costs, a request barely.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("ak_000000000000_not-a-key-only-for-equal-timing")

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
)
"""


@dataclass(frozen=True)
class ApiKey:
    """A key as the server knows it (never the secret)."""

    key_id: str
    name: str
    scope: Scope
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        return scope == "read" or self.scope == "run"


class KeyStore:
    """The keys in one SQLite file (shared by every server process and the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: dict[bytes, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10.0)
        con.execute(SCHEMA)
        return con

    def create(self, name: str, scope: Scope) -> tuple[ApiKey, str]:
        """A new key and its token — the only time the token exists outside the client."""
        if scope not in SCOPES:
            raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        if not NAME.fullmatch(name):
            raise ConfigError("a key's name is 1-64 letters, digits, spaces or . @ - _")
        key = ApiKey(secrets.token_hex(6), name, scope, time.time())
        token = f"ak_{key.key_id}_{secrets.token_urlsafe(30)}"
        with self._connect() as con:
            con.execute(
                "INSERT INTO api_keys (key_id, name, scope, hash, created_at) VALUES (?,?,?,?,?)",
                (key.key_id, key.name, key.scope, HASHER.hash(token), key.created_at),
            )
        return key, token

    def revoke(self, key_id: str) -> ApiKey:
        with self._connect() as con:
            changed = con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (time.time(), key_id),
            ).rowcount
        key = self.get(key_id)
        if key is None:
            raise ConfigError(f"no API key {key_id!r} (agentcore keys list shows them)")
        if not changed:
            raise ConfigError(f"API key {key_id} was already revoked")
        with self._lock:
            self._cache = {d: v for d, v in self._cache.items() if v[0].key_id != key_id}
        return key

    def get(self, key_id: str) -> ApiKey | None:
        row = self._row(key_id)
        return None if row is None else _key(row)

    def list(self) -> list[ApiKey]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT key_id, name, scope, created_at, revoked_at, hash FROM api_keys "
                "ORDER BY created_at"
            ).fetchall()
        return [_key(row) for row in rows]

    def any_active(self) -> bool:
        return any(key.active for key in self.list())

    def verify(self, token: str) -> ApiKey | None:
        """The active key whose token this is, or ``None``."""
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and now - cached[1] < CACHE_S:
            return cached[0]
        match = TOKEN.fullmatch(token)
        row = self._row(match.group(1)) if match else None
        try:
            HASHER.verify(row[5] if row else _DUMMY_HASH, token)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            return None
        key = _key(row)
        if not key.active:
            return None
        with self._lock:
            self._cache[digest] = (key, now)
        return key

    def _row(self, key_id: str) -> tuple | None:
        with self._connect() as con:
            return con.execute(
                "SELECT key_id, name, scope, created_at, revoked_at, hash FROM api_keys "
                "WHERE key_id = ?",
                (key_id,),
            ).fetchone()


def _key(row: tuple) -> ApiKey:
    return ApiKey(key_id=row[0], name=row[1], scope=row[2], created_at=row[3], revoked_at=row[4])
