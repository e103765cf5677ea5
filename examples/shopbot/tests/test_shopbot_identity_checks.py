"""The identity check cannot be brute-forced by starting new conversations, and does not tell
an attacker which order numbers exist.

``verify_customer`` is the only thing standing between anyone who can chat with the bot and a
label (plus the order's details) for someone else's order. Failed checks are counted per order
number and per email address across every conversation, in a file next to the orders database,
so neither a new conversation nor a restarted bot resets them. The orders database, the carrier
and the SMTP server are real.
"""

from __future__ import annotations

from typing import Any

import pytest
from failed_checks import MAX_FAILED_CHECKS, FailedChecks
from returns_policy import OrderBook, guarded_tools
from shopbot_testkit import labels_issued

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.tools import ToolContext

SAID = (
    "Order 1001 or 1002 or 1003 or 1004 or 1005 or 9999, my email is ann@example.com "
    "or a@example.com or b@example.com or c@example.com or ben.ortiz@example.org "
    "or chloe.martin@example.net"
)


@pytest.fixture
def book(shop) -> Any:
    book = OrderBook(shop.database)
    yield book
    book.close()


def conversation(shop, name: str = "") -> ToolContext:
    """A new conversation: its tool state starts empty."""
    return ToolContext(run_id=name, settings=shop.settings, state={})


def verify(tools, ctx, order_id: str, email: str):
    return tools["verify_customer"].invoke({"order_id": order_id, "email": email}, ctx)


def tool_set(book, checks: FailedChecks | None = None) -> dict[str, Any]:
    return {t.name: t for t in guarded_tools(book, lambda ctx: SAID, checks)}


def test_new_conversations_do_not_reset_the_failure_limit(shop, book):
    """Today's attack: three guesses, hang up, start over, guess again."""
    tools = tool_set(book)
    for guess in ("a@example.com", "b@example.com", "c@example.com"):
        failed = verify(tools, conversation(shop, guess), "1002", guess)
        assert failed.error_kind == "not_verified"
    right_but_locked = verify(tools, conversation(shop, "fourth"), "1002", "ben.ortiz@example.org")
    assert not right_but_locked.ok and right_but_locked.error_kind == "too_many_attempts"
    assert "contact support" in right_but_locked.observation
    assert "Verified" not in right_but_locked.observation
    # the lock is about order 1002: Ann can still verify her own order
    assert verify(tools, conversation(shop, "ann"), "1001", "ann@example.com").ok


def test_one_email_tried_against_many_orders_is_stopped(shop, book):
    """Knowing a victim's email, try order numbers one conversation at a time."""
    tools = tool_set(book)
    for order in ("1002", "1003", "1005"):
        assert verify(tools, conversation(shop, order), order, "ann@example.com").error_kind == (
            "not_verified"
        )
    locked = verify(tools, conversation(shop, "1001"), "1001", "ann@example.com")  # Ann's own
    assert locked.error_kind == "too_many_attempts"


def test_the_limit_survives_a_restarted_bot(shop, shopbot):
    """Each guess in a new conversation with a newly built bot (a restart): the count is in a
    file in the bot's work directory, so the fourth conversation is refused."""

    def chat_once(session: str, email: str):
        backend = ScriptedBackend(
            [
                " I check the email.\nAction: verify_customer["
                f'{{"order_id": "1002", "email": "{email}"}}]',
                " I tell the customer.\nAction: respond[Sorry.]",
            ]
        )
        agent = shopbot.build_agent(backend, settings=shop.settings)
        result = agent.chat(session, f"Return order 1002 please, my email is {email}")
        return result.steps[0].tool_result

    for number, guess in enumerate(("a@example.com", "b@example.com", "c@example.com")):
        assert chat_once(f"guess-{number}", guess).error_kind == "not_verified"
    locked = chat_once("fourth", "ben.ortiz@example.org")
    assert locked.error_kind == "too_many_attempts"
    assert labels_issued(shop) == []


def test_no_such_order_and_wrong_email_get_the_same_answer(shop, book):
    tools = tool_set(book)
    missing = verify(tools, conversation(shop, "missing"), "9999", "ann@example.com")
    wrong = verify(tools, conversation(shop, "wrong"), "1002", "ann@example.com")
    assert missing.ok is wrong.ok is False
    assert missing.error_kind == wrong.error_kind == "not_verified"
    assert missing.data == wrong.data
    assert missing.observation.replace("9999", "N") == wrong.observation.replace("1002", "N")
    assert "no order" not in missing.observation and "exist" not in missing.observation


def test_locked_answers_do_not_tell_orders_apart_either(shop, book):
    tools = tool_set(book)
    answers = {}
    for order in ("9999", "1003"):  # one does not exist, one is Chloe's
        for guess in ("a@example.com", "b@example.com", "c@example.com"):
            verify(tools, conversation(shop), order, guess)
        answers[order] = verify(tools, conversation(shop), order, "chloe.martin@example.net")
    assert answers["9999"].error_kind == answers["1003"].error_kind == "too_many_attempts"
    assert answers["9999"].observation.replace("9999", "N") == answers["1003"].observation.replace(
        "1003", "N"
    )


def test_a_successful_check_clears_that_order_and_email(shop, book):
    tools = tool_set(book)
    for _ in range(MAX_FAILED_CHECKS - 1):  # the customer mistypes, twice
        verify(tools, conversation(shop), "1001", "a@example.com")
    assert verify(tools, conversation(shop), "1001", "ann@example.com").ok
    for _ in range(MAX_FAILED_CHECKS - 1):  # ... and again on a later day: not locked out
        verify(tools, conversation(shop), "1001", "b@example.com")
    assert verify(tools, conversation(shop), "1001", "ann@example.com").ok


def test_failures_expire_after_the_window(tmp_path):
    now = [1_000_000.0]
    checks = FailedChecks(tmp_path / "checks.sqlite", window_s=3600, clock=lambda: now[0])
    for _ in range(MAX_FAILED_CHECKS):
        checks.record_failure(1002, "a@example.com")
    assert checks.locked(1002, "ben.ortiz@example.org")
    now[0] += 3601
    assert not checks.locked(1002, "ben.ortiz@example.org")


def test_nothing_is_issued_for_a_locked_order(shop, book):
    tools = tool_set(book)
    ctx = conversation(shop)
    for guess in ("a@example.com", "b@example.com", "c@example.com"):
        verify(tools, conversation(shop), "1002", guess)
    assert verify(tools, ctx, "1002", "ben.ortiz@example.org").error_kind == "too_many_attempts"
    label = tools["request_return_label"].invoke(
        {
            "order_id": "1002",
            "items": ["JEANS-34-BLACK"],
            "customer_email": "ben.ortiz@example.org",
        },
        ctx,
    )
    assert label.error_kind == "not_verified"
    assert labels_issued(shop) == []
