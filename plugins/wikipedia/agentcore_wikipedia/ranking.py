"""Full-text ranking for "Similar:" suggestions: BM25 over title + text, and title trigrams.

BM25 finds pages *about* what was asked even when no title matches; title
trigrams catch misspelled or partial titles ("Arthurs Magazin", "First for
Wom") that share no whole word with the right page. Both are plain Python
over inverted lists of ``array`` integers, built once per corpus.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Sequence

from agentcore_wikipedia.text import normalize_title, tokenize

TITLE_BOOST = 3  # title words count as if they appeared this many times in the text


class BM25Index:
    """Okapi BM25 (k1, b) over documents given as title and text."""

    def __init__(
        self, titles: Sequence[str], texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.k1, self.b = k1, b
        postings: dict[str, tuple[array, array]] = {}
        lengths = array("I")
        for doc, (title, text) in enumerate(zip(titles, texts, strict=True)):
            counts = Counter(tokenize(text))
            for word in tokenize(title):
                counts[word] += TITLE_BOOST
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = (array("I"), array("I"))
                entry[0].append(doc)
                entry[1].append(tf)
        self.postings = postings
        self.size = len(lengths)
        average = (sum(lengths) / self.size) if self.size else 1.0
        self._norm = [k1 * (1 - b + b * length / average) for length in lengths]

    def idf(self, term: str) -> float:
        entry = self.postings.get(term)
        df = len(entry[0]) if entry else 0
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> dict[int, float]:
        """Document id -> BM25 score, for documents sharing a word with ``query``."""
        totals: dict[int, float] = {}
        k1, norm = self.k1, self._norm
        for term in set(tokenize(query)):
            entry = self.postings.get(term)
            if entry is None:
                continue
            idf = self.idf(term)
            for doc, tf in zip(entry[0], entry[1], strict=True):
                totals[doc] = totals.get(doc, 0.0) + idf * tf * (k1 + 1) / (tf + norm[doc])
        return totals

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best (document id, score) pairs, best first."""
        return heapq.nlargest(k, self.scores(query).items(), key=lambda item: item[1])


def trigrams(text: str) -> set[str]:
    """Character trigrams of a normalised title, padded so word starts and ends count."""
    padded = f"  {normalize_title(text)} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class TitleMatcher:
    """Titles that look like the query: Dice similarity of character trigrams."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.sizes = array("I")
        index: dict[str, array] = {}
        for doc, title in enumerate(titles):
            grams = trigrams(title)
            self.sizes.append(len(grams))
            for gram in grams:
                bucket = index.get(gram)
                if bucket is None:
                    bucket = index[gram] = array("I")
                bucket.append(doc)
        self.index = index

    def similarities(self, query: str) -> dict[int, float]:
        """Document id -> Dice coefficient in [0, 1], for titles sharing a trigram."""
        grams = trigrams(query)
        shared: Counter[int] = Counter()
        for gram in grams:
            bucket = self.index.get(gram)
            if bucket is not None:
                shared.update(bucket)
        size = len(grams)
        return {doc: 2 * n / (size + self.sizes[doc]) for doc, n in shared.items()}
