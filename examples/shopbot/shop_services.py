"""The local services ShopBot talks to, started in-process for a demo or a test.

* the reference carrier (:mod:`carrier_service`) on a background thread;
* an SMTP server (aiosmtpd) that keeps every message it accepts in a Maildir,
  so the emailed label can be opened afterwards (``mailbox.Maildir(mail_dir)``).

Both listen on 127.0.0.1 on free ports; :meth:`LocalServices.stop` stops them.
"""

from __future__ import annotations

import mailbox
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # the sibling modules, however this file was loaded
    sys.path.insert(0, str(_HERE))

LOOPBACK = "127.0.0.1"


@dataclass
class LocalServices:
    """What :func:`start_local_services` started (either may be ``None`` if not asked for)."""

    carrier: Any = None  # carrier_service.CarrierHTTPServer
    carrier_url: str | None = None
    carrier_api_key: str | None = None
    smtp: Any = None  # aiosmtpd.controller.Controller
    smtp_port: int | None = None
    mail_dir: Path | None = None
    stopped: bool = field(default=False, repr=False)

    def messages(self) -> list[Any]:
        """The emails the local SMTP server accepted, oldest first."""
        if self.mail_dir is None:
            return []
        box = mailbox.Maildir(self.mail_dir, create=False)
        return sorted(box, key=lambda m: str(m.get("Date", "")))

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.smtp is not None:
            self.smtp.stop()
        if self.carrier is not None:
            self.carrier.stop()


def start_local_services(
    work_dir: Path, *, carrier: bool = True, smtp: bool = True
) -> LocalServices:
    """Start the carrier (data in ``work_dir/carrier``) and/or SMTP (mail in ``work_dir/mail``)."""
    import secrets

    services = LocalServices()
    try:
        if carrier:
            services.carrier_api_key = secrets.token_hex(16)
            services.carrier, services.carrier_url = start_carrier(
                work_dir / "carrier", services.carrier_api_key
            )
        if smtp:
            services.mail_dir = work_dir / "mail"
            services.smtp, services.smtp_port = start_smtp(services.mail_dir)
    except BaseException:
        services.stop()
        raise
    return services


def start_carrier(data_dir: Path, api_key: str) -> tuple[Any, str]:
    from carrier_service import start_carrier_service

    return start_carrier_service(
        port=0, api_key=api_key, data_dir=data_dir, allow_control=False, quiet=True
    )


def start_smtp(mail_dir: Path, attempts: int = 3) -> tuple[Any, int]:
    """An aiosmtpd server storing messages in ``mail_dir`` (a Maildir); returns it and its port."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox
    except ImportError:
        from agentcore.errors import ConfigError

        raise ConfigError(
            "the local mail server needs aiosmtpd: pip install aiosmtpd "
            "(or point ShopBot at an SMTP server with --set email.host=... --set email.port=...)"
        ) from None
    mailbox.Maildir(mail_dir, create=True)  # makes cur/, new/, tmp/ (only if mail_dir is new)
    last: Exception | None = None
    for _ in range(attempts):  # a free port can be taken between choosing and binding it
        controller = Controller(Mailbox(mail_dir), hostname=LOOPBACK, port=_free_port())
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            last = exc
            continue
        return controller, controller.port
    raise RuntimeError(f"could not start the local SMTP server: {last}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])
