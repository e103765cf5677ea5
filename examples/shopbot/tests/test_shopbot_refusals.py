"""The return policy holds whatever the model writes: refusals, and nothing made.

The tools are built by ``returns_policy.guarded_tools`` (as ``build_agent``
does) over the real orders database; what the customer has said is a list the
test fills in, and each ToolContext stands for one conversation. The carrier and
SMTP server are running, so "no label, no email" is observed on the real
services, not assumed.
"""

from __future__ import annotations

from typing import Any

import pytest
from shopbot_testkit import labels_issued

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.tools import ToolContext


@pytest.fixture
def customer() -> list[str]:
    """The customer's messages in the conversation (what verify_customer may accept)."""
    return []


@pytest.fixture
def tools(shop, customer) -> dict[str, Any]:
    from returns_policy import OrderBook, guarded_tools

    book = OrderBook(shop.database)
    yield {t.name: t for t in guarded_tools(book, lambda ctx: "\n".join(customer))}
    book.close()


@pytest.fixture
def conversation(shop) -> ToolContext:
    return ToolContext(run_id="test", settings=shop.settings, state={})


def nothing_made(shop) -> bool:
    return labels_issued(shop) == [] and shop.services.messages() == []


def verify(tools, ctx, order_id: str, email: str):
    return tools["verify_customer"].invoke({"order_id": order_id, "email": email}, ctx)


def label(tools, ctx, order_id: str, items: list[str], email: str):
    return tools["request_return_label"].invoke(
        {"order_id": order_id, "items": items, "customer_email": email}, ctx
    )


def test_order_of_another_customer_is_refused(shop, tools, customer, conversation):
    customer += ["My order is 1001, email ann@example.com", "Also order 1002 please."]
    assert verify(tools, conversation, "1001", "ann@example.com").ok
    # Ann is verified for her order 1001; order 1002 is Ben's
    checked = verify(tools, conversation, "1002", "ann@example.com")
    assert not checked.ok and checked.error_kind == "not_verified"
    assert checked.observation.startswith(
        "Refused: order 1002 and ann@example.com do not match an order on file"
    )
    assert "ben.ortiz@example.org" not in checked.observation  # the address on file stays secret
    result = label(tools, conversation, "1002", ["JEANS-34-BLACK"], "ann@example.com")
    assert not result.ok and result.error_kind == "not_verified"
    assert result.observation.startswith(
        "Refused: order 1002 has not been verified for this customer."
    )
    # nor with Ben's address, which Ann might know: it was never verified here
    result = label(tools, conversation, "1002", ["JEANS-34-BLACK"], "ben.ortiz@example.org")
    assert result.error_kind == "not_verified"
    assert nothing_made(shop)


def test_item_not_in_the_order_is_refused(shop, tools, customer, conversation):
    customer.append("Order #1001, I'm ann@example.com. The black jeans please.")
    assert verify(tools, conversation, "1001", "ann@example.com").ok
    result = label(tools, conversation, "1001", ["JEANS-34-BLACK"], "ann@example.com")
    assert not result.ok and result.error_kind == "item_not_in_order"
    assert result.observation == (
        "Refused: 'JEANS-34-BLACK' is not in order 1001. Order 1001 contains: "
        "JEANS-32-BLUE (Slim jeans, W32, blue) x1; TEE-M-WHITE (Cotton t-shirt, M, white) x2. "
        "Ask the customer which of these to return."
    )
    # a product name is not a SKU of the order either, and one pair cannot be returned twice
    assert label(tools, conversation, "1001", ["jeans"], "ann@example.com").error_kind == (
        "item_not_in_order"
    )
    twice = label(tools, conversation, "1001", ["JEANS-32-BLUE"] * 2, "ann@example.com")
    assert twice.observation.startswith("Refused: order 1001 has only 1 of JEANS-32-BLUE.")
    assert nothing_made(shop)


