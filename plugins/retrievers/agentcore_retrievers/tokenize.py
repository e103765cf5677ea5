"""The lexical tokenizer shared by indexing and querying.

Lower-cased words and numbers; English function words dropped; a light plural
stemmer (Harman's "S" rules plus sibilant plurals) so "plaintiffs" matches "plaintiff". Hyphenated
identifiers are kept whole *and* split: a case number ``2023-CV-0412`` yields
``2023-cv-0412``, ``2023``, ``cv`` and ``0412``, so the exact number matches
strongly while its parts still match loosely.
"""

from __future__ import annotations

import re

_COMPOUND = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*")
_PART = re.compile(r"[^\W_]+")

_STOPWORD_TEXT = """
    a an and are as at be been but by can could did do does for from had has have he her hers him
    his how i if in into is it its me my no nor not of on or our ours she so than that the their
    theirs them then there these they this those to too us was we were what when where which while
    who whom whose why will with would you your yours
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """Harman's S-stemmer, plus the sibilant plurals it misses (classes → class)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """The index terms of ``text``, in order (repeats kept: they are term frequencies)."""
    terms: list[str] = []
    for match in _COMPOUND.finditer(text.casefold()):
        compound = match.group()
        parts = _PART.findall(compound)
        if len(parts) > 1:
            terms.append(compound)
        for part in parts:
            if part in STOPWORDS or (len(part) == 1 and not part.isdigit()):
                continue
            terms.append(stem(part))
    return terms
