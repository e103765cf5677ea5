"""Which items a customer's words choose (item_choice), on the shop's own product names."""

from __future__ import annotations

import pytest
from item_choice import chosen_items, named_items
from returns_policy import OrderLine

JEANS = OrderLine("JEANS-32-BLUE", "Slim jeans", "W32", "blue", 1)
TEES = OrderLine("TEE-M-WHITE", "Cotton t-shirt", "M", "white", 2)
BELT = OrderLine("BELT-90-BROWN", "Leather belt", "90 cm", "brown", 1)
SOCKS = OrderLine("SOCKS-3PK", "Socks, 3 pairs", "one size", "mixed", 2)
ORDER = [JEANS, TEES, BELT, SOCKS]


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("Just the jeans please, they are too small.", ["JEANS-32-BLUE"]),
        ("Both t-shirts and the belt", ["TEE-M-WHITE", "BELT-90-BROWN"]),
        ("the white tee", ["TEE-M-WHITE"]),
        ("return TEE-M-WHITE", ["TEE-M-WHITE"]),
        ("the belt instead of the jeans", ["BELT-90-BROWN"]),
        ("not the belt, the socks", ["SOCKS-3PK"]),
        ("I'll keep the socks; the denim goes back", ["JEANS-32-BLUE"]),
        ("My email is ann@example.com", []),
        ("please stop", []),  # "top" inside another word names nothing
    ],
)
def test_named_items(message: str, asked: list[str]) -> None:
    assert named_items(message, ORDER) == sorted(asked, key=[line.sku for line in ORDER].index)


def test_the_newest_message_naming_items_is_the_choice() -> None:
    said = ["I want to return the jeans", "Actually the belt", "My email is ann@example.com"]
    assert chosen_items(said, ORDER) == (["BELT-90-BROWN"], "Actually the belt")
    assert chosen_items(["Hello", "Order 1001"], ORDER) is None