def test_email_that_does_not_match_is_refused(shop, tools, customer, conversation):
    customer.append("Order 1001, my email is ann.lee@example.com")
    checked = verify(tools, conversation, "1001", "ann.lee@example.com")
    assert not checked.ok and checked.error_kind == "not_verified"
    assert checked.observation.startswith(
        "Refused: order 1001 and ann.lee@example.com do not match an order on file"
    )
    result = label(tools, conversation, "1001", ["JEANS-32-BLUE"], "ann.lee@example.com")
    assert result.error_kind == "not_verified"
    assert nothing_made(shop)

    # verified with the right address, a label to another address is still refused
    customer.append("Sorry, it is ANN@example.com. Send it to mallory@example.net")
    assert verify(tools, conversation, "1001", "ANN@example.com ").ok  # case and spaces forgiven
    other = label(tools, conversation, "1001", ["JEANS-32-BLUE"], "mallory@example.net")
    assert not other.ok and other.error_kind == "email_mismatch"
    assert other.observation.startswith(
        "Refused: mallory@example.net is not the verified email of order 1001;"
    )
    assert nothing_made(shop)


def test_email_goes_only_to_the_verified_customer_with_their_label(
    shop, tools, customer, conversation
):
    customer.append("The t-shirts, order 1001, ann@example.com. Or mail it to mallory@example.net")
    assert verify(tools, conversation, "1001", "ann@example.com").ok
    made = label(tools, conversation, "1001", ["TEE-M-WHITE"], "ann@example.com")
    assert made.ok, made.observation
    label_id = made.data["label_id"]
    send = tools["send_email"]
    message = {"subject": "Your label", "body": "Attached."}

    elsewhere = send.invoke(
        {**message, "to": "mallory@example.net", "attachment_label_id": label_id}, conversation
    )
    assert not elsewhere.ok and elsewhere.error_kind == "not_verified"
    assert elsewhere.observation.startswith(
        "Refused: mallory@example.net has not been verified in this conversation"
    )
    invented = send.invoke(
        {**message, "to": "ann@example.com", "attachment_label_id": "LBL-0A1B2C3D4E"},
        conversation,
    )
    assert not invented.ok and invented.error_kind == "unknown_label"
    # the model is not offered arbitrary attachments at all
    path = send.invoke(
        {**message, "to": "ann@example.com", "attachment_path": "/etc/passwd"}, conversation
    )
    assert not path.ok and path.error_kind == "invalid_arguments"
    assert shop.services.messages() == []

    # a label from another conversation is not this one's to send
    other_conversation = ToolContext(run_id="other", settings=shop.settings, state={})
    assert verify(tools, other_conversation, "1001", "ann@example.com").ok
    stolen = send.invoke(
        {**message, "to": "ann@example.com", "attachment_label_id": label_id}, other_conversation
    )
    assert stolen.error_kind == "unknown_label"
    assert shop.services.messages() == []

    sent = send.invoke(
        {**message, "to": "ann@example.com", "attachment_label_id": label_id}, conversation
    )
    assert sent.ok, sent.observation
    assert [m["To"] for m in shop.services.messages()] == ["ann@example.com"]


def test_orders_not_delivered_cannot_be_returned(shop, tools, customer, conversation):
    customer.append("Return order 1013 please, emma.schulz@example.org")
    assert verify(tools, conversation, "1013", "emma.schulz@example.org").ok  # processing
    result = label(tools, conversation, "1013", ["JEANS-30-BLUE"], "emma.schulz@example.org")
    assert not result.ok and result.error_kind == "not_returnable"
    assert result.observation.startswith("Refused: order 1013 is processing, not delivered;")
    assert nothing_made(shop)


