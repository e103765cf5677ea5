"""Text handling shared by both backends: sentences, titles, tokens, observations.

The bundled corpus comes from HotpotQA, whose sentence splitter left fragments
behind (``"' Allo ' Allo!"`` followed by ``" is a BBC ..."``, a closing quote
alone at the start of the next "sentence", ``"Flt."`` | ``" Lt. Fairfax"``).
Models copy observations into their thoughts, so we repair what is cheap to
repair and keep every observation short.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

# Abbreviations that end a fragment without ending the sentence ("Flt." "Lt. Fairfax").
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "mt",
        "ft",
        "lt",
        "flt",
        "sgt",
        "col",
        "gen",
        "capt",
        "cpt",
        "maj",
        "cmdr",
        "adm",
        "rev",
        "prof",
        "gov",
        "sen",
        "rep",
        "no",
        "vol",
        "op",
        "ca",
        "approx",
        "vs",
        "etc",
        "fig",
        "inc",
        "co",
        "corp",
        "ltd",
        "bros",
    ]
)
_WORD_BEFORE_DOT = re.compile(r"(?:^|[\s(\"'])([A-Za-z]{1,5})\.$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_TOKENISED_QUOTE = re.compile(r"(^|[\s\"(“])' (?=[A-Z0-9])")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:!?%)\]](?:\s|$))")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)\s*$")


def fold(text: str) -> str:
    """Lower-case form with accents removed, for matching only ("Café" -> "cafe")."""
    if text.isascii():
        return text.casefold()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def normalize_title(title: str) -> str:
    """A key under which titles that a person would call "the same" collide.

    Case, accents, punctuation, underscores (URL form) and runs of whitespace
    do not matter: ``"arthurs  magazine"``, ``"Arthur's_Magazine"`` and
    ``"Arthur's Magazine"`` share one key.
    """
    folded = fold(title.replace("_", " "))
    folded = re.sub(r"['’`]", "", folded)  # "Arthur's" -> "arthurs", not "arthur s"
    return " ".join(_WORD.findall(folded))


def base_title(title: str) -> str:
    """The title without a disambiguation suffix: "Tinted Windows (band)" -> "Tinted Windows"."""
    stripped = _PARENTHETICAL.sub("", title).strip()
    return stripped or title


def tokenize(text: str) -> list[str]:
    """Words for full-text ranking: folded, apostrophes dropped, split on non-word characters."""
    return _WORD.findall(re.sub(r"['’`]", "", fold(text)))


def clean_sentence(text: str) -> str:
    """Collapse whitespace and undo tokenisation artefacts (``"' Allo"`` -> ``"'Allo"``)."""
    text = _WHITESPACE.sub(" ", text).strip()
    text = _TOKENISED_QUOTE.sub(r"\1'", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def merge_fragments(fragments: Iterable[str], title: str = "") -> list[str]:
    """Join the pieces a sentence splitter cut wrongly; return clean sentences.

    A piece continues the previous sentence when it starts in lower case or
    with closing punctuation, when it starts with a closing quote, or when the
    previous piece ended on an opening quote or an abbreviation. Pieces are
    concatenated as given (the corpus keeps each sentence's leading space),
    so the original spacing survives.
    """
    merged: list[str] = []
    for fragment in fragments:
        if not fragment or not fragment.strip():
            continue
        if merged and _continues(merged[-1], fragment):
            merged[-1] += fragment
        else:
            merged.append(fragment)
    sentences = [clean_sentence(s) for s in merged]
    if title:
        sentences = [_respace_title(s, title) for s in sentences]
    return [s for s in sentences if s]


def _continues(previous: str, fragment: str) -> bool:
    head = fragment.lstrip()
    tail = previous.rstrip()
    if not head or not tail:
        return False
    first = head[0]
    if first.islower() or first in ",;:)]%":
        return True
    if first in '"”' and (len(head) == 1 or not (head[1].isalnum() or head[1] == "'")):
        return True  # a closing quote: '", "It Ain't Half Hot Mum"' or '".'
    if tail[-1] in "\"'“" and (len(tail) == 1 or tail[-2].isspace() or tail[-2] in "\"'"):
        return True  # the previous piece ended on an opening quote
    word = _WORD_BEFORE_DOT.search(tail)
    if word:
        token = word.group(1)
        if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper()):
            return True  # "Flt." / "Walter W." do not end a sentence
    return not _SENTENCE_END.search(tail)  # the previous piece stopped mid-sentence


def _respace_title(sentence: str, title: str) -> str:
    """Write the page title as titled where the text has it re-spaced ("' Allo ' Allo!")."""
    name = base_title(title)
    if not re.search(r"[^\w\s]", name):
        return sentence
    chars = [re.escape(c) for c in name if not c.isspace()]
    if len(chars) < 3:
        return sentence
    pattern = r"\s*".join(chars)
    return re.sub(pattern, lambda _m: name, sentence)


def split_text(text: str, title: str = "") -> list[str]:
    """Sentences of plain text (online extracts, user corpora given as ``text``).

    Paragraph breaks and section headings (``== History ==``) end sentences;
    inside a paragraph we split after ``. ! ?`` followed by a capital, then let
    :func:`merge_fragments` re-join cuts after abbreviations and initials.
    """
    pieces: list[str] = []
    for paragraph in text.splitlines():
        paragraph = paragraph.strip()
        if not paragraph or re.fullmatch(r"=+[^=]*=+", paragraph):
            continue
        parts = re.split(r"(?<=[.!?])([\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])", paragraph)
        # re.split keeps the captured closing punctuation as separate items.
        current = ""
        for index, part in enumerate(parts):
            if index % 2 == 1:
                current += part
                pieces.append(current)
                current = ""
            else:
                current += (" " if pieces and not current else "") + part
        if current.strip():
            pieces.append(current)
        pieces.append("\n")  # a paragraph boundary that merge_fragments must not cross
    sentences: list[str] = []
    block: list[str] = []
    for piece in pieces:
        if piece == "\n":
            sentences.extend(merge_fragments(block, title))
            block = []
        else:
            block.append(piece)
    return sentences


def cap(text: str, max_chars: int) -> str:
    """``text`` cut at a word boundary to at most ``max_chars`` characters (with "…")."""
    if len(text) <= max_chars:
        return text
    cut = text[: max(1, max_chars - 1)]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def first_sentences(sentences: Sequence[str], max_sentences: int, max_chars: int) -> str:
    """The page's opening: whole sentences while they fit, at least (part of) the first."""
    chosen: list[str] = []
    length = 0
    for sentence in sentences[:max_sentences]:
        extra = len(sentence) + (1 if chosen else 0)
        if chosen and length + extra > max_chars:
            break
        chosen.append(sentence)
        length += extra
    return cap(" ".join(chosen), max_chars) if chosen else ""


def format_similar(entity: str, titles: Sequence[str]) -> str:
    """The ReAct paper's not-found observation."""
    listing = "[" + ", ".join(repr(t) for t in titles) + "]"
    return f"Could not find {entity}. Similar: {listing}."


def format_best_match(entity: str, title: str, others: Sequence[str], opening: str) -> str:
    """The not-found observation that shows the closest page (setting ``best_match``)."""
    also = f" (others: {', '.join(others)})" if others else ""
    return f"Could not find {entity}; the closest page is {title}{also}. {opening}"
