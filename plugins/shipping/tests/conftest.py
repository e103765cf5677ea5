"""Real services for the shipping tests: the reference carrier and an aiosmtpd SMTP server.

Both listen on 127.0.0.1 on free ports and are stopped after each test. Retry
settings use tiny backoff delays so failure paths run in milliseconds.
"""

from __future__ import annotations

import importlib
import json
import socket
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agentcore.tools import ToolContext

REPO_ROOT = Path(__file__).resolve().parents[3]
SHOPBOT_DIR = REPO_ROOT / "examples" / "shopbot"
API_KEY = "test-carrier-key"
SENDER = "returns@shop.example"


def free_port() -> int:
    """A port nothing listens on right now (connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def carrier_module() -> ModuleType:
    """``examples/shopbot/carrier_service.py``, imported from the checkout."""
    if str(SHOPBOT_DIR) not in sys.path:
        sys.path.insert(0, str(SHOPBOT_DIR))
    return importlib.import_module("carrier_service")


@pytest.fixture
def closed_port() -> int:
    return free_port()


@dataclass
class Carrier:
    server: Any
    base_url: str
    api_key: str = API_KEY

    @property
    def service(self) -> Any:
        return self.server.service

    def control(self, **spec: Any) -> dict[str, Any]:
        """Tell the service to fail or be slow (``POST /_control``)."""
        request = urllib.request.Request(
            self.base_url + "/_control",
            data=json.dumps(spec).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def label_posts(self) -> list[dict[str, Any]]:
        return self.service.requests("POST", "/v1/return-labels")


@pytest.fixture
def carrier(carrier_module: ModuleType, tmp_path: Path) -> Iterator[Carrier]:
    server, base_url = carrier_module.start_carrier_service(
        port=0, api_key=API_KEY, data_dir=tmp_path / "carrier-data", allow_control=True
    )
    try:
        yield Carrier(server, base_url)
    finally:
        server.stop()


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepts and can be told to refuse."""

    messages: list[ReceivedMail] = field(default_factory=list)
    # replies for the next DATA commands; "DROP" closes the connection instead of answering
    data_replies: list[str] = field(default_factory=list)
    unknown_prefix: str = "nobody"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(self.unknown_prefix):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if reply != "DROP":
                return reply
            # Took the message but the line dies before the answer: delivery is unknowable.
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), b""))
            server.transport.close()
            return "250 OK"
        content = envelope.original_content or envelope.content
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


FAST_RETRIES = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "deadline_s": 20.0}


@pytest.fixture
def make_context(tmp_path: Path):
    """Build a ToolContext: ``make_context(carrier=..., smtp=..., shipping={...}, email={...})``.

    A fresh context each call stands for a fresh (e.g. restarted) agent: nothing in
    ``ctx.state`` survives, only what is on disk. The tools are approved
    (``shipping.approve_unguarded_tools``) unless ``approved`` says otherwise (``None``
    leaves the setting out), as an operator who wires them up by hand would do.
    """

    def make(
        carrier: Carrier | None = None,
        smtp: SmtpServer | None = None,
        *,
        shipping: dict[str, Any] | None = None,
        email: dict[str, Any] | None = None,
        approved: Any = True,
    ) -> ToolContext:
        shipping_settings: dict[str, Any] = {
            "api_key": API_KEY,
            "download_dir": str(tmp_path / "labels"),
            "timeout_s": 5.0,
            "max_attempts": 4,
            **FAST_RETRIES,
        }
        if approved is not None:
            shipping_settings["approve_unguarded_tools"] = approved
        if carrier is not None:
            shipping_settings["base_url"] = carrier.base_url
        shipping_settings.update(shipping or {})
        email_settings: dict[str, Any] = {
            "sender": SENDER,
            "state_dir": str(tmp_path / "mail-state"),
            "timeout_s": 5.0,
            "max_attempts": 3,
            **FAST_RETRIES,
        }
        if smtp is not None:
            email_settings.update(host=smtp.host, port=smtp.port)
        email_settings.update(email or {})
        return ToolContext(settings={"shipping": shipping_settings, "email": email_settings})

    return make