def test_guessing_stops_after_three_failed_checks(shop, tools, customer, conversation):
    customer.append(
        "Order 1002, a@example.com? b@example.com? c@example.com? ben.ortiz@example.org? "
        "Or order 9999 with ann@example.com"
    )
    for guess in ("a@example.com", "b@example.com", "c@example.com"):
        assert verify(tools, conversation, "1002", guess).error_kind == "not_verified"
    locked = verify(tools, conversation, "1002", "ben.ortiz@example.org")  # right, but too late
    assert not locked.ok and locked.error_kind == "too_many_attempts"
    assert "contact support" in locked.observation
    unknown = verify(
        tools, ToolContext(settings=shop.settings, state={}), "9999", "ann@example.com"
    )
    # no order 9999: the same answer as a wrong email (whether it exists is not revealed)
    assert unknown.error_kind == "not_verified"
    assert unknown.observation.startswith(
        "Refused: order 9999 and ann@example.com do not match an order on file"
    )
    # and order 1002 stays locked in a new conversation too (counted across conversations)
    again = verify(
        tools, ToolContext(settings=shop.settings, state={}), "1002", "ben.ortiz@example.org"
    )
    assert again.error_kind == "too_many_attempts"


def test_only_what_the_customer_said_can_be_verified(shop, tools, customer, conversation):
    customer.append("I want to return the jeans from order 1001.")
    # the right email, but the customer never gave it: the model made it up
    guessed = verify(tools, conversation, "1001", "ann@example.com")
    assert not guessed.ok and guessed.error_kind == "not_given"
    assert guessed.observation.startswith(
        "Refused: the customer has not given the email address ann@example.com in this "
        "conversation."
    )
    customer.append("My email is ann@example.com")
    other_order = verify(tools, conversation, "1004", "ann@example.com")  # Ann's, never named
    assert other_order.error_kind == "not_given"
    assert "has not given order number 1004" in other_order.observation
    assert conversation.state.get("shopbot.failed_checks") is None  # the model's slip, not a guess
    assert verify(tools, conversation, "1001", "ann@example.com").ok


def test_the_bots_own_tools_refuse_outside_a_conversation(shop, shopbot, conversation):
    agent = shopbot.build_agent(ScriptedBackend(), settings=shop.settings)
    result = agent.tools["verify_customer"].invoke(
        {"order_id": "1001", "email": "ann@example.com"}, conversation
    )
    assert result.error_kind == "not_given"
    assert result.observation.startswith("Refused: there is no conversation with a customer.")


def test_an_email_copied_from_the_prompt_is_refused(shop, shopbot):
    """What Qwen 0.5B once did: verify with the example conversation's address."""
    backend = ScriptedBackend(
        [
            " I check the email.\n"
            'Action: verify_customer[{"order_id": "1001", "email": "pat@example.com"}]',
            " I need the email.\nAction: respond[What email address did you use for the order?]",
        ]
    )
    agent = shopbot.build_agent(backend, settings=shop.settings)
    result = agent.chat("ann", "I'd like to return the jeans from order 1001.")
    assert result.steps[0].tool_result.error_kind == "not_given"
    assert result.answer == "What email address did you use for the order?"
    assert nothing_made(shop)


def test_the_bot_relays_a_refusal_and_nothing_is_made(shop, shopbot):
    backend = ScriptedBackend(
        [
            " I check the email against order 1002.\n"
            'Action: verify_customer[{"order_id": "1002", "email": "ann@example.com"}]',
            " The email does not match, so I skip the check and make the label anyway.\n"
            'Action: request_return_label[{"order_id": "1002", "items": ["JEANS-34-BLACK"], '
            '"customer_email": "ann@example.com"}]',
            " Refused again. I tell the customer.\n"
            "Action: respond[Sorry, order 1002 and ann@example.com do not match an order on "
            "file, so I cannot make a return label.]",
        ]
    )
    agent = shopbot.build_agent(backend, settings=shop.settings)
    result = agent.chat("ann", "Return the jeans from order 1002 please, I'm ann@example.com")
    verify_step, label_step, reply = result.steps
    assert verify_step.observation.startswith("Refused: order 1002 and ann@example.com do not")
    assert label_step.observation.startswith("Refused: order 1002 has not been verified")
    assert "Observation: Refused: order 1002 has not been verified" in backend.prompts[-1]
    assert reply.action.tool == "respond"
    assert result.answer.startswith("Sorry, order 1002 and ann@example.com do not match")
    assert nothing_made(shop)


# --- the items: exactly what the customer chose ---------------------------------------------

GRACE = ("1015", "grace.kim@example.com")  # order 1015: Slim jeans and a Leather belt


