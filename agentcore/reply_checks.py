"""Checks on a reply before it reaches the user: a wrong reply goes back to the model.

A small model writing a reply copies what it has seen most recently or most often: an order
number or a tracking code from the worked example in its prompt, an item from the order that is
not the one the label was made for. Such a reply is a *model* fault, so (like a malformed step)
it is sent back with the reason as the step's observation, and the model writes it again. A
check is a function of a :class:`ReplyDraft` returning the problem in one sentence addressed to
the model, or ``None``; the agent runs its ``reply_checks`` in order and sends back the first
problem. After ``max_reply_rejections`` rejections in one run the reply goes out anyway, with a
warning on the run — a user waiting for an answer gets one, and the record says what was wrong.

:func:`copied_from_prompt` is on for every ReAct and chat agent: identifiers of the prompt's own
text (its worked examples, the tool descriptions' ``e.g.`` values) that nothing in this run said.
:func:`grounded_identifiers` is stricter, for agents whose replies must not contain any code
nobody gave (ShopBot): every identifier must come from the user or an observation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from agentcore.tools import ToolContext

#: An email address, or a code: letters, digits and dashes with at least one digit, 4+ long
#: (order numbers, SKUs, label ids, tracking numbers, dates).
IDENTIFIER = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w-])(?=[\w-]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?![\w-])"
)
MIN_CODE_LENGTH = 4


@dataclass(frozen=True)
class ReplyDraft:
    """A reply the model wrote, with what the run knew when it wrote it.

    ``seen`` is everything the run was told — its input, the user's messages and the tools'
    observations (in a conversation, of every turn so far) — and nothing the model wrote
    itself, so a copied identifier does not become "seen" by being repeated. ``prompt_text``
    is the prompt's fixed part: instructions, worked examples, tool descriptions.
    """

    text: str
    action: str
    context: ToolContext
    seen: str
    prompt_text: str

    @property
    def noun(self) -> str:
        """What to call the draft when talking to the model: a reply or an answer."""
        return "answer" if self.action == "finish" else "reply"


ReplyCheck = Callable[[ReplyDraft], "str | None"]


def identifiers(text: str) -> list[str]:
    """The identifiers in ``text`` in order, each once (see :data:`IDENTIFIER`)."""
    found: list[str] = []
    for match in IDENTIFIER.finditer(text):
        token = match.group(0).rstrip(".")
        if (len(token) >= MIN_CODE_LENGTH or "@" in token) and token not in found:
            found.append(token)
    return found


def _mentioned(token: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text, re.IGNORECASE) is not None


def _listing(tokens: Iterable[str]) -> str:
    return ", ".join(tokens)


def copied_from_prompt(draft: ReplyDraft) -> str | None:
    """Identifiers that only the prompt's examples contain: another customer's, another task's."""
    copied = [
        token
        for token in identifiers(draft.text)
        if _mentioned(token, draft.prompt_text) and not _mentioned(token, draft.seen)
    ]
    if not copied:
        return None
    return (
        f"Not sent: your {draft.noun} contains {_listing(copied)}, which come from the examples "
        "in your instructions, not from this conversation. Those belong to someone else. Write "
        f"the {draft.noun} again using only what the user and the observations said."
    )


def grounded_identifiers(draft: ReplyDraft) -> str | None:
    """Identifiers that nobody gave: not in the user's messages, not in any observation."""
    made_up = [token for token in identifiers(draft.text) if not _mentioned(token, draft.seen)]
    if not made_up:
        return None
    return (
        f"Not sent: your {draft.noun} contains {_listing(made_up)}, which no observation and no "
        f"message of the customer gave. Write the {draft.noun} again with only the numbers, "
        "codes and addresses the observations and the customer gave."
    )


DEFAULT_REPLY_CHECKS: tuple[ReplyCheck, ...] = (copied_from_prompt,)
