"""Prompts as chat turns, and replies of chat models read as continuations.

The loops write text transcripts that a completion model continues. A chat API takes
messages instead, and the model's own chat template is applied on the server; so the loops
also describe each prompt as :class:`~agentcore.models.PromptTurns` (what the engine wrote as
system/user messages, what the model wrote as the assistant's, and the ``lead`` that starts
the reply), and a chat backend sends those. A chat model tends to write the lead itself
(``Thought 2: ...``) and to fence code; :func:`reply_after_lead` turns its reply back into the
continuation the loop parses, so parsing is one code path for both kinds of model.
"""

from __future__ import annotations

from agentcore.models import Message, PromptTurns


def split_lead(text: str) -> tuple[str, str]:
    """``text`` without its unfinished last line (one with no newline after it), and that line.

    ``"Question: q\\nAnswer:"`` → ``("Question: q\\n", "Answer:")``; a text ending in a
    newline has no lead.
    """
    if not text or text.endswith("\n"):
        return text, ""
    cut = text.rfind("\n") + 1
    return text[:cut], text[cut:]


def opening_turns(prompt: str, question_at: int) -> list[Message]:
    """The head (instructions, exemplars) as the system message, the asking as the user's."""
    head, asked = prompt[:question_at].strip(), prompt[question_at:].strip()
    messages = [Message(role="system", content=head)] if head else []
    if asked:
        messages.append(Message(role="user", content=asked))
    return messages


def single_call_turns(prompt: str, question_at: int, lead: str = "") -> PromptTurns:
    """One call's prompt as turns: its unfinished last line (``Answer:``), then ``lead`` (a
    program's first line), start the reply."""
    body, own_lead = split_lead(prompt)
    return PromptTurns(messages=opening_turns(body, question_at), lead=own_lead + lead)


def reply_after_lead(reply: str, lead: str) -> str:
    """A chat model's reply as the continuation of ``lead``.

    A reply that repeats the lead's last line (``Action 3: finish[``, ``def solution():``)
    continues after it; one that starts with the lead's first label (``Thought 2:``) continues
    after that; otherwise the reply already is the continuation. A code fence around a
    continuation is removed.
    """
    text = reply
    key = lead.strip()
    if key:
        last = key.splitlines()[-1].strip()
        first = key.splitlines()[0].strip()
        tail = last.split()[-1] if last.split() else last  # "finish[" of "Action 3: finish["
        markers = [last, first] + ([tail] if tail.endswith(("[", "(")) else [])
        for marker in markers:
            at = text.find(marker)
            if at != -1:
                text = text[at + len(marker) :]
                break
    opening = text.find("```")
    if opening != -1 and not text[:opening].strip():  # the continuation itself is fenced
        newline = text.find("\n", opening)
        text = text[newline + 1 :] if newline != -1 else ""
    closing = text.find("```")
    if closing != -1:
        text = text[:closing]
    return text
