"""Where the reference carrier keeps its labels: SQLite plus one PDF file per label.

``issue`` is the heart of idempotency: under one lock (and one SQLite write
transaction, so two service processes sharing a data directory agree too) it
looks the key up and either replays the label made for it, reports a conflict
when the key comes with a different request, or makes exactly one new label.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    label_id        TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_sha256  TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    items_json      TEXT NOT NULL,
    customer_email  TEXT NOT NULL,
    reason          TEXT,
    tracking_number TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Label:
    label_id: str
    idempotency_key: str
    request_sha256: str
    order_id: str
    items: list[str]
    customer_email: str
    reason: str | None
    tracking_number: str
    created_at: str

    def public(self) -> dict[str, Any]:
        """The label as the API shows it."""
        return {
            "label_id": self.label_id,
            "tracking_number": self.tracking_number,
            "order_id": self.order_id,
            "items": self.items,
            "customer_email": self.customer_email,
            "reason": self.reason,
            "created_at": self.created_at,
            "links": {
                "self": f"/v1/return-labels/{self.label_id}",
                "pdf": f"/v1/return-labels/{self.label_id}/pdf",
            },
        }


class IdempotencyConflict(Exception):
    """The key was already used for a different request."""

    def __init__(self, existing: Label) -> None:
        super().__init__(existing.label_id)
        self.existing = existing


def request_digest(request: dict[str, Any]) -> str:
    """A fingerprint of a validated request body (key order does not matter)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class LabelStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.pdf_dir = self.data_dir / "pdf"
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "labels.sqlite3"
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def issue(
        self, key: str, request: dict[str, Any], render: Callable[[Label], bytes]
    ) -> tuple[Label, bool]:
        """The label for ``key``: ``(label, replayed)``; raises IdempotencyConflict."""
        digest = request_digest(request)
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT * FROM labels WHERE idempotency_key = ?", (key,)
                ).fetchone()
                if row is not None:
                    existing = _label(row)
                    conn.execute("COMMIT")
                    if existing.request_sha256 != digest:
                        raise IdempotencyConflict(existing)
                    return existing, True
                label = Label(
                    label_id="LBL-" + secrets.token_hex(5).upper(),
                    idempotency_key=key,
                    request_sha256=digest,
                    order_id=request["order_id"],
                    items=list(request["items"]),
                    customer_email=request["customer_email"],
                    reason=request.get("reason"),
                    tracking_number=f"RT{secrets.randbelow(10**12):012d}SB",
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
                (self.pdf_dir / f"{label.label_id}.pdf").write_bytes(render(label))
                conn.execute(
                    "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        label.label_id,
                        label.idempotency_key,
                        label.request_sha256,
                        label.order_id,
                        json.dumps(label.items),
                        label.customer_email,
                        label.reason,
                        label.tracking_number,
                        label.created_at,
                    ),
                )
                conn.execute("COMMIT")
                return label, False
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def get(self, label_id: str) -> Label | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM labels WHERE label_id = ?", (label_id,)).fetchone()
        return _label(row) if row is not None else None

    def pdf(self, label_id: str) -> bytes | None:
        if self.get(label_id) is None:
            return None
        path = self.pdf_dir / f"{label_id}.pdf"
        return path.read_bytes() if path.is_file() else None

    def labels(self) -> list[Label]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM labels ORDER BY created_at, label_id").fetchall()
        return [_label(row) for row in rows]

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0])

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()


def _label(row: sqlite3.Row) -> Label:
    return Label(
        label_id=row["label_id"],
        idempotency_key=row["idempotency_key"],
        request_sha256=row["request_sha256"],
        order_id=row["order_id"],
        items=json.loads(row["items_json"]),
        customer_email=row["customer_email"],
        reason=row["reason"],
        tracking_number=row["tracking_number"],
        created_at=row["created_at"],
    )
