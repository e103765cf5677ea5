"""Sending one email over SMTP, at most once.

Every email gets a deterministic key (recipient, subject, and the attachment's
identity — or the body when there is none); the key fixes its ``Message-ID`` and
its entry in the :class:`~agentcore_shipping.ledger.SentLedger`. A call for an
email already sent returns the earlier receipt instead of sending again.

Retries are limited to failures where the server provably did not take the
message: refused or dropped connections before the content was handed over,
and transient 4xx replies (``421``, ``450``, ``451``, ``452``). If the connection
dies while the server is receiving the content, delivery is unknowable; the
mailer records that and refuses to resend, preferring a clear "uncertain"
observation to a duplicate in the customer's inbox.
"""

from __future__ import annotations

import contextlib
import random
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, NoReturn

from agentcore.plugin import redact
from agentcore_shipping.config import EmailSettings
from agentcore_shipping.keys import email_dedupe_key, email_problem, normalize_email, sha256_hex
from agentcore_shipping.ledger import LedgerSession, SentLedger
from agentcore_shipping.retry import RetryClock

MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 100_000


class MailError(Exception):
    """The email was not (or not certainly) sent; ``kind`` says why in one word.

    Kinds: ``invalid_request``, ``auth_failed``, ``recipient_rejected``, ``rejected``,
    ``smtp_unavailable`` (after retries), ``delivery_uncertain``, ``config_error``.
    """

    def __init__(self, kind: str, message: str, *, attempts: int = 0) -> None:
        super().__init__(redact(message))  # a server's reply is quoted: never a password
        self.kind = kind
        self.attempts = attempts


@dataclass(frozen=True)
class Attachment:
    """A file to attach; ``identity`` is what makes two sends "the same email"."""

    filename: str
    content: bytes
    identity: str
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class SendReceipt:
    message_id: str
    to: str
    subject: str
    duplicate: bool
    attempts: int
    sent_at: str
    attachment: str | None = None


class _Transient(Exception):
    """A failure after which the server certainly does not have the message."""


