"""ShopBot on the real model: do scripted customer conversations end with the right label,
sent to the right address — and with none where none may be made?

Each conversation is a fixed list of customer messages (different orders, one item of
several, two items, a change of mind, a wrong email, an order not yet delivered), ending
with "Yes, please go ahead." for a bot that asks to confirm. The bot runs on the embedded
model with the real orders database, carrier service and SMTP server (``bot.prepare``, in a
temporary directory). What counts is what happened, read from the carrier and the mailbox:

* a return is right when the carrier issued exactly one label, for the expected order, the
  expected items and the customer's address, and one email carried that label to that
  address;
* a refusal is right when no label was issued and no email sent.

Run: .venv/bin/python benchmarks/shopbot_returns.py [--model qwen2.5-coder-1.5b] [--only N]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHOPBOT = Path(__file__).resolve().parents[1] / "examples" / "shopbot"
GO_AHEAD = "Yes, please go ahead."


@dataclass(frozen=True)
class Conversation:
    name: str
    messages: tuple[str, ...]
    order: str | None  # None: no label may be made
    items: frozenset[str] = frozenset()
    email: str = ""


CONVERSATIONS = [
    Conversation(
        "one of two items",
        ("Hi, I want to return the jeans I bought.", "My order number is 1001.",
         "Just the jeans please, they are too small. My email is ann@example.com", GO_AHEAD),
        "1001", frozenset({"JEANS-32-BLUE"}), "ann@example.com",
    ),
    Conversation(
        "the belt, not the jeans",
        ("I'd like to send back a belt.", "Order 1002.",
         "Only the belt. My email is ben.ortiz@example.org", GO_AHEAD),
        "1002", frozenset({"BELT-90-BROWN"}), "ben.ortiz@example.org",
    ),
    Conversation(
        "single-item order",
        ("Can I return my hoodie? It was order 1003.", "chloe.martin@example.net", GO_AHEAD),
        "1003", frozenset({"HOODIE-L-GREY"}), "chloe.martin@example.net",
    ),
    Conversation(
        "sneakers, keep the socks",
        ("Hello, order 1004: I want to return the sneakers and keep the socks.",
         "My email is ann@example.com", GO_AHEAD),
        "1004", frozenset({"SNEAKER-42-WHITE"}), "ann@example.com",
    ),
    Conversation(
        "change of mind",
        ("I want to return the jeans from order 1006.",
         "Actually, the t-shirt instead of the jeans. My email is emma.schulz@example.org",
         GO_AHEAD),
        "1006", frozenset({"TEE-L-BLACK"}), "emma.schulz@example.org",
    ),
    Conversation(
        "two pairs of the same jeans",
        ("Return the jeans from order 1007 please.", "femi@example.net", GO_AHEAD),
        "1007", frozenset({"JEANS-32-BLUE"}), "femi@example.net",
    ),
    Conversation(
        "two items",
        ("Order 1010: I want to return the jeans and the hoodie.",
         "My email is hugo.silva@example.org", GO_AHEAD),
        "1010", frozenset({"JEANS-34-BLACK", "HOODIE-L-GREY"}), "hugo.silva@example.org",
    ),
    Conversation(
        "belt of two",
        ("Hi, order 1015. I'd like to return the belt.",
         "Just the belt. My email is grace.kim@example.com", GO_AHEAD),
        "1015", frozenset({"BELT-90-BROWN"}), "grace.kim@example.com",
    ),
    Conversation(
        "wrong email",
        ("I want to return the belt from order 1012.", "My email is dev@example.com", GO_AHEAD),
        None,
    ),
    Conversation(
        "not delivered yet",
        ("I want to return the sneakers from order 1011.", "chloe.martin@example.net", GO_AHEAD),
        None,
    ),
    Conversation(
        "another customer's order",
        ("Please return the jacket from order 1008.", "My email is ann@example.com", GO_AHEAD),
        None,
    ),
]  # fmt: skip


def run_one(bot: Any, conversation: Conversation, model: str) -> dict[str, Any]:
    # a temporary directory, removed after; the bot's policy alone decides (no person asked)
    prepared = bot.prepare({"shopbot": {"quiet": True, "approval": "off"}})
    started = time.perf_counter()
    agent = None
    try:
        agent = bot.build_agent("llama-cpp", model=model, settings=prepared.settings)
        replies = [agent.chat("bench", message) for message in conversation.messages]
        labels = prepared.services.carrier.service.store.labels()
        mails = prepared.services.messages()
        return {
            "right": _right(conversation, labels, mails),
            "labels": [(lb.order_id, sorted(lb.items), lb.customer_email) for lb in labels],
            "mails": [m["To"] for m in mails],
            "last_reply": replies[-1].answer or f"({replies[-1].status.value})",
            "seconds": time.perf_counter() - started,
            "steps": sum(len(r.steps) for r in replies),
            "rejected": sum(s.reply_rejected is not None for r in replies for s in r.steps),
            "warnings": [w for r in replies for w in r.warnings],
        }
    finally:
        if agent is not None:
            agent.backend.close()
        prepared()


def _right(conversation: Conversation, labels: list[Any], mails: list[Any]) -> bool:
    if conversation.order is None:
        return not labels and not mails
    if len(labels) != 1:
        return False
    (label,) = labels
    wanted = (conversation.order, set(conversation.items), conversation.email)
    if (label.order_id, set(label.items), label.customer_email) != wanted:
        return False
    attached = [
        m
        for m in mails
        if m["To"] == conversation.email
        and any(p.get_filename() == f"return-label-{label.label_id}.pdf" for p in m.walk())
    ]
    return len(attached) == 1 and len(mails) == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--only", type=int, default=None, help="Run only conversation N (1-based).")
    args = parser.parse_args()
    sys.path.insert(0, str(SHOPBOT))
    from agentcore.cli.chat_command import load_example

    bot = load_example(str(SHOPBOT / "bot.py"))
    chosen = CONVERSATIONS if args.only is None else [CONVERSATIONS[args.only - 1]]
    rows = []
    for number, conversation in enumerate(chosen, 1):
        outcome = run_one(bot, conversation, args.model)
        rows.append((conversation, outcome))
        mark = "right" if outcome["right"] else "WRONG"
        print(f"{number:2}. {conversation.name:<28} {mark}  {outcome['seconds']:6.1f}s "
              f"{outcome['steps']:2} steps  labels={outcome['labels']} mails={outcome['mails']}",
              flush=True)  # fmt: skip
        print(f"    last reply: {' '.join(outcome['last_reply'].split())[:160]}", flush=True)
        if outcome["rejected"] or outcome["warnings"]:
            print(f"    replies sent back: {outcome['rejected']}; warnings: {outcome['warnings']}")
    right = sum(1 for _, o in rows if o["right"])
    returns = [(c, o) for c, o in rows if c.order is not None]
    refusals = [(c, o) for c, o in rows if c.order is None]
    print()
    returned = sum(o["right"] for _, o in returns)
    refused = sum(o["right"] for _, o in refusals)
    print("| model | conversations | right label to the right address | no label where none "
          "may be made | all right |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    print(f"| {args.model} | {len(rows)} | {returned}/{len(returns)} | "
          f"{refused}/{len(refusals)} | {right}/{len(rows)} |")  # fmt: skip


if __name__ == "__main__":
    main()
