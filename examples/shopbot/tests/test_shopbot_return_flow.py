"""The whole return conversation, the bot's side scripted, everything else real.

The ScriptedBackend only replays what the model would write; the SQL query runs
on the DuckDB orders file, the label is made by the carrier service over HTTP,
and the email goes through the aiosmtpd server into its Maildir.
"""

from __future__ import annotations

from email.message import Message

from shopbot_testkit import BotSide, from_observation, labels_issued

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.models import RunStatus

LOOKUP = (
    "SELECT o.status, i.sku, p.name, p.size, p.color, i.quantity FROM orders o "
    "JOIN order_items i ON i.order_id = o.order_id JOIN products p ON p.sku = i.sku "
    "WHERE o.order_id = 1001"
)
ASK_ORDER = "I can help with that. What is your order number?"
CONFIRM = (
    "Order 1001 has Slim jeans (W32, blue) and 2 Cotton t-shirts. Shall I make a return label "
    "for the jeans? Please also tell me the email address you used for the order."
)


def email_action(prompt: str) -> str:
    label_id = from_observation(r"Return label (LBL-[0-9A-F]+) issued", prompt)
    return (
        " I email the label to the customer.\n"
        'Action: send_email[{"to": "ann@example.com", '
        '"subject": "Your return label for order 1001", '
        '"body": "Hello Ann, your prepaid return label for the slim jeans is attached.", '
        f'"attachment_label_id": "{label_id}"}}]'
    )


def final_reply(prompt: str) -> str:
    tracking = from_observation(r"Tracking number: (RT\w+)", prompt)
    return (
        " The label was emailed. I tell the customer.\n"
        "Action: respond[Done! I emailed the return label for your jeans to ann@example.com. "
        f"The tracking number is {tracking}.]"
    )


