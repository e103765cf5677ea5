"""The ``request_return_label`` and ``send_email`` tools.

They turn every outcome into an observation a model can act on: success says
what was done and where the label is; a failure says what went wrong, in a
machine-readable ``error_kind``, and whether trying again is useful and safe.
The HTTP and SMTP machinery is imported on first call, not with the plugin.

Both tools have side effects in the world and no policy of their own: nothing
here knows whether the caller may have a label for that order or mail that
address. So the registered tools act only when the operator has approved them
explicitly (``shipping.approve_unguarded_tools``: ``true``, or the tool names);
without it they refuse with ``error_kind="approval_required"`` and say what to
set. They are also declared ``requires_approval=True`` — a run pauses before each call
until a person approves it — and ``effect="keyed"``: a resumed run may redo a call whose
outcome a crash lost, because the carrier issues one label per idempotency key and the
mailer sends one email per key (its ledger).
Code that enforces its own policy — ShopBot's guarded tools — calls the plain
functions :func:`issue_return_label` and :func:`email_customer` instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from agentcore.models import ToolResult
from agentcore.plugin import ToolContext, tool

# Long enough for the clients' own bounded retries (their deadline defaults to 60 s)
# to finish and report, so the engine's hard limit is only a backstop.
TOOL_TIMEOUT_S = 120.0
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
STATE_KEY = "shipping.labels"
#: The registered tools that act in the world and need the operator's approval.
SIDE_EFFECT_TOOLS = ("request_return_label", "send_email")
_EFFECTS = {
    "request_return_label": "issues a real prepaid return label for any order and address",
    "send_email": "sends a real email to any address",
}


@tool(timeout_s=TOOL_TIMEOUT_S, effect="keyed", requires_approval=True)
def request_return_label(
    order_id: str,
    items: list[str],
    customer_email: str,
    ctx: ToolContext,
    reason: str | None = None,
) -> ToolResult:
    """Request a prepaid return shipping label from the carrier for items of an order.

    Returns the label id, tracking number and where the label PDF is. Calling it
    again with the same order, items and email is safe: the carrier returns the
    same label instead of issuing a second one.

    Args:
        order_id: The order the items were bought in, e.g. "1001".
        items: SKUs or item ids being returned, e.g. ["JEANS-32-BLUE"].
        customer_email: The customer's email address, e.g. "ann@example.com".
        reason: Why the items are returned (optional).
    """
    refusal = _unapproved("request_return_label", ctx)
    if refusal is not None:
        return refusal
    return issue_return_label(ctx, order_id, items, customer_email, reason)


def issue_return_label(
    ctx: ToolContext,
    order_id: str,
    items: list[str],
    customer_email: str,
    reason: str | None = None,
) -> ToolResult:
    """Ask the carrier for a return label (idempotently) and save its PDF; no approval check.

    For code that has already decided the label may be issued (a policy such as
    ShopBot's); an agent gets :data:`request_return_label`, which needs approval.
    """
    from agentcore_shipping.carrier_client import CarrierClient, CarrierError, save_pdf
    from agentcore_shipping.config import SettingsProblem, carrier_settings
    from agentcore_shipping.keys import email_problem

    name = "request_return_label"
    problem = _label_request_problem(order_id, items, customer_email, email_problem)
    if problem:
        return _failure(name, "invalid_request", f"No label requested: {problem}.")
    try:
        settings = carrier_settings(ctx)
        client = CarrierClient(
            settings.base_url,
            settings.api_key,
            timeout_s=settings.timeout_s,
            policy=settings.policy,
        )
    except (SettingsProblem, ValueError) as exc:
        return _failure(name, "config_error", f"No label requested: {exc}.")
    try:
        label = client.request_return_label(order_id, items, customer_email, reason)
    except CarrierError as exc:
        data = {"attempts": exc.attempts, "status": exc.status, **exc.details}
        return _failure(name, exc.kind, _carrier_failure_text(exc), data)

    pdf_note = ""
    pdf_path: str | None = None
    local = settings.download_dir / f"{label.label_id}.pdf"
    try:
        if _is_pdf(local):  # a replayed label: its PDF is already here (labels never change)
            pdf_path = str(local)
        else:
            # A short, separate budget: the label exists now; the PDF can be fetched later.
            client.policy = dataclasses.replace(
                settings.policy, max_attempts=min(2, settings.policy.max_attempts), deadline_s=15.0
            )
            pdf_path = str(
                save_pdf(
                    settings.download_dir, label.label_id, client.fetch_label_pdf(label.label_id)
                )
            )
    except (CarrierError, OSError) as exc:
        pdf_note = f" The PDF could not be saved yet ({exc}); send_email will fetch it when needed."
    data = {
        "label_id": label.label_id,
        "tracking_number": label.tracking_number,
        "order_id": label.order_id,
        "items": label.items,
        "customer_email": label.customer_email,
        "pdf_url": label.pdf_url,
        "pdf_path": pdf_path,
        "replayed": label.replayed,
        "attempts": label.attempts,
        "idempotency_key": label.idempotency_key,
    }
    ctx.state.setdefault(STATE_KEY, {})[label.label_id] = data
    where = f"saved at {pdf_path}" if pdf_path else f"at {label.pdf_url}"
    replay = (
        " This request had been made before, so the carrier returned the same label "
        "(no second label was issued)."
        if label.replayed
        else ""
    )
    observation = (
        f"Return label {label.label_id} issued for order {label.order_id} "
        f"(items: {', '.join(label.items)}; customer {label.customer_email}). "
        f"Tracking number: {label.tracking_number}. Label PDF {where}.{replay}{pdf_note}"
    )
    return ToolResult(tool=name, ok=True, observation=observation, data=data)


@tool(timeout_s=TOOL_TIMEOUT_S, effect="keyed", requires_approval=True)
def send_email(
    to: str,
    subject: str,
    body: str,
    ctx: ToolContext,
    attachment_label_id: str | None = None,
    attachment_path: str | None = None,
) -> ToolResult:
    """Send an email to a customer, optionally with a return label PDF attached.

    The same email (recipient, subject, attachment) is never sent twice: a repeated
    call reports the earlier sending instead.

    Args:
        to: The recipient's email address.
        subject: One-line subject.
        body: Plain-text message.
        attachment_label_id: Id of a return label to attach as PDF, e.g. "LBL-3F9A2C41D0".
        attachment_path: Path of a label PDF in the labels folder to attach instead.
    """
    refusal = _unapproved("send_email", ctx)
    if refusal is not None:
        return refusal
    return email_customer(ctx, to, subject, body, attachment_label_id, attachment_path)


def email_customer(
    ctx: ToolContext,
    to: str,
    subject: str,
    body: str,
    attachment_label_id: str | None = None,
    attachment_path: str | None = None,
) -> ToolResult:
    """Send the email (never the same one twice); no approval check.

    For code that has already decided this email may go out (a policy such as
    ShopBot's); an agent gets :data:`send_email`, which needs approval.
    """
    from agentcore_shipping.config import SettingsProblem, email_settings
    from agentcore_shipping.ledger import LedgerError
    from agentcore_shipping.mailer import Mailer, MailError

    name = "send_email"
    if attachment_label_id and attachment_path:
        return _failure(
            name,
            "invalid_request",
            "Not sent: give attachment_label_id or attachment_path, not both.",
        )
    try:
        settings = email_settings(ctx)
    except SettingsProblem as exc:
        return _failure(name, "config_error", f"Not sent: {exc}.")
    try:
        attachment = _resolve_attachment(ctx, attachment_label_id, attachment_path)
    except _AttachmentProblem as exc:
        return _failure(name, exc.kind, f"Not sent: {exc}.")
    except SettingsProblem as exc:  # the labels folder's setting
        return _failure(name, "config_error", f"Not sent: {exc}.")
    try:
        receipt = Mailer(settings).send(to, subject, body, attachment)
    except MailError as exc:
        retry_hint = {
            "smtp_unavailable": " Trying again later is safe.",
            "invalid_request": " Fix the arguments and try again.",
        }.get(exc.kind, "")
        return _failure(
            name, exc.kind, f"Email not sent: {exc}.{retry_hint}", {"attempts": exc.attempts}
        )
    except LedgerError as exc:
        return _failure(name, "state_error", f"Email not sent: {exc}.")
    data = {
        "message_id": receipt.message_id,
        "to": receipt.to,
        "subject": receipt.subject,
        "attachment": receipt.attachment,
        "duplicate": receipt.duplicate,
        "attempts": receipt.attempts,
        "sent_at": receipt.sent_at,
    }
    attached = f", attached {receipt.attachment}" if receipt.attachment else ""
    if receipt.duplicate:
        observation = (
            f"This email (to {receipt.to}, subject {receipt.subject!r}{attached}) was already sent "
            f"at {receipt.sent_at}; it was not sent again. Message-ID {receipt.message_id}."
        )
    else:
        observation = (
            f"Email sent to {receipt.to} (subject {receipt.subject!r}{attached}). "
            f"Message-ID {receipt.message_id}."
        )
    return ToolResult(tool=name, ok=True, observation=observation, data=data)


# --- helpers -----------------------------------------------------------------------------


def _unapproved(name: str, ctx: ToolContext) -> ToolResult | None:
    """The refusal of a side-effect tool the operator has not approved, else ``None``."""
    from agentcore_shipping.config import APPROVAL_SETTING, SettingsProblem, approved_tools

    try:
        approved = approved_tools(ctx, SIDE_EFFECT_TOOLS)
    except SettingsProblem as exc:
        return _failure(name, "config_error", f"Not done: {exc}.")
    if name in approved:
        return None
    return _failure(
        name,
        "approval_required",
        f"Not done: {name} {_EFFECTS[name]} and has no policy of its own, so it acts only "
        f"when the operator approves it. To approve it, set shipping.{APPROVAL_SETTING} to "
        f"true or to the tools' names (e.g. --set shipping.{APPROVAL_SETTING}={name}); or "
        "give the agent policy-guarded tools instead, such as ShopBot's "
        "(examples/shopbot/returns_policy.py). Tell the user this could not be done.",
    )


class _AttachmentProblem(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _resolve_attachment(ctx: ToolContext, label_id: str | None, path: str | None) -> Any:
    """The :class:`~agentcore_shipping.mailer.Attachment` asked for, or ``None``.

    Attachments are confined to label PDFs: by label id (saved locally, or fetched
    from the carrier), or by a path inside the labels folder — a model must not be
    able to mail arbitrary files off the machine.
    """
    from agentcore_shipping.carrier_client import LABEL_ID_RE, CarrierClient, CarrierError, save_pdf
    from agentcore_shipping.config import SettingsProblem, carrier_settings, label_download_dir
    from agentcore_shipping.keys import sha256_hex
    from agentcore_shipping.mailer import Attachment

    labels_dir = label_download_dir(ctx)
    if label_id:
        label_id = label_id.strip()
        if not LABEL_ID_RE.match(label_id):
            raise _AttachmentProblem("invalid_request", f"{label_id!r} is not a label id")
        local = labels_dir / f"{label_id}.pdf"
        if local.is_file():
            content = local.read_bytes()
        else:
            try:
                settings = carrier_settings(ctx)
                client = CarrierClient(
                    settings.base_url,
                    settings.api_key,
                    timeout_s=settings.timeout_s,
                    policy=settings.policy,
                )
                content = client.fetch_label_pdf(label_id)
            except SettingsProblem as exc:
                raise _AttachmentProblem(
                    "not_found", f"label {label_id} is not saved locally and {exc}"
                ) from exc
            except CarrierError as exc:
                raise _AttachmentProblem(
                    exc.kind, f"could not get the PDF of label {label_id}: {exc}"
                ) from exc
            with contextlib.suppress(OSError):  # attaching still works; next time fetches again
                save_pdf(labels_dir, label_id, content)
        return Attachment(f"return-label-{label_id}.pdf", content, f"label:{label_id}")
    if path:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = labels_dir / candidate
        resolved = candidate.resolve()
        if not resolved.is_relative_to(labels_dir.resolve()):
            raise _AttachmentProblem(
                "invalid_request",
                f"attachments must be label PDFs in {labels_dir}; {path!r} is outside it",
            )
        if not resolved.is_file():
            raise _AttachmentProblem("not_found", f"no file at {resolved}")
        if resolved.stat().st_size > MAX_ATTACHMENT_BYTES:
            raise _AttachmentProblem("invalid_request", f"{resolved.name} is larger than 10 MiB")
        content = resolved.read_bytes()
        if not content.startswith(b"%PDF-"):
            raise _AttachmentProblem("invalid_request", f"{resolved.name} is not a PDF")
        return Attachment(resolved.name, content, "sha256:" + sha256_hex(content))
    return None


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def _label_request_problem(
    order_id: str, items: list[str], customer_email: str, email_problem: Any
) -> str | None:
    if not order_id.strip():
        return "order_id is empty"
    if not items:
        return "items is empty; list the SKUs or item ids being returned"
    if any(not item.strip() for item in items):
        return "items contains an empty entry"
    problem = email_problem(customer_email)
    return f"customer_email: {problem}" if problem else None


def _carrier_failure_text(exc: Any) -> str:
    text = f"No label: {str(exc).rstrip('.')}."
    if exc.kind in ("timeout", "carrier_unavailable"):
        text += (
            " Trying again later with the same order, items and email is safe: "
            "the carrier will not issue a second label."
        )
    return text


def _failure(name: str, kind: str, observation: str, data: Any = None) -> ToolResult:
    return ToolResult(tool=name, ok=False, observation=observation, error_kind=kind, data=data)