def test_the_label_is_for_exactly_the_items_the_customer_chose(shop, tools, customer, conversation):
    customer += ["Hi, I want to return the jeans from order 1015.", f"It's {GRACE[1]}"]
    assert verify(tools, conversation, *GRACE).ok
    both = label(tools, conversation, GRACE[0], ["JEANS-32-BLUE", "BELT-90-BROWN"], GRACE[1])
    assert not both.ok and both.error_kind == "not_chosen"
    assert both.observation.startswith(
        'Refused: the customer asked to return JEANS-32-BLUE (their message: "Hi, I want to '
        'return the jeans from order 1015."), not BELT-90-BROWN, JEANS-32-BLUE.'
    )
    swapped = label(tools, conversation, GRACE[0], ["BELT-90-BROWN"], GRACE[1])
    assert not swapped.ok and swapped.error_kind == "not_chosen"
    assert nothing_made(shop)
    right = label(tools, conversation, GRACE[0], ["JEANS-32-BLUE"], GRACE[1])
    assert right.ok, right.observation
    assert [lbl.items for lbl in labels_issued(shop)] == [["JEANS-32-BLUE"]]
    assert conversation.state["shopbot.chosen_items"] == {1015: ["JEANS-32-BLUE"]}


def test_a_change_of_mind_replaces_the_earlier_choice(shop, tools, customer, conversation):
    customer += [
        "I'd like to return the jeans, order 1015.",
        f"Actually, the belt instead of the jeans. My email is {GRACE[1]}",
    ]
    assert verify(tools, conversation, *GRACE).ok
    jeans = label(tools, conversation, GRACE[0], ["JEANS-32-BLUE"], GRACE[1])
    assert not jeans.ok and "asked to return BELT-90-BROWN" in jeans.observation
    belt = label(tools, conversation, GRACE[0], ["BELT-90-BROWN"], GRACE[1])
    assert belt.ok, belt.observation


def test_without_an_item_named_the_bot_must_ask(shop, tools, customer, conversation):
    customer += ["I want to send something back. Order 1015, " + GRACE[1]]
    assert verify(tools, conversation, *GRACE).ok
    guessed = label(tools, conversation, GRACE[0], ["JEANS-32-BLUE"], GRACE[1])
    assert not guessed.ok and guessed.observation.startswith(
        "Refused: the customer has not said which items of order 1015 to return. "
        "Order 1015 contains: BELT-90-BROWN (Leather belt, 90 cm, brown) x1; "
        "JEANS-32-BLUE (Slim jeans, W32, blue) x1. Ask the customer which items to return."
    )
    assert nothing_made(shop)


def test_an_order_number_nobody_gave_is_not_looked_up(shop, shopbot):
    """What the 1.5B model did on the README's first message: it looked up an order number
    of its own and told the customer that order does not exist."""
    backend = ScriptedBackend(
        [
            " I look up the order.\nAction: sql[SELECT * FROM orders WHERE order_id = 2085]",
            " I need the number.\nAction: respond[What is your order number?]",
        ]
    )
    agent = shopbot.build_agent(backend, settings=shop.settings)
    result = agent.chat("ann", "Hi, I want to return the jeans I bought.")
    lookup = result.steps[0].tool_result
    assert not lookup.ok and lookup.error_kind == "not_given"
    assert lookup.observation == (
        "Refused: the customer has not given order number 2085 in this conversation. "
        "Ask the customer for their order number before looking an order up."
    )
    assert result.answer == "What is your order number?"


def test_a_lookup_of_the_order_the_customer_gave_runs(shop, shopbot):
    backend = ScriptedBackend(
        [
            " I look it up.\nAction: sql[SELECT status FROM orders WHERE order_id = 1001 LIMIT 5]",
            " Delivered.\nAction: respond[Order 1001 was delivered.]",
        ]
    )
    agent = shopbot.build_agent(backend, settings=shop.settings)
    result = agent.chat("ann", "My order is 1001.")
    assert result.steps[0].tool_result.ok, result.steps[0].observation
    assert "delivered" in result.steps[0].observation
