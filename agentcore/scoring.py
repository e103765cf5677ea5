"""Answer matching for evaluations: the SQuAD/HotpotQA exact-match normalisation.

An answer and its gold label match when they are equal after lower-casing and
removing punctuation, the articles a/an/the and extra whitespace — the rule the
HotpotQA paper scores with, so numbers here compare with published ones.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(answer: str | None, gold: str) -> bool:
    """Whether ``answer`` equals ``gold`` after :func:`normalize_answer` (no answer never does)."""
    return answer is not None and normalize_answer(answer) == normalize_answer(gold)
