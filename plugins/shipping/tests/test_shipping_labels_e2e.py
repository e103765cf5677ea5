"""``request_return_label`` against the real reference carrier, failures injected.

The invariant under every failure: the carrier's store ends up with at most one
label per request, and repeating the call returns that same label.
"""

from __future__ import annotations

from pathlib import Path

from agentcore_shipping.carrier_client import CarrierClient
from agentcore_shipping.retry import RetryPolicy
from agentcore_shipping.tools import request_return_label

ARGS = {
    "order_id": "1001",
    "items": ["JEANS-32-BLUE", "BELT-M"],
    "customer_email": "ann@example.com",
}


def test_label_issued_once_despite_injected_500s(carrier, make_context):
    carrier.control(fail_next=2, status=500)

    result = request_return_label.invoke(ARGS, make_context(carrier))

    assert result.ok, result.observation
    assert result.data["attempts"] == 3
    assert [r["status"] for r in carrier.label_posts()] == [500, 500, 201]
    assert len({r["idempotency_key"] for r in carrier.label_posts()}) == 1
    assert carrier.service.store.count() == 1
    assert result.data["label_id"] == carrier.service.store.labels()[0].label_id
    pdf = Path(result.data["pdf_path"]).read_bytes()
    assert pdf.startswith(b"%PDF-") and result.data["label_id"].encode() in pdf


def test_label_issued_once_when_answers_time_out(carrier, make_context):
    # The carrier makes the label, then answers too late twice: the client's first two
    # attempts time out although the label exists. The retries must not make another.
    carrier.control(delay_next=2, seconds=1.5, phase="after")
    ctx = make_context(carrier, shipping={"timeout_s": 0.5, "max_attempts": 5})

    result = request_return_label.invoke(ARGS, ctx)

    assert result.ok, result.observation
    assert result.data["attempts"] >= 3  # two answers came too late
    assert result.data["replayed"] is True
    assert carrier.service.store.count() == 1
    posts = carrier.label_posts()
    assert len(posts) == result.data["attempts"]
    assert len({p["idempotency_key"] for p in posts}) == 1


def test_timeouts_past_the_attempt_budget_become_a_timeout_observation(carrier, make_context):
    carrier.control(delay_next=2, seconds=0.8, phase="after")
    ctx = make_context(carrier, shipping={"timeout_s": 0.2, "max_attempts": 2})

    failed = request_return_label.invoke(ARGS, ctx)

    assert not failed.ok
    assert failed.error_kind == "timeout"
    assert "2 attempt(s)" in failed.observation
    assert "safe" in failed.observation  # tells the model a retry cannot duplicate
    # The carrier did act on the first request; the model's retry gets that label.
    retried = request_return_label.invoke(ARGS, make_context(carrier))
    assert retried.ok and retried.data["replayed"] is True
    assert carrier.service.store.count() == 1


def test_repeated_call_from_a_fresh_agent_returns_the_same_label(carrier, make_context):
    first = request_return_label.invoke(ARGS, make_context(carrier))
    shuffled = dict(ARGS, items=list(reversed(ARGS["items"])), customer_email="ann@EXAMPLE.com")
    second = request_return_label.invoke(shuffled, make_context(carrier))

    assert first.ok and second.ok
    assert second.data["label_id"] == first.data["label_id"]
    assert second.data["tracking_number"] == first.data["tracking_number"]
    assert first.data["replayed"] is False and second.data["replayed"] is True
    assert "no second label" in second.observation
    assert carrier.service.store.count() == 1


def test_different_items_get_a_different_label(carrier, make_context):
    first = request_return_label.invoke(ARGS, make_context(carrier))
    other = request_return_label.invoke(dict(ARGS, items=["BELT-M"]), make_context(carrier))
    assert first.ok and other.ok
    assert other.data["label_id"] != first.data["label_id"]
    assert carrier.service.store.count() == 2


