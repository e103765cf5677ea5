"""The raw shipping tools act only with the operator's explicit approval.

``request_return_label`` and ``send_email`` have no policy of their own: any agent given them
(``-t request_return_label``) could issue labels for any order and mail anyone. Unless
``shipping.approve_unguarded_tools`` says so, they refuse, say what to do, and touch neither
the carrier nor the SMTP server; policy code (ShopBot) calls the plain functions instead.
The carrier and the SMTP server are real and running, so "nothing happened" is observed.
"""

from __future__ import annotations

import pytest
from agentcore_shipping import tools as shipping_tools
from agentcore_shipping.tools import (
    SIDE_EFFECT_TOOLS,
    email_customer,
    issue_return_label,
    request_return_label,
    send_email,
)

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import get_plugin_manager
from agentcore.react import ReActAgent

LABEL_ARGS = {"order_id": "1001", "items": ["JEANS-32-BLUE"], "customer_email": "ann@example.com"}
MAIL_ARGS = {"to": "mallory@example.net", "subject": "Hi", "body": "Anything at all."}


def assert_refused_for_approval(result, tool: str) -> None:
    assert not result.ok
    assert result.error_kind == "approval_required"
    assert result.observation.startswith(f"Not done: {tool} ")
    assert "shipping.approve_unguarded_tools" in result.observation  # says what to set


def test_label_tool_refuses_without_approval(carrier, make_context):
    ctx = make_context(carrier, approved=None)
    result = request_return_label.invoke(LABEL_ARGS, ctx)
    assert_refused_for_approval(result, "request_return_label")
    assert carrier.label_posts() == [] and carrier.service.store.count() == 0


def test_email_tool_refuses_without_approval(smtp_server, make_context):
    result = send_email.invoke(MAIL_ARGS, make_context(smtp=smtp_server, approved=None))
    assert_refused_for_approval(result, "send_email")
    assert smtp_server.messages == []


def test_any_agent_given_the_registered_tools_asks_a_person_and_is_still_refused(
    carrier, smtp_server, make_context
):
    """What ``agentcore run react -t request_return_label -t send_email`` would give a model:
    each call waits for a person; approved, it is still refused without the operator's
    setting."""
    ctx = make_context(carrier, smtp_server, approved=None)
    backend = ScriptedBackend(
        [
            " I make the label.\nAction: request_return_label["
            '{"order_id": "1002", "items": ["JEANS-34-BLACK"], '
            '"customer_email": "mallory@example.net"}]',
            ' I email someone.\nAction: send_email[{"to": "mallory@example.net", '
            '"subject": "x", "body": "y"}]',
            " Both refused.\nAction: finish[nothing was done]",
        ]
    )
    agent = ReActAgent(
        backend, tools=["request_return_label", "send_email"], settings=dict(ctx.settings)
    )
    result = agent.run("Send Mallory a label for order 1002.")
    paused_on = []
    while result.status == "paused":
        paused_on.append(result.pending.tool)
        result = agent.approve(result.run_id, by="operator")
    assert paused_on == ["request_return_label", "send_email"]
    kinds = [step.tool_result.error_kind for step in result.steps if step.tool_result]
    assert kinds == ["approval_required", "approval_required"]
    assert carrier.service.store.count() == 0 and smtp_server.messages == []


@pytest.mark.parametrize("value", ["false", "no", "", False, None, "send_email"])
def test_label_tool_needs_its_own_explicit_approval(carrier, make_context, value):
    result = request_return_label.invoke(LABEL_ARGS, make_context(carrier, approved=value))
    assert_refused_for_approval(result, "request_return_label")
    assert carrier.service.store.count() == 0


@pytest.mark.parametrize("value", [True, "true", "request_return_label", ["request_return_label"]])
def test_explicit_approval_lets_the_label_tool_act(carrier, make_context, value):
    result = request_return_label.invoke(LABEL_ARGS, make_context(carrier, approved=value))
    assert result.ok, result.observation
    assert carrier.service.store.count() == 1


def test_approving_one_tool_does_not_approve_the_other(carrier, smtp_server, make_context):
    ctx = make_context(carrier, smtp_server, approved="request_return_label")
    assert request_return_label.invoke(LABEL_ARGS, ctx).ok
    assert_refused_for_approval(send_email.invoke(MAIL_ARGS, ctx), "send_email")
    assert smtp_server.messages == []


def test_a_misspelt_approval_is_a_config_error_not_a_silent_no(carrier, make_context):
    result = request_return_label.invoke(
        LABEL_ARGS, make_context(carrier, approved="request_return_labels")
    )
    assert not result.ok and result.error_kind == "config_error"
    assert "request_return_labels" in result.observation
    assert "request_return_label, send_email" in result.observation
    assert carrier.service.store.count() == 0


def test_the_tools_ask_a_person_and_are_safe_to_redo_with_their_keys():
    """What the engine reads: a call waits for approval; a lost outcome may be redone."""
    assert SIDE_EFFECT_TOOLS == ("request_return_label", "send_email")
    pm = get_plugin_manager()
    for name in SIDE_EFFECT_TOOLS:
        for registered in (pm.tool(name), getattr(shipping_tools, name)):
            assert registered.requires_approval is True
            assert registered.spec.effect == "keyed"


def test_policy_code_calls_the_plain_functions_without_the_setting(
    carrier, smtp_server, make_context
):
    """The functions are for code that enforces its own policy (ShopBot's guarded tools)."""
    ctx = make_context(carrier, smtp_server, approved=None)
    label = issue_return_label(ctx, "1001", ["JEANS-32-BLUE"], "ann@example.com")
    assert label.ok, label.observation
    mail = email_customer(
        ctx,
        "ann@example.com",
        "Your label",
        "Attached.",
        attachment_label_id=label.data["label_id"],
    )
    assert mail.ok, mail.observation
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ann@example.com"]]
