"""``send_email`` against a real SMTP server (aiosmtpd), with labels from the real carrier."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from pathlib import Path

from agentcore_shipping.tools import request_return_label, send_email

LABEL_ARGS = {"order_id": "1001", "items": ["JEANS-32-BLUE"], "customer_email": "ann@example.com"}


def _mail(label_id: str | None = None, **overrides):
    args = {
        "to": "ann@example.com",
        "subject": "Your return label for order 1001",
        "body": "Hello Ann,\n\nattached is your prepaid return label.\n\nShopBot",
    }
    if label_id:
        args["attachment_label_id"] = label_id
    args.update(overrides)
    return args


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_label_is_emailed_with_the_pdf_attached(carrier, smtp_server, make_context):
    ctx = make_context(carrier, smtp_server)
    label = request_return_label.invoke(LABEL_ARGS, ctx)
    assert label.ok, label.observation
    label_id = label.data["label_id"]

    sent = send_email.invoke(_mail(label_id), ctx)

    assert sent.ok, sent.observation
    assert sent.data["duplicate"] is False
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.mail_from == "returns@shop.example"
    message = _parse(received.content)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Your return label for order 1001"
    assert message["Message-ID"] == sent.data["message_id"]
    assert "prepaid return label" in message.get_body(("plain",)).get_content()
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    pdf_part = attachments[0]
    assert pdf_part.get_content_type() == "application/pdf"
    assert pdf_part.get_filename() == f"return-label-{label_id}.pdf"
    pdf = pdf_part.get_content()
    assert pdf.startswith(b"%PDF-")
    assert label_id.encode() in pdf
    assert label.data["tracking_number"].encode() in pdf
    assert pdf == Path(label.data["pdf_path"]).read_bytes()


def test_duplicate_send_is_not_sent_again_even_after_a_restart(carrier, smtp_server, make_context):
    ctx = make_context(carrier, smtp_server)
    label_id = request_return_label.invoke(LABEL_ARGS, ctx).data["label_id"]

    first = send_email.invoke(_mail(label_id), ctx)
    again = send_email.invoke(_mail(label_id), ctx)
    after_restart = send_email.invoke(_mail(label_id), make_context(carrier, smtp_server))

    assert first.ok and again.ok and after_restart.ok
    assert again.data["duplicate"] is True and after_restart.data["duplicate"] is True
    assert "not sent again" in again.observation
    assert again.data["message_id"] == first.data["message_id"]
    assert len(smtp_server.messages) == 1


def test_concurrent_duplicate_sends_deliver_one_message(carrier, smtp_server, make_context):
    ctx = make_context(carrier, smtp_server)
    label_id = request_return_label.invoke(LABEL_ARGS, ctx).data["label_id"]
    results = []

    def send() -> None:
        results.append(send_email.invoke(_mail(label_id), make_context(carrier, smtp_server)))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 4 and all(r.ok for r in results)
    assert sorted(r.data["duplicate"] for r in results) == [False, True, True, True]
    assert len(smtp_server.messages) == 1


def test_a_different_email_to_the_same_customer_is_sent(smtp_server, make_context):
    ctx = make_context(smtp=smtp_server)
    first = send_email.invoke(_mail(subject="Your return was received"), ctx)
    second = send_email.invoke(_mail(subject="Your refund was issued"), ctx)
    assert first.ok and second.ok
    assert second.data["duplicate"] is False
    assert len(smtp_server.messages) == 2


def test_invalid_address_is_a_clear_observation_and_nothing_is_sent(smtp_server, make_context):
    result = send_email.invoke(_mail(to="ann@example"), make_context(smtp=smtp_server))
    assert not result.ok
    assert result.error_kind == "invalid_request"
    assert "not a valid email address" in result.observation
    assert smtp_server.messages == []


def test_header_injection_in_subject_is_refused(smtp_server, make_context):
    result = send_email.invoke(
        _mail(subject="Label\r\nBcc: everyone@example.com"), make_context(smtp=smtp_server)
    )
    assert not result.ok and result.error_kind == "invalid_request"
    assert "single line" in result.observation
    assert smtp_server.messages == []


def test_transient_4xx_is_retried_and_delivered_once(smtp_server, make_context):
    smtp_server.handler.data_replies.append("451 4.3.0 Temporary failure, try again")
    result = send_email.invoke(_mail(), make_context(smtp=smtp_server))
    assert result.ok, result.observation
    assert result.data["attempts"] == 2
    assert len(smtp_server.messages) == 1


def test_unknown_recipient_is_rejected_without_retry(smtp_server, make_context):
    result = send_email.invoke(_mail(to="nobody@example.com"), make_context(smtp=smtp_server))
    assert not result.ok
    assert result.error_kind == "recipient_rejected"
    assert "550" in result.observation
    assert result.data["attempts"] == 1
    assert smtp_server.messages == []


def test_unreachable_mail_server_is_smtp_unavailable_and_leaves_no_ledger_entry(
    make_context, closed_port, tmp_path
):
    ctx = make_context(email={"host": "127.0.0.1", "port": closed_port, "max_attempts": 3})
    result = send_email.invoke(_mail(), ctx)
    assert not result.ok
    assert result.error_kind == "smtp_unavailable"
    assert result.data["attempts"] == 3
    assert "nothing was sent" in result.observation
    ledger = tmp_path / "mail-state" / "sent_emails.json"
    assert not ledger.exists() or json.loads(ledger.read_text())["messages"] == {}


def test_label_pdf_is_fetched_from_the_carrier_when_not_saved_locally(
    carrier, smtp_server, make_context, tmp_path
):
    label = request_return_label.invoke(LABEL_ARGS, make_context(carrier, smtp_server))
    elsewhere = make_context(
        carrier, smtp_server, shipping={"download_dir": str(tmp_path / "other-labels")}
    )
    sent = send_email.invoke(_mail(label.data["label_id"]), elsewhere)
    assert sent.ok, sent.observation
    pdf = next(_parse(smtp_server.messages[0].content).iter_attachments()).get_content()
    assert pdf.startswith(b"%PDF-") and label.data["label_id"].encode() in pdf


def test_unknown_label_id_is_a_clear_observation(carrier, smtp_server, make_context):
    result = send_email.invoke(_mail("LBL-DOESNOTEXIST"), make_context(carrier, smtp_server))
    assert not result.ok
    assert result.error_kind == "not_found"
    assert "LBL-DOESNOTEXIST" in result.observation
    assert smtp_server.messages == []


def test_attachments_outside_the_labels_folder_are_refused(smtp_server, make_context, tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not for customers")
    for path in (str(secret), "../secret.pdf", "/etc/passwd"):
        result = send_email.invoke(_mail(attachment_path=path), make_context(smtp=smtp_server))
        assert not result.ok and result.error_kind == "invalid_request", path
        assert "outside" in result.observation
    assert smtp_server.messages == []


def test_attachment_by_path_inside_the_labels_folder(carrier, smtp_server, make_context):
    ctx = make_context(carrier, smtp_server)
    label = request_return_label.invoke(LABEL_ARGS, ctx)
    sent = send_email.invoke(_mail(attachment_path=label.data["pdf_path"]), ctx)
    assert sent.ok, sent.observation
    part = next(_parse(smtp_server.messages[0].content).iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == Path(label.data["pdf_path"]).read_bytes()


def test_missing_sender_is_a_config_error(smtp_server, make_context):
    result = send_email.invoke(_mail(), make_context(smtp=smtp_server, email={"sender": None}))
    assert not result.ok and result.error_kind == "config_error"
    assert "email.sender" in result.observation


def test_permanent_refusal_of_the_content_is_not_retried(smtp_server, make_context):
    smtp_server.handler.data_replies.append("554 5.6.0 Message rejected as spam")
    ctx = make_context(smtp=smtp_server)
    result = send_email.invoke(_mail(), ctx)
    assert not result.ok
    assert result.error_kind == "rejected"
    assert "554" in result.observation and result.data["attempts"] == 1
    # Nothing was delivered, so nothing is recorded: a later call may send it.
    assert send_email.invoke(_mail(), ctx).ok
    assert len(smtp_server.messages) == 1


def test_connection_lost_during_delivery_is_uncertain_and_never_resent(smtp_server, make_context):
    smtp_server.handler.data_replies.append("DROP")
    ctx = make_context(smtp=smtp_server)

    first = send_email.invoke(_mail(), ctx)
    second = send_email.invoke(_mail(), make_context(smtp=smtp_server))

    assert not first.ok and first.error_kind == "delivery_uncertain"
    assert first.data["attempts"] == 1
    assert not second.ok and second.error_kind == "delivery_uncertain"
    assert len(smtp_server.messages) == 1  # only the one whose answer was lost
