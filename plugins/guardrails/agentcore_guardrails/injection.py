"""Markers of prompt injection in a run's input: text written to take over the model.

Each rule is a regular expression over the input after Unicode compatibility normalisation
(NFKC, so full-width or styled letters match too), case folding and whitespace squeezing.
They catch the common shapes — instructions to drop earlier instructions, chat-template role
markers pasted into the text, jailbreak personas, requests for the hidden prompt, invisible
Unicode tag characters — not every paraphrase: a marker check is a tripwire that records or
refuses the obvious, not a proof that an input is safe.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    raw: bool = False
    """Match the text as given (before normalisation), for characters NFKC would change."""


_GAP = r"[^.!?]{0,40}?"  # a few words, possibly across a line break

RULES: tuple[Rule, ...] = (
    Rule(
        "instruction override",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass)\b"
            + _GAP
            + r"\b(?:previous|prior|above|earlier|preceding|former|original|system|your)\b"
            + _GAP
            + r"\b(?:instructions?|prompts?|rules|directions|guidelines|directives)\b"
            r"|\b(?:ignore|disregard)\s+(?:all|any)\s+(?:of\s+)?(?:the\s+)?"
            r"(?:instructions|rules|guidelines)\b"
            r"|\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:above|before)\b"
        ),
    ),
    Rule(
        "chat-template role marker",
        re.compile(
            r"<\|\s*(?:im_start|im_end|endoftext|system|user|assistant|eot_id|begin_of_text|"
            r"start_header_id|end_header_id)\s*\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>"
        ),
    ),
    Rule(
        "fake role header",
        re.compile(
            r"(?m)^\s*(?:#{2,}\s*)?(?:system|developer)\s+(?:prompt|message|instructions?)\s*:"
            r"|^\s*#{2,}\s*(?:system|developer)\b"
        ),
    ),
    Rule(
        "jailbreak persona",
        re.compile(
            r"\byou are now\b"
            + _GAP
            + r"\b(?:dan|unfiltered|uncensored|jailbroken|unrestricted|evil|free of)\b"
            r"|\bdo anything now\b"
            r"|\b(?:dan|developer|god|jailbreak|unrestricted)\s+mode\b"
            r"|\bpretend\b" + _GAP + r"\bno (?:rules|restrictions|guidelines|filters|limits)\b"
        ),
    ),
    Rule(
        "prompt extraction",
        re.compile(
            r"\b(?:reveal|show|print|repeat|output|tell me|what (?:is|are))\b"
            + _GAP
            + r"\b(?:system prompt|hidden (?:prompt|instructions)|initial instructions|"
            r"instructions you were given)\b"
        ),
    ),
    Rule("invisible tag characters", re.compile("[\U000e0000-\U000e007f]"), raw=True),
)


@dataclass(frozen=True)
class Finding:
    rule: str
    excerpt: str


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace squeezed (newlines kept: role headers start lines)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "\n".join(" ".join(line.split()) for line in folded.splitlines())


def find_markers(text: str) -> list[Finding]:
    """The rules ``text`` matches, each once, with the matched text."""
    plain = normalise(text)
    findings: list[Finding] = []
    for rule in RULES:
        match = rule.pattern.search(text if rule.raw else plain)
        if match is None or any(f.rule == rule.name for f in findings):
            continue
        excerpt = match.group() if not rule.raw else f"U+{ord(match.group()):04X}"
        findings.append(Finding(rule.name, excerpt[:60]))
    return findings


def describe(findings: list[Finding]) -> str:
    return "; ".join(f"{f.rule} ({f.excerpt!r})" for f in findings)