def test_dropped_connection_is_retried(carrier, make_context):
    carrier.control(fail_next=1, drop=True)
    result = request_return_label.invoke(ARGS, make_context(carrier))
    assert result.ok, result.observation
    assert result.data["attempts"] == 2
    assert carrier.service.store.count() == 1


def test_persistent_5xx_becomes_carrier_unavailable(carrier, make_context):
    carrier.control(fail_next=10, status=503)
    result = request_return_label.invoke(ARGS, make_context(carrier, shipping={"max_attempts": 3}))
    assert not result.ok
    assert result.error_kind == "carrier_unavailable"
    assert "3 attempt(s)" in result.observation and "HTTP 503" in result.observation
    assert len(carrier.label_posts()) == 3
    assert carrier.service.store.count() == 0


def test_connection_refused_becomes_carrier_unavailable_after_bounded_retries(
    make_context, closed_port
):
    ctx = make_context(shipping={"base_url": f"http://127.0.0.1:{closed_port}", "max_attempts": 3})
    result = request_return_label.invoke(ARGS, ctx)
    assert not result.ok
    assert result.error_kind == "carrier_unavailable"
    assert result.data["attempts"] == 3
    assert "connection refused" in result.observation


def test_bad_api_key_is_auth_failed_and_not_retried(carrier, make_context):
    result = request_return_label.invoke(
        ARGS, make_context(carrier, shipping={"api_key": "wrong-key-123"})
    )
    assert not result.ok
    assert result.error_kind == "auth_failed"
    assert "wrong-key-123" not in result.observation  # secrets never reach the model
    assert [r["status"] for r in carrier.label_posts()] == [401]
    assert carrier.service.store.count() == 0


def test_api_key_from_environment(carrier, make_context, monkeypatch):
    monkeypatch.setenv("AGENTCORE_SHIPPING_API_KEY", carrier.api_key)
    result = request_return_label.invoke(ARGS, make_context(carrier, shipping={"api_key": None}))
    assert result.ok, result.observation


def test_carrier_422_becomes_invalid_request_with_the_reason(carrier, make_context):
    # The client cannot know the carrier's order-number format; the carrier's 422 says.
    result = request_return_label.invoke(dict(ARGS, order_id="10 01/x"), make_context(carrier))
    assert not result.ok
    assert result.error_kind == "invalid_request"
    assert "order_id" in result.observation
    assert [r["status"] for r in carrier.label_posts()] == [422]


def test_invalid_email_is_refused_before_calling_the_carrier(carrier, make_context):
    result = request_return_label.invoke(
        dict(ARGS, customer_email="ann(at)example.com"), make_context(carrier)
    )
    assert not result.ok
    assert result.error_kind == "invalid_request"
    assert "email" in result.observation
    assert carrier.service.requests() == []


def test_same_request_with_a_different_reason_is_a_conflict_not_a_second_label(
    carrier, make_context
):
    first = request_return_label.invoke(dict(ARGS, reason="too small"), make_context(carrier))
    second = request_return_label.invoke(dict(ARGS, reason="wrong colour"), make_context(carrier))
    assert first.ok
    assert not second.ok and second.error_kind == "conflict"
    assert second.data["label_id"] == first.data["label_id"]
    assert first.data["label_id"] in second.observation
    assert "no second label" in second.observation
    assert carrier.service.store.count() == 1


def test_missing_base_url_is_a_config_error(make_context):
    result = request_return_label.invoke(ARGS, make_context())
    assert not result.ok and result.error_kind == "config_error"
    assert "shipping.base_url" in result.observation


def test_retry_after_is_honoured(carrier):
    carrier.control(fail_next=1, status=429, retry_after=0.25)
    waits: list[float] = []
    client = CarrierClient(
        carrier.base_url,
        carrier.api_key,
        policy=RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=1.0),
        sleep=waits.append,
    )
    label = client.request_return_label("1002", ["HAT"], "bo@example.com")
    assert label.attempts == 2
    assert len(waits) == 1 and waits[0] >= 0.25
