"""Helpers for the ShopBot tests: the bot's scripted side and reading the carrier."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def labels_issued(shop: Any) -> list[Any]:
    """Labels the carrier has stored (``carrier_store.Label``)."""
    return shop.services.carrier.service.store.labels()


Reply = str | Callable[[str], str]


class BotSide:
    """The bot's completions for a ScriptedBackend, in order.

    An entry is the completion text, or a function of the prompt for values only
    known at run time (a label id, a tracking number), read from the last
    observation exactly as a model would copy them.
    """

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __call__(self, prompt: str) -> str:
        if not self.replies:
            raise AssertionError("the bot was asked for more completions than the script has")
        reply = self.replies.pop(0)
        return reply(prompt) if callable(reply) else reply


def observations(prompt: str) -> list[str]:
    """The observations in a prompt, oldest first."""
    return re.findall(r"^Observation: (.*)$", prompt, flags=re.MULTILINE)


def from_observation(pattern: str, prompt: str) -> str:
    """The first group of ``pattern`` in the newest observation of the prompt that has it."""
    for observation in reversed(observations(prompt)):
        if match := re.search(pattern, observation):
            return match.group(1)
    raise AssertionError(f"{pattern!r} is in no observation of the prompt")
