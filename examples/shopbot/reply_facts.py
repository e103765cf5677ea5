"""ShopBot's replies say what happened: the label's own items, and no code nobody gave.

The return policy (:mod:`returns_policy`) makes the label match what the customer chose; these
checks make the reply match the label. A small model that has just issued a label for the
t-shirt still writes "your jeans" when the jeans were named first in the conversation; one that
was refused still reports a label, tracking number and all, copied from the worked example.
Each check returns the problem for the model to fix (:mod:`agentcore.reply_checks`), or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from item_choice import named_items
from returns_policy import LABELS

from agentcore.reply_checks import (
    DEFAULT_REPLY_CHECKS,
    ReplyCheck,
    ReplyDraft,
    grounded_identifiers,
)


@dataclass(frozen=True)
class _Item:
    sku: str
    name: str


def labelled_items_named(draft: ReplyDraft) -> str | None:
    """A reply about a label must name that label's items, if it names items at all.

    A reply is about a label when this turn issued or emailed it, or when the reply quotes
    its id or tracking number (the label may have been made a turn before it was emailed).
    """
    run_id = draft.context.run_id
    issued = [
        (label_id, label)
        for label_id, label in draft.context.state.get(LABELS, {}).items()
        if run_id in (label.get("run_id"), label.get("emailed_run_id"))
        or label_id in draft.text
        or (label.get("tracking") and label["tracking"] in draft.text)
    ]
    if not issued:
        return None
    label_id, label = issued[-1]
    order_items: dict[str, str] = label.get("order_items", {})
    named = named_items(draft.text, [_Item(sku, name) for sku, name in order_items.items()])
    labelled = set(label.get("items", []))
    if not named or labelled & set(named):
        return None
    right = _names(labelled, order_items)
    return (
        f"Not sent: label {label_id} is for the {right}, not the {_names(named, order_items)}. "
        f"Write the reply again and say that the label is for the {right}."
    )


def _names(skus: Any, order_items: dict[str, str]) -> str:
    return " and ".join(f"{order_items.get(sku, sku)} ({sku})" for sku in sorted(set(skus)))


#: What ShopBot's agent runs on each reply, in order.
SHOPBOT_REPLY_CHECKS: tuple[ReplyCheck, ...] = (
    *DEFAULT_REPLY_CHECKS,
    grounded_identifiers,
    labelled_items_named,
)