def test_return_flow_against_real_services(shop, shopbot):
    bot_side = BotSide(
        # turn 1: ask for the order number
        f" I need the order number.\nAction: respond[{ASK_ORDER}]",
        # turn 2: look the order up, confirm the items, ask for the email
        f" I look up order 1001 with sql.\nAction: sql[{LOOKUP}]",
        " Order 1001 was delivered and has the jeans.\nAction: respond[" + CONFIRM + "]",
        # turn 3: verify, label, email, confirm (run-on text after an action is dropped)
        " I check the email.\n"
        'Action: verify_customer[{"order_id": "1001", "email": "ann@example.com"}]\n'
        "Observation: made up by the model",
        " Verified. I request the label.\n"
        'Action: request_return_label[{"order_id": "1001", "items": ["JEANS-32-BLUE"], '
        '"customer_email": "ann@example.com", "reason": "too small"}]',
        email_action,
        final_reply,
    )
    backend = ScriptedBackend(responder=bot_side)
    agent = shopbot.build_agent(backend, settings=shop.settings)

    first = agent.chat("ann", "Hi, I want to return the jeans I bought.")
    second = agent.chat("ann", "It's 1001.")
    third = agent.chat("ann", "Yes, only the jeans, they're too small. My email is ann@example.com")

    assert [r.status for r in (first, second, third)] == [RunStatus.FINISHED] * 3
    assert not bot_side.replies  # every scripted completion was used, none more
    assert [s.action.tool for s in second.steps] == ["sql", "respond"]
    assert [s.action.tool for s in third.steps] == [
        "verify_customer",
        "request_return_label",
        "send_email",
        "respond",
    ]
    # the lookup ran on the real database
    lookup = second.steps[0].tool_result
    assert lookup.ok and lookup.data["rows"] == [
        ["delivered", "JEANS-32-BLUE", "Slim jeans", "W32", "blue", 1],
        ["delivered", "TEE-M-WHITE", "Cotton t-shirt", "M", "white", 2],
    ]
    assert third.steps[0].observation.startswith("Verified: order 1001 belongs to Ann Lee")

    # exactly one label at the carrier, for what was asked
    (label,) = labels_issued(shop)
    assert (label.order_id, label.items, label.customer_email, label.reason) == (
        "1001",
        ["JEANS-32-BLUE"],
        "ann@example.com",
        "too small",
    )
    # exactly one email, to Ann, with that label's PDF attached
    (mail,) = shop.services.messages()
    assert mail["To"] == "ann@example.com"
    assert mail["Subject"] == "Your return label for order 1001"
    parts: list[Message] = list(mail.walk())
    pdfs = [p for p in parts if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_filename() == f"return-label-{label.label_id}.pdf"
    pdf = pdfs[0].get_payload(decode=True)
    assert pdf.startswith(b"%PDF-")
    assert pdf == shop.services.carrier.service.store.pdf(label.label_id)
    text = next(p for p in parts if p.get_content_type() == "text/plain")
    assert "slim jeans is attached" in text.get_payload(decode=True).decode()

    # the bot's replies, in order; the last names the carrier's real tracking number
    assert [first.answer, second.answer] == [ASK_ORDER, CONFIRM]
    assert third.answer == (
        "Done! I emailed the return label for your jeans to ann@example.com. "
        f"The tracking number is {label.tracking_number}."
    )

    # the conversation (with the lookup's result) was in front of the bot all along
    last_prompt = backend.prompts[-1]
    assert "Customer: It's 1001.\n" in last_prompt
    assert "Observation: status | sku" in last_prompt and "JEANS-32-BLUE" in last_prompt
    assert "made up by the model" not in last_prompt
    assert last_prompt.index("Customer: Hi, I want") < last_prompt.index("Customer: It's 1001.")


def test_the_bot_cannot_read_customers(shop, shopbot):
    backend = ScriptedBackend(
        [
            " I look up the email.\nAction: sql[SELECT email FROM customers WHERE customer_id = 1]",
            " Not allowed.\nAction: respond[I cannot look that up.]",
        ]
    )
    agent = shopbot.build_agent(backend, settings=shop.settings)
    result = agent.chat("x", "What is the email of customer 1?")
    step = result.steps[0]
    assert step.tool_result.error_kind == "forbidden_table"
    assert "ann@example.com" not in step.observation
    assert "Tables you can query: orders, order_items, products" in step.observation


def test_a_label_for_more_than_the_customer_chose_is_refused_and_the_bot_corrects_it(shop, shopbot):
    """The small model's mistake, scripted: it asks for the t-shirts too. The policy refuses
    with the customer's own choice; the next request, for the jeans alone, is the only label."""
    both = '["JEANS-32-BLUE", "TEE-M-WHITE"]'
    bot_side = BotSide(
        f" I look up order 1001 with sql.\nAction: sql[{LOOKUP}]",
        " I check the email.\n"
        'Action: verify_customer[{"order_id": "1001", "email": "ann@example.com"}]',
        " I request the label.\nAction: request_return_label["
        f'{{"order_id": "1001", "items": {both}, "customer_email": "ann@example.com"}}]',
        lambda prompt: (
            " Only the jeans were asked for.\n"
            'Action: request_return_label[{"order_id": "1001", "items": ["JEANS-32-BLUE"], '
            '"customer_email": "ann@example.com"}]'
            if "Refused: the customer asked to return JEANS-32-BLUE" in prompt
            else " (the refusal never reached the bot)\nAction: respond[?]"
        ),
        lambda prompt: (
            " Done.\nAction: respond[Your label is "
            + from_observation(r"Return label (LBL-[0-9A-F]+) issued", prompt)
            + ".]"
        ),
    )
    agent = shopbot.build_agent(ScriptedBackend(responder=bot_side), settings=shop.settings)
    reply = agent.chat(
        "ann", "Order 1001: I want to return only the jeans, they are too small. ann@example.com"
    )
    assert reply.status is RunStatus.FINISHED, reply.error
    tools = [s.action.tool for s in reply.steps]
    assert tools == ["sql", "verify_customer", "request_return_label", "request_return_label",
                     "respond"]  # fmt: skip
    refused = reply.steps[2].tool_result
    assert not refused.ok and refused.error_kind == "not_chosen"
    (label,) = labels_issued(shop)
    assert label.items == ["JEANS-32-BLUE"]
    assert reply.answer == f"Your label is {label.label_id}."
