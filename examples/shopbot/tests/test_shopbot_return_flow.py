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
    shop.settings["shopbot"]["approval"] = "on"  # the default: a person approves each effect
    agent = shopbot.build_agent(backend, settings=shop.settings)

    first = agent.chat("ann", "Hi, I want to return the jeans I bought.")
    second = agent.chat("ann", "It's 1001.")
    third = agent.chat("ann", "Yes, only the jeans, they're too small. My email is ann@example.com")
    waited_for = []
    while third.status is RunStatus.PAUSED:
        waited_for.append(third.pending.tool)
        assert len(labels_issued(shop)) == (third.pending.tool == "send_email")  # not before
        third = agent.approve(third.run_id, by="support desk")

    assert waited_for == ["request_return_label", "send_email"]
    assert [d.by for d in third.decisions] == ["support desk"] * 2
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


# --- the reply says what happened ------------------------------------------------------------

GRACE_EMAIL = "grace.kim@example.com"  # order 1015: Slim jeans and a Leather belt


def test_after_a_change_of_mind_the_reply_names_the_labelled_item(shop, shopbot):
    """What the 1.5B model did: the label was for the belt, its reply spoke of the jeans."""

    def reply(item: str):
        def write(prompt: str) -> str:
            tracking = from_observation(r"Tracking number: (RT\w+)", prompt)
            return (
                f" Done.\nAction: respond[I emailed the return label for your {item} to "
                f"{GRACE_EMAIL}. The tracking number is {tracking}.]"
            )

        return write

    def email(prompt: str) -> str:
        label_id = from_observation(r"Return label (LBL-[0-9A-F]+) issued", prompt)
        return (
            " I email it.\nAction: send_email["
            f'{{"to": "{GRACE_EMAIL}", "subject": "Your return label for order 1015", '
            f'"body": "Your label is attached.", "attachment_label_id": "{label_id}"}}]'
        )

    bot_side = BotSide(
        " I ask for the email.\nAction: respond[Which email address did you use?]",
        f' I check.\nAction: verify_customer[{{"order_id": "1015", "email": "{GRACE_EMAIL}"}}]',
        " The belt.\nAction: request_return_label["
        f'{{"order_id": "1015", "items": ["BELT-90-BROWN"], "customer_email": "{GRACE_EMAIL}"}}]',
        email,
        reply("jeans"),
        lambda prompt: (
            reply("belt")(prompt)
            if "Not sent: label LBL-" in prompt and "not the Slim jeans" in prompt
            else " (the rejection never reached the bot)\nAction: respond[?]"
        ),
    )
    agent = shopbot.build_agent(ScriptedBackend(responder=bot_side), settings=shop.settings)
    agent.chat("grace", "I'd like to return the jeans from order 1015.")
    turn = agent.chat("grace", f"Actually, the belt instead of the jeans. It's {GRACE_EMAIL}")

    assert not bot_side.replies
    assert turn.status is RunStatus.FINISHED, turn.error
    (label,) = labels_issued(shop)
    assert label.items == ["BELT-90-BROWN"]
    rejected = turn.steps[-2]
    assert rejected.reply_rejected is not None and "your jeans" in rejected.reply_rejected
    assert rejected.observation == (
        f"Not sent: label {label.label_id} is for the Leather belt (BELT-90-BROWN), not the "
        "Slim jeans (JEANS-32-BLUE). Write the reply again and say that the label is for the "
        "Leather belt (BELT-90-BROWN)."
    )
    assert turn.answer == (
        f"I emailed the return label for your belt to {GRACE_EMAIL}. "
        f"The tracking number is {label.tracking_number}."
    )
    assert [m["To"] for m in shop.services.messages()] == [GRACE_EMAIL]  # sent once


def test_a_refusal_is_not_reported_with_the_examples_label(shop, shopbot):
    """Refused, the bot "reports" the worked example's label; the check sends it back, and the
    reply that goes out gives the refusal's own reason."""
    bot_side = BotSide(
        " I check the email.\n"
        'Action: verify_customer[{"order_id": "1002", "email": "ann@example.com"}]',
        " Done.\nAction: respond[I emailed the return label for your chinos. The tracking "
        "number is RT100200300400SB.]",
        lambda prompt: (
            " I say what the check said.\nAction: respond[Order 1002 and ann@example.com do not "
            "match an order on file. Please check the order number and the email address.]"
            if "Not sent: your reply contains RT100200300400SB, which come from the examples"
            in prompt
            else " (the rejection never reached the bot)\nAction: respond[?]"
        ),
    )
    agent = shopbot.build_agent(ScriptedBackend(responder=bot_side), settings=shop.settings)
    turn = agent.chat("ann", "Return the jeans from order 1002 please, I'm ann@example.com")
    assert not bot_side.replies
    assert [s.reply_rejected is not None for s in turn.steps] == [False, True, False]
    assert turn.answer.startswith("Order 1002 and ann@example.com do not match")
    assert labels_issued(shop) == [] and shop.services.messages() == []


def test_a_label_made_one_turn_and_emailed_the_next_is_still_reported_right(shop, shopbot):
    """The 1.5B model's change of mind, as it happened: the label (t-shirt) was made in one
    turn; in the next the bot emailed it and said "your jeans"."""

    def email(prompt: str) -> str:
        label_id = from_observation(r"Return label (LBL-[0-9A-F]+) issued", prompt)
        return (
            " I email it.\nAction: send_email["
            f'{{"to": "{GRACE_EMAIL}", "subject": "Your return label", '
            f'"body": "Attached.", "attachment_label_id": "{label_id}"}}]'
        )

    bot_side = BotSide(
        f' I check.\nAction: verify_customer[{{"order_id": "1015", "email": "{GRACE_EMAIL}"}}]',
        " The belt.\nAction: request_return_label["
        f'{{"order_id": "1015", "items": ["BELT-90-BROWN"], "customer_email": "{GRACE_EMAIL}"}}]',
        " I ask first.\nAction: respond[The label is ready. Shall I email it to you?]",
        email,
        " Done.\nAction: respond[I emailed the return label for your jeans.]",
        lambda prompt: (
            " Done.\nAction: respond[I emailed the return label for your belt.]"
            if "not the Slim jeans" in prompt
            else " (the rejection never reached the bot)\nAction: respond[?]"
        ),
    )
    agent = shopbot.build_agent(ScriptedBackend(responder=bot_side), settings=shop.settings)
    agent.chat("grace", f"Return the belt from order 1015 please, not the jeans. {GRACE_EMAIL}")
    turn = agent.chat("grace", "Yes, please email it.")
    assert not bot_side.replies
    assert turn.answer == "I emailed the return label for your belt."
    assert [s.reply_rejected is not None for s in turn.steps] == [False, True, False]