@dataclass
class Mailer:
    settings: EmailSettings
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep

    @property
    def ledger(self) -> SentLedger:
        return SentLedger(self.settings.state_dir)

    def send(
        self, to: str, subject: str, body: str, attachment: Attachment | None = None
    ) -> SendReceipt:
        """Send once; a repeat of an email already sent returns its receipt unsent."""
        _check(to, subject, body)
        to = normalize_email(to)
        subject = " ".join(subject.split())
        identity = attachment.identity if attachment else "body:" + sha256_hex(body.encode())
        key = email_dedupe_key(to, subject, identity)
        sender_address = parseaddr(self.settings.sender)[1]
        if email_problem(sender_address):
            raise MailError(
                "config_error", f"email.sender {self.settings.sender!r} is not a valid address"
            )
        domain = sender_address.rpartition("@")[2]
        message_id = f"<{key[:40]}@{domain}>"
        with self.ledger.open() as ledger:
            earlier = ledger.get(key)
            if earlier is not None:
                return _from_ledger(earlier, message_id, to, subject)
            message = _build(self.settings.sender, to, subject, body, message_id, attachment)
            payload = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
            entry = {
                "message_id": message_id,
                "to": to,
                "subject": subject,
                "attachment": attachment.filename if attachment else None,
            }
            clock = RetryClock(self.settings.policy, rng=self.rng, sleep=self.sleep)
            last = ""
            while True:
                attempt = clock.begin_attempt()
                try:
                    self._deliver(sender_address, to, payload, ledger, key, entry, attempt)
                except _Transient as exc:
                    last = str(exc)
                else:
                    sent = ledger.get(key) or {}
                    return SendReceipt(
                        message_id=message_id,
                        to=to,
                        subject=subject,
                        duplicate=False,
                        attempts=attempt,
                        sent_at=str(sent.get("recorded_at", "")),
                        attachment=entry["attachment"],
                    )
                if not clock.wait_before_retry():
                    break
        where = f"{self.settings.host}:{self.settings.port}"
        raise MailError(
            "smtp_unavailable",
            f"the mail server {where} did not take the email after {clock.attempts} "
            f"attempt(s) (last: {last}); nothing was sent",
            attempts=clock.attempts,
        )

    def _deliver(
        self,
        sender: str,
        to: str,
        payload: bytes,
        ledger: LedgerSession,
        key: str,
        entry: dict[str, Any],
        attempt: int,
    ) -> None:
        """One SMTP session; raises ``_Transient`` when a retry is safe, MailError if not."""
        try:
            smtp = self._connect()
        except smtplib.SMTPConnectError as exc:
            _raise_for_reply(exc.smtp_code, exc.smtp_error, "connecting", attempt)
        except TimeoutError as exc:
            raise _Transient(f"no answer within {self.settings.timeout_s:g} s") from exc
        except ConnectionRefusedError as exc:
            raise _Transient("connection refused") from exc
        except ssl.SSLError as exc:
            raise MailError("smtp_unavailable", f"TLS error: {exc}", attempts=attempt) from exc
        except OSError as exc:  # includes SMTPServerDisconnected
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        try:
            try:
                self._prepare(smtp, sender, to, attempt)
            except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as exc:
                raise _Transient(f"connection lost before sending ({exc})") from exc
            except smtplib.SMTPResponseException as exc:  # e.g. 421 to EHLO or STARTTLS
                _raise_for_reply(exc.smtp_code, exc.smtp_error, "the SMTP handshake", attempt)
            ledger.put(key, {**entry, "status": "sending", "recorded_at": _now()})
            try:
                # data() raises only when DATA itself is refused; the verdict on the
                # content (250 accepted, 4xx/5xx refused) is its return value.
                code, reply = smtp.data(payload)
            except smtplib.SMTPDataError as exc:  # the server answered: it did not take it
                ledger.remove(key)
                _raise_for_reply(exc.smtp_code, exc.smtp_error, "DATA", attempt)
            except (OSError, smtplib.SMTPException) as exc:
                ledger.put(key, {**entry, "status": "uncertain", "recorded_at": _now()})
                raise MailError(
                    "delivery_uncertain",
                    f"the connection to the mail server broke while it was receiving the email "
                    f"({type(exc).__name__}); it may or may not have been delivered, so it is not "
                    "resent automatically",
                    attempts=attempt,
                ) from exc
            if code != 250:
                ledger.remove(key)
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.rset()
                _raise_for_reply(code, reply, "the message", attempt)
            ledger.put(key, {**entry, "status": "sent", "recorded_at": _now()})
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            return smtplib.SMTP_SSL(
                s.host,
                s.port,
                local_hostname=s.helo_name,
                timeout=s.timeout_s,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(s.host, s.port, local_hostname=s.helo_name, timeout=s.timeout_s)

    def _prepare(self, smtp: smtplib.SMTP, sender: str, to: str, attempt: int) -> None:
        """EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO: everything before the content."""
        s = self.settings
        smtp.ehlo_or_helo_if_needed()
        if s.starttls:
            try:
                smtp.starttls(context=ssl.create_default_context())
            except smtplib.SMTPNotSupportedError as exc:
                raise MailError(
                    "config_error",
                    "email.starttls is on but the mail server does not offer STARTTLS",
                    attempts=attempt,
                ) from exc
            smtp.ehlo()
        if s.username:
            try:
                smtp.login(s.username, s.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise MailError(
                    "auth_failed",
                    f"the mail server rejected the login for {s.username!r} "
                    f"({exc.smtp_code}); check email.username / email.password",
                    attempts=attempt,
                ) from exc
            except smtplib.SMTPNotSupportedError as exc:
                raise MailError(
                    "config_error",
                    "email.username is set but the mail server does not offer AUTH "
                    "(does it need email.starttls?)",
                    attempts=attempt,
                ) from exc
        code, reply = smtp.mail(sender)
        if code != 250:
            _raise_for_reply(code, reply, "MAIL FROM", attempt)
        code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            _raise_for_reply(code, reply, f"RCPT TO {to}", attempt, recipient=True)


def _raise_for_reply(
    code: int, reply: bytes | str, stage: str, attempt: int, *, recipient: bool = False
) -> NoReturn:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    described = f"{code} {text}".strip()
    if 400 <= code < 500 or code == -1:
        raise _Transient(f"{stage}: {described}")
    if code in (530, 534, 535):
        raise MailError(
            "auth_failed",
            f"the mail server requires authentication ({described})",
            attempts=attempt,
        )
    kind = "recipient_rejected" if recipient else "rejected"
    raise MailError(kind, f"the mail server refused {stage}: {described}", attempts=attempt)


def _check(to: str, subject: str, body: str) -> None:
    problem = email_problem(to)
    if problem:
        raise MailError("invalid_request", f"{problem}")
    if not subject.strip():
        raise MailError("invalid_request", "the subject is empty")
    if any(ch in subject for ch in "\r\n"):
        raise MailError("invalid_request", "the subject must be a single line")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise MailError("invalid_request", f"subject longer than {MAX_SUBJECT_CHARS}")
    if not body.strip():
        raise MailError("invalid_request", "the body is empty")
    if len(body) > MAX_BODY_CHARS:
        raise MailError("invalid_request", f"body longer than {MAX_BODY_CHARS} chars")


def _build(
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    attachment: Attachment | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message


def _from_ledger(entry: dict[str, Any], message_id: str, to: str, subject: str) -> SendReceipt:
    status = entry.get("status")
    if status == "sent":
        return SendReceipt(
            message_id=str(entry.get("message_id", message_id)),
            to=to,
            subject=subject,
            duplicate=True,
            attempts=0,
            sent_at=str(entry.get("recorded_at", "")),
            attachment=entry.get("attachment"),
        )
    raise MailError(
        "delivery_uncertain",
        f"an earlier attempt to send this email (Message-ID {message_id}) was interrupted while "
        "the mail server was receiving it; it may already have been delivered, so it is not "
        "sent again. Ask the customer whether it arrived",
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
