"""Keys, address checks, backoff arithmetic and plugin registration."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from agentcore_shipping.config import SettingsProblem, carrier_settings, email_settings
from agentcore_shipping.keys import (
    email_dedupe_key,
    email_problem,
    label_idempotency_key,
    normalize_email,
)
from agentcore_shipping.retry import RetryClock, RetryPolicy

from agentcore.plugins import get_plugin_manager
from agentcore.tools import ToolContext


def test_label_key_ignores_item_order_and_domain_case_but_not_content():
    key = label_idempotency_key("1001", ["B", "A"], "Ann@Example.COM")
    assert key == label_idempotency_key(" 1001 ", ["A", "B"], "Ann@example.com")
    assert key != label_idempotency_key("1001", ["A"], "Ann@example.com")
    assert key != label_idempotency_key("1001", ["A", "A", "B"], "Ann@example.com")
    assert key != label_idempotency_key("1002", ["A", "B"], "Ann@example.com")
    assert key != label_idempotency_key("1001", ["A", "B"], "ann@example.com")  # local part
    assert key.startswith("rl-") and len(key) == 51


def test_email_key_depends_on_recipient_subject_and_content():
    base = email_dedupe_key("a@example.com", "Your label", "label:LBL-1")
    assert base == email_dedupe_key("a@EXAMPLE.com", "Your  label", "label:LBL-1")
    assert base != email_dedupe_key("b@example.com", "Your label", "label:LBL-1")
    assert base != email_dedupe_key("a@example.com", "Your label", "label:LBL-2")
    assert base != email_dedupe_key("a@example.com", "Other", "label:LBL-1")


@pytest.mark.parametrize(
    "address", ["ann@example.com", "ann.lee+returns@mail.example.co.uk", "o'neil@example.org"]
)
def test_valid_addresses(address):
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@exa mple.com",
        "ann..lee@example.com",
        "ann@example.com\nBcc: x@example.com",
        "Ann <ann@example.com>",
        "ann@-example.com",
        "a" * 65 + "@example.com",
    ],
)
def test_invalid_addresses(address):
    assert email_problem(address)


def test_normalize_email_lowercases_only_the_domain():
    assert normalize_email("  Ann.Lee@Example.COM ") == "Ann.Lee@example.com"


def test_backoff_grows_exponentially_is_capped_and_jittered():
    policy = RetryPolicy(max_attempts=10, base_delay_s=0.5, max_delay_s=4.0)
    rng = random.Random(7)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert max(delays) - min(delays) > cap / 4  # jitter really spreads them


def test_retry_clock_stops_at_max_attempts_and_at_the_deadline():
    slept: list[float] = []
    clock = RetryClock(
        RetryPolicy(max_attempts=3, base_delay_s=1.0, deadline_s=None), sleep=slept.append
    )
    attempts = 0
    while True:
        attempts = clock.begin_attempt()
        if not clock.wait_before_retry():
            break
    assert attempts == 3 and len(slept) == 2

    now = [0.0]
    clock = RetryClock(
        RetryPolicy(max_attempts=100, base_delay_s=1.0, max_delay_s=1.0, deadline_s=2.5),
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        monotonic=lambda: now[0],
    )
    attempts = 0
    while True:
        attempts = clock.begin_attempt()
        if not clock.wait_before_retry():
            break
    assert 3 <= attempts <= 5 and now[0] < 2.5


def test_retry_after_raises_the_wait_up_to_the_cap():
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=2.0)
    clock = RetryClock(policy, sleep=slept.append)
    clock.begin_attempt()
    assert clock.wait_before_retry(at_least_s=60.0)
    assert slept == [2.0]


def test_settings_problems_name_the_setting(monkeypatch):
    monkeypatch.delenv("AGENTCORE_SHIPPING_API_KEY", raising=False)
    with pytest.raises(SettingsProblem, match=r"shipping\.api_key"):
        carrier_settings(ToolContext(settings={"shipping": {"base_url": "http://127.0.0.1:1"}}))
    with pytest.raises(SettingsProblem, match="http://"):
        carrier_settings(ToolContext(settings={"shipping": {"base_url": "127.0.0.1:1"}}))
    with pytest.raises(SettingsProblem, match=r"email\.port"):
        email_settings(ToolContext(settings={"email": {"sender": "a@example.com", "port": "x"}}))
    with pytest.raises(SettingsProblem, match="max_attempts"):
        email_settings(
            ToolContext(settings={"email": {"sender": "a@example.com", "max_attempts": 0}})
        )


def test_plugin_registers_both_tools_through_its_entry_point():
    pm = get_plugin_manager()
    names = pm.registry.names("tool")
    assert {"request_return_label", "send_email"} <= set(names)
    assert pm.registry.get("tool", "send_email").plugin == "shipping"
    spec = pm.tool("request_return_label").spec
    assert spec.parameters["required"] == ["order_id", "items", "customer_email"]
    assert "ctx" not in spec.parameters["properties"]


def test_plugin_module_import_is_light():
    code = (
        "import sys, agentcore_shipping.plugin; "
        "print(sorted(m for m in ('smtplib', 'http.client', 'sqlite3') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"
