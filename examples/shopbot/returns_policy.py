"""ShopBot's return policy, enforced in code around the shipping tools.

A prompt can ask a model to check that an order is the customer's before
issuing a label; only code can make sure it happens. The model gets three
tools, and each checks its claim against the orders database:

``verify_customer(order_id, email)``
    The customer proves who they are by knowing an order number and the email
    address it was placed with (the check a shop's guest-return page does).
    Both must appear in what the customer wrote in this conversation (a model
    cannot verify with an address it made up or copied from an example). A
    match is recorded in the conversation's tool state; a mismatch says so
    without revealing the address on file or whether the order exists (the
    answer is the same for an order that does not exist). After
    :data:`MAX_FAILED_CHECKS` failures for an order number or for an email
    address — in any conversation, counted by :class:`FailedChecks` — no more
    checks are made for it for a day; after as many in one conversation, none
    more in that conversation (no guessing emails or order numbers).
``request_return_label(order_id, items, customer_email, reason?)``
    Only for a verified order, only to the verified email, only for a
    delivered order, only for SKUs in that order (no more than were
    bought), and only for exactly the items the customer chose: those named
    in their newest message that names any (:mod:`item_choice`; the choice is
    recorded in the conversation's tool state). Then the shipping plugin's
    :func:`issue_return_label` does the real work (the plugin's raw tool, which
    needs the operator's approval, is not what the model gets).
``send_email(to, subject, body, attachment_label_id)``
    Only to a verified email, only with a label issued in this conversation
    for that same email. No other attachments exist for the model.

A refusal is an observation starting ``Refused:`` that says why and what to
do (ask for the email, choose from the order's items), so the bot can relay it.
The model never sees the ``customers`` table: the SQL tool is not given it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from failed_checks import MAX_FAILED_CHECKS, FailedChecks
from item_choice import chosen_items

from agentcore.models import ToolResult
from agentcore.tools import Tool, ToolContext

__all__ = ["MAX_FAILED_CHECKS", "FailedChecks", "OrderBook", "guarded_tools", "order_lookups_given"]

VERIFIED = "shopbot.verified"  # {order_id: email} proven in this conversation
FAILED_CHECKS = "shopbot.failed_checks"  # how many verifications failed in this conversation
#: {label_id: {"order_id", "email", "items": [sku], "tracking", "run_id", "order_items":
#: {sku: product name}, "emailed_run_id"}} — each label issued in this conversation, in order
LABELS = "shopbot.labels"
CHOSEN = "shopbot.chosen_items"  # {order_id: [sku, ...]} the customer chose, labelled here
RETURNABLE_STATUS = "delivered"
#: Bounded by the shipping tool's own deadline (its retries end well before this).
GUARDED_TIMEOUT_S = 130.0

_ORDER_ID = re.compile(r"\s*(?:order\s*)?(?:no\.?\s*|number\s*)?#?\s*(\d{1,9})\s*", re.IGNORECASE)


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    size: str
    color: str
    quantity: int

    def describe(self) -> str:
        return f"{self.sku} ({self.name}, {self.size}, {self.color}) x{self.quantity}"


@dataclass(frozen=True)
class OrderRecord:
    order_id: int
    customer_name: str
    customer_email: str
    status: str
    delivered_on: str | None
    lines: tuple[OrderLine, ...]

    def describe_items(self) -> str:
        return "; ".join(line.describe() for line in self.lines)

    def line(self, sku: str) -> OrderLine | None:
        wanted = sku.strip().upper()
        return next((line for line in self.lines if line.sku.upper() == wanted), None)


class OrderBook:
    """The policy's read-only view of the orders database (customers included).

    It goes through the same confined, read-only :class:`SqlDatabase` as the
    model's SQL tool (its own instance, with the ``customers`` table), and only
    ever interpolates an order number already parsed as an integer.
    """

    TABLES = ("customers", "orders", "order_items", "products")

    def __init__(self, database: str | Path) -> None:
        from agentcore_duckdb import SqlDatabase

        self._db = SqlDatabase(database, self.TABLES, row_limit=500)

    def find(self, order_id: int) -> OrderRecord | None:
        head = self._query(
            "SELECT o.order_id, c.name, c.email, o.status, CAST(o.delivered_on AS VARCHAR) "
            f"FROM orders o JOIN customers c USING (customer_id) WHERE o.order_id = {order_id:d}"
        )
        if not head:
            return None
        lines = self._query(
            "SELECT p.sku, p.name, coalesce(p.size, ''), coalesce(p.color, ''), i.quantity "
            "FROM order_items i JOIN products p USING (sku) "
            f"WHERE i.order_id = {order_id:d} ORDER BY p.sku"
        )
        number, name, email, status, delivered = head[0]
        return OrderRecord(
            order_id=int(number),
            customer_name=str(name),
            customer_email=str(email),
            status=str(status),
            delivered_on=delivered,
            lines=tuple(
                OrderLine(str(s), str(n), str(z), str(c), int(q)) for s, n, z, c, q in lines
            ),
        )

    def close(self) -> None:
        self._db.close()

    def _query(self, sql: str) -> list[list[Any]]:
        result = self._db.run(sql)
        if result.error is not None:
            raise RuntimeError(f"orders database: {result.error.kind}: {result.error.message}")
        return result.rows


def parse_order_id(text: str) -> int | None:
    """``"1001"``, ``"#1001"``, ``"order 1001"`` → 1001; anything else → None."""
    match = _ORDER_ID.fullmatch(text or "")
    return int(match.group(1)) if match else None


def same_email(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def refused(tool_name: str, kind: str, message: str) -> ToolResult:
    return ToolResult(tool=tool_name, ok=False, observation=f"Refused: {message}", error_kind=kind)


def customer_said(ctx: ToolContext) -> str | None:
    """What the customer has written in the conversation of this tool call (``None``
    outside a conversation, so the check that reads it refuses)."""
    conversation = ctx.conversation
    if conversation is None:
        return None
    return "\n".join(e.text for e in conversation.entries if e.kind == "user")


def guarded_tools(
    book: OrderBook,
    customer_text: Callable[[ToolContext], str | None] | None = None,
    checks: FailedChecks | None = None,
) -> list[Tool]:
    """The three tools above, bound to ``book``; state lives in each conversation's ctx.state.

    ``customer_text(ctx)`` returns what the customer has written in the tool call's
    conversation (``None`` when there is none; :func:`customer_said` reads it from
    ``ctx.conversation``); ``verify_customer`` then accepts
    only an order number and email the customer actually gave, so a model cannot
    verify with an address it made up or copied from an example. Without
    ``customer_text`` that check is skipped. ``checks`` counts failed checks
    across conversations (``build_agent`` keeps it in a file in the work
    directory; by default it lives in memory, shared by these tools' conversations).
    """
    from agentcore_shipping.tools import email_customer, issue_return_label

    failures = checks if checks is not None else FailedChecks()

    def verify_customer(order_id: str, email: str, ctx: ToolContext) -> ToolResult:
        """Check that the customer placed this order: the email must match the order's.

        Args:
            order_id: The order number the customer gave, e.g. "1001".
            email: The email address the customer gave, e.g. "ann@example.com".
        """
        name = "verify_customer"
        failed = int(ctx.state.get(FAILED_CHECKS, 0))
        if failed >= MAX_FAILED_CHECKS:
            return refused(
                name,
                "too_many_attempts",
                f"{failed} checks failed in this conversation, so no more are made. "
                "Tell the customer to contact support by email for help with the return.",
            )
        number = parse_order_id(order_id)
        if customer_text is not None:
            problem = _not_given(customer_text(ctx), order_id, number, email)
            if problem:
                return refused(name, "not_given", problem)
        key = number if number is not None else order_id
        if failures.locked(key, email):  # the same answer whether or not the order exists
            return refused(
                name,
                "too_many_attempts",
                "too many checks for this order number or email address failed recently, so "
                "no more are made for now. Tell the customer to contact support by email for "
                "help with the return.",
            )
        order = book.find(number) if number is not None else None
        if order is None or not same_email(email, order.customer_email):
            # One answer for "no such order" and "wrong email": which order numbers exist
            # is not the model's (or a guesser's) to learn here.
            ctx.state[FAILED_CHECKS] = failed + 1
            failures.record_failure(key, email)
            return refused(
                name,
                "not_verified",
                f"order {order_id.strip()} and {email.strip()} do not match an order on file "
                "(the order number or the email address is wrong). Do not share order details "
                "or make a label. Ask the customer to check the order number and the email "
                "address used for the order.",
            )
        failures.clear(order.order_id, email)
        ctx.state.setdefault(VERIFIED, {})[order.order_id] = order.customer_email
        delivered = f" on {order.delivered_on}" if order.delivered_on else ""
        return ToolResult(
            tool=name,
            ok=True,
            observation=(
                f"Verified: order {order.order_id} belongs to {order.customer_name} "
                f"({order.customer_email}). Status: {order.status}{delivered}. "
                f"Items: {order.describe_items()}."
            ),
            data={"order_id": order.order_id, "email": order.customer_email},
        )

    def request_return_label(
        order_id: str,
        items: list[str],
        customer_email: str,
        ctx: ToolContext,
        reason: str | None = None,
    ) -> ToolResult:
        """Request a prepaid return label for items of a verified order.

        Args:
            order_id: The verified order number, e.g. "1001".
            items: SKUs from that order being returned, e.g. ["JEANS-32-BLUE"].
            customer_email: The verified email of the order, e.g. "ann@example.com".
            reason: Why the items are returned (optional).
        """
        name = "request_return_label"
        number = parse_order_id(order_id)
        verified: dict[int, str] = ctx.state.get(VERIFIED, {})
        if number is None or number not in verified:
            shown = number if number is not None else repr(order_id)
            return refused(
                name,
                "not_verified",
                f"order {shown} has not been verified for this customer. Ask for the email "
                "address used for the order and call verify_customer first.",
            )
        if not same_email(customer_email, verified[number]):
            return refused(
                name,
                "email_mismatch",
                f"{customer_email.strip()} is not the verified email of order {number}; "
                "the label can only go to the email address the order was placed with.",
            )
        order = book.find(number)
        if order is None:  # verified earlier, gone now: the database changed
            return refused(name, "not_found", f"order {number} no longer exists.")
        if order.status != RETURNABLE_STATUS:
            return refused(
                name,
                "not_returnable",
                f"order {number} is {order.status}, not delivered; only delivered orders "
                "can be returned. Tell the customer.",
            )
        problem, skus = _check_items(order, items)
        if problem:
            return refused(name, "item_not_in_order", problem)
        if customer_text is not None:
            problem = _not_chosen(customer_text(ctx), order, skus)
            if problem:
                return refused(name, "not_chosen", problem)
            ctx.state.setdefault(CHOSEN, {})[number] = sorted(set(skus))
        result = issue_return_label(ctx, str(number), skus, order.customer_email, reason)
        if result.ok and isinstance(result.data, dict):
            ctx.state.setdefault(LABELS, {})[result.data["label_id"]] = {
                "order_id": number,
                "email": order.customer_email,
                "items": sorted(set(skus)),
                "tracking": result.data.get("tracking_number"),
                "run_id": ctx.run_id,
                "order_items": {line.sku: line.name for line in order.lines},
            }
        return result.model_copy(update={"tool": name})

    def send_email(
        to: str,
        subject: str,
        body: str,
        attachment_label_id: str,
        ctx: ToolContext,
    ) -> ToolResult:
        """Email a return label issued in this conversation to the customer it was made for.

        Args:
            to: The customer's verified email address.
            subject: One-line subject, e.g. "Your return label for order 1001".
            body: Plain-text message to the customer.
            attachment_label_id: The label id from request_return_label, e.g. "LBL-3F9A2C41D0".
        """
        name = "send_email"
        verified_emails = set(map(str.lower, ctx.state.get(VERIFIED, {}).values()))
        if to.strip().lower() not in verified_emails:
            return refused(
                name,
                "not_verified",
                f"{to.strip()} has not been verified in this conversation; emails go only to "
                "the verified address of the customer's order.",
            )
        label = ctx.state.get(LABELS, {}).get(attachment_label_id.strip())
        if label is None:
            return refused(
                name,
                "unknown_label",
                f"label {attachment_label_id.strip()!r} was not issued in this conversation; "
                "attach the label id that request_return_label returned.",
            )
        if not same_email(to, label["email"]):
            return refused(
                name,
                "email_mismatch",
                f"label {attachment_label_id.strip()} is for order {label['order_id']}, "
                f"whose email is not {to.strip()}.",
            )
        result = email_customer(
            ctx, label["email"], subject, body, attachment_label_id=attachment_label_id.strip()
        )
        if result.ok:
            label["emailed_run_id"] = ctx.run_id
        return result.model_copy(update={"tool": name})

    # The label and the email act in the world, once per key (the carrier's idempotency key,
    # the mailer's ledger): a resumed run may redo them. Whether a person approves each is
    # the agent's approval policy (build_agent asks by default).
    return [
        Tool(verify_customer, timeout_s=30.0),
        Tool(request_return_label, timeout_s=GUARDED_TIMEOUT_S, effect="keyed"),
        Tool(send_email, timeout_s=GUARDED_TIMEOUT_S, effect="keyed"),
    ]


def order_lookups_given(
    sql: Tool, customer_text: Callable[[ToolContext], str | None] = customer_said
) -> Tool:
    """``sql``, refusing a query about an order number the customer has not given.

    A small model asked "I want to return the jeans" looks up an order number of its own —
    the example conversation's, or one it makes up — and tells the customer that order does
    not exist. Every number of three or more digits in the query must appear in what the
    customer wrote; otherwise the query is refused with what to do (ask for the number).
    """

    def run(query: str, ctx: ToolContext) -> ToolResult:
        said = customer_text(ctx) or ""
        for number in re.findall(r"(?<![\w.])\d{3,9}(?![\w.])", query):
            if not re.search(rf"(?<!\d){number}(?!\d)", said):
                return refused(
                    sql.name,
                    "not_given",
                    f"the customer has not given order number {number} in this conversation. "
                    "Ask the customer for their order number before looking an order up.",
                )
        return sql.invoke({"query": query}, ctx)

    run.__doc__ = sql.fn.__doc__
    outer_timeout = sql.timeout_s + 1.0 if sql.timeout_s is not None else None
    return Tool(run, name=sql.name, description=sql.description, timeout_s=outer_timeout)


def _check_items(order: OrderRecord, items: list[str]) -> tuple[str | None, list[str]]:
    """The canonical SKUs asked for, or why they cannot all be returned from ``order``."""
    contents = f"Order {order.order_id} contains: {order.describe_items()}."
    if not items:
        return f"no items given. {contents} Ask the customer which to return.", []
    counts: dict[str, int] = {}
    skus: list[str] = []
    for item in items:
        line = order.line(item)
        if line is None:
            return (
                f"{item.strip()!r} is not in order {order.order_id}. {contents} "
                "Ask the customer which of these to return.",
                [],
            )
        counts[line.sku] = counts.get(line.sku, 0) + 1
        if counts[line.sku] > line.quantity:
            return (
                f"order {order.order_id} has only {line.quantity} of {line.sku}. {contents}",
                [],
            )
        skus.append(line.sku)
    return None, skus


def _not_chosen(text: str | None, order: OrderRecord, skus: list[str]) -> str | None:
    """Why a label for ``skus`` is not what the customer asked for, if it is not."""
    contents = f"Order {order.order_id} contains: {order.describe_items()}."
    chosen = chosen_items((text or "").split("\n"), order.lines)
    if chosen is None:
        return (
            f"the customer has not said which items of order {order.order_id} to return. "
            f"{contents} Ask the customer which items to return."
        )
    asked, message = chosen
    if set(skus) == set(asked):
        return None
    quoted = " ".join(message.split())[:120]
    return (
        f"the customer asked to return {', '.join(sorted(set(asked)))} (their message: "
        f'"{quoted}"), not {", ".join(sorted(set(skus)))}. Request a label for exactly the '
        "items the customer asked for, or ask the customer to confirm the items."
    )


def _not_given(text: str | None, order_id: str, number: int | None, email: str) -> str | None:
    """Why ``verify_customer`` cannot use this order number and email, if the customer
    did not write them in this conversation."""
    ask = "Ask the customer for the order number and the email address used for the order."
    if text is None:
        return f"there is no conversation with a customer. {ask}"
    if number is None or not re.search(rf"(?<!\d){number}(?!\d)", text):
        return (
            f"the customer has not given order number {order_id.strip()} in this conversation. "
            + ask
        )
    given = {m.lower() for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)}
    if email.strip().lower() not in given:
        return (
            f"the customer has not given the email address {email.strip()} in this "
            f"conversation. {ask}"
        )
    return None
