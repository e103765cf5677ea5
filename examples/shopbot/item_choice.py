"""Which items of an order the customer asked to return, read from what they wrote.

ShopBot's label request must be for exactly the items the customer chose; a small model left
to itself adds an item it saw in the order, or swaps one for another. The customer names
items in words ("just the jeans", "the belt instead"), so each line of the order is known by
its product's nouns (``jeans``, ``t-shirt``/``tee``/``shirt``, ``belt``), its SKU, and a few
common synonyms. The choice is the items named in the customer's newest message that names
any: a later message ("actually, the belt") replaces an earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

#: Words of product names that describe rather than name the item.
DESCRIBING = {
    "slim", "straight", "relaxed", "cotton", "zip", "canvas", "rain", "leather", "pair",
    "pairs", "one", "size", "light", "3",
}  # fmt: skip
#: Other words customers use for an item.
SYNONYMS = {
    "t-shirt": {"tee", "tshirt", "shirt", "top"},
    "jean": {"denim", "trouser", "pant"},
    "sneaker": {"shoe", "trainer"},
    "hoodie": {"hoody", "sweatshirt"},
    "jacket": {"coat", "raincoat"},
    "sock": set(),
    "belt": set(),
}
#: Words after which an item is the one *not* wanted ("instead of the jeans", "not the belt").
NOT_WANTED = re.compile(r"\b(?:instead of|rather than|not|keep|keeping)\s+(?:the\s+|my\s+)?$")


class Line(Protocol):
    sku: str
    name: str


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def item_words(line: Line) -> set[str]:
    """The words that name ``line``: its product's nouns, their synonyms, its SKU."""
    nouns = {_singular(w) for w in re.findall(r"[a-z][a-z-]*", line.name.lower())} - DESCRIBING
    named = set(nouns)
    for noun in nouns:
        named |= SYNONYMS.get(noun, set())
    return named | {line.sku.lower()}


def named_items(message: str, lines: Sequence[Line]) -> list[str]:
    """The SKUs of ``lines`` that ``message`` asks for (an item named after "instead of",
    "not" or "keep" is not asked for)."""
    text = message.lower()
    asked: list[str] = []
    for line in lines:
        for word in item_words(line):
            for match in re.finditer(rf"(?<![\w-]){re.escape(word)}s?(?![\w-])", text):
                if not NOT_WANTED.search(text[: match.start()]):
                    asked.append(line.sku)
                    break
            if line.sku in asked:
                break
    return asked


def chosen_items(messages: Iterable[str], lines: Sequence[Line]) -> tuple[list[str], str] | None:
    """The SKUs the newest message naming any of ``lines`` asks for, and that message."""
    for message in reversed(list(messages)):
        asked = named_items(message, lines)
        if asked:
            return asked, message
    return None
