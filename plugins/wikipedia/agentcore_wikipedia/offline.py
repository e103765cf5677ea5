"""The offline backend: title lookup, then full-text ranking, over a local corpus.

Resolution order for ``search[entity]``:

1. a title equal to the entity once case, accents, punctuation and spacing are
   ignored ("arthurs magazine" finds "Arthur's Magazine");
2. titles equal to it but for a disambiguation suffix: exactly one
   ("David Croft" -> "David Croft (TV producer)") is the page; several
   ("Tinted Windows" -> "(album)", "(band)") are listed first under "Similar";
3. otherwise "Similar" ranks every page by title resemblance (character
   trigrams, for misspellings) plus BM25 over title and text (for descriptions).

The title maps are built with the corpus; the ranking indexes are built on the
first search that needs them and kept for the life of the process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from agentcore_wikipedia.backend import SearchOutcome
from agentcore_wikipedia.corpus import Corpus, load_bundled, load_path
from agentcore_wikipedia.ranking import BM25Index, TitleMatcher
from agentcore_wikipedia.text import base_title, normalize_title

CANDIDATES = 50  # pages taken from each ranking before the two are combined


class OfflineWiki:
    """Searches one corpus; safe to share between threads."""

    def __init__(self, corpus: Corpus) -> None:
        started = time.perf_counter()
        self.corpus = corpus
        self._titles = [page.title for page in corpus.pages]
        self._by_key: dict[str, list[int]] = {}
        self._by_base: dict[str, list[int]] = {}
        for doc, title in enumerate(self._titles):
            self._by_key.setdefault(normalize_title(title), []).append(doc)
            self._by_base.setdefault(normalize_title(base_title(title)), []).append(doc)
        self.title_map_s = time.perf_counter() - started
        self._bm25: BM25Index | None = None
        self._matcher: TitleMatcher | None = None
        self._index_lock = threading.Lock()
        self.index_build_s: float | None = None

    # -- building --------------------------------------------------------------------------

    def build_index(self) -> None:
        """Build the ranking indexes now (otherwise the first fuzzy search does)."""
        with self._index_lock:
            if self._bm25 is not None:
                return
            started = time.perf_counter()
            texts = [page.raw_text for page in self.corpus.pages]
            self._matcher = TitleMatcher(self._titles)
            self._bm25 = BM25Index(self._titles, texts)
            self.index_build_s = time.perf_counter() - started

    # -- searching -------------------------------------------------------------------------

    def search(self, entity: str, *, similar: int = 5, context: str = "") -> SearchOutcome:
        """``context`` (the question being answered) also ranks the suggestions, when the
        title is missing: a small model's search term is often a guess at a name."""
        key = normalize_title(entity)
        if not key:
            return SearchOutcome(entity)
        exact = self._by_key.get(key)
        if exact:
            chosen = next((d for d in exact if self._titles[d] == entity.strip()), exact[0])
            return self._found(entity, chosen)
        variants = self._suffix_variants(entity, key)
        if len(variants) == 1:
            return self._found(entity, variants[0])
        wanted = similar + len(variants)
        ranked = [d for d in self.rank(entity, wanted, context) if d not in variants]
        chosen = [*variants, *ranked][:similar]
        return SearchOutcome(entity, similar=tuple(self._titles[d] for d in chosen))

    def rank(self, query: str, k: int, context: str = "") -> list[int]:
        """Page ids most like ``query``, best first: title resemblance + BM25 of the query,
        each in [0, 1], plus BM25 of ``context`` (when given) on the same scale."""
        self.build_index()
        assert self._bm25 is not None and self._matcher is not None
        lexical = dict(self._bm25.top(query, CANDIDATES))
        about = dict(self._bm25.top(context, CANDIDATES)) if context else {}
        looks = self._matcher.similarities(query)
        titled = dict(sorted(looks.items(), key=lambda item: item[1], reverse=True)[:CANDIDATES])
        best_lexical = max(lexical.values(), default=0.0) or 1.0
        best_about = max(about.values(), default=0.0) or 1.0
        combined = {
            doc: looks.get(doc, 0.0)
            + lexical.get(doc, 0.0) / best_lexical
            + about.get(doc, 0.0) / best_about
            for doc in lexical.keys() | titled.keys() | about.keys()
        }
        order = sorted(combined.items(), key=lambda item: (-item[1], self._titles[item[0]]))
        return [doc for doc, _ in order[:k]]

    def titles(self) -> list[str]:
        return list(self._titles)

    def _suffix_variants(self, entity: str, key: str) -> list[int]:
        """Pages whose title is the entity plus a "(...)" suffix, or vice versa."""
        found = list(self._by_base.get(key, ()))
        entity_base = normalize_title(base_title(entity))
        if entity_base != key:
            found += [d for d in self._by_base.get(entity_base, ()) if d not in found]
        return sorted(found, key=lambda d: self._titles[d])

    def _found(self, entity: str, doc: int) -> SearchOutcome:
        page = self.corpus.pages[doc]
        return SearchOutcome(entity, title=page.title, sentences=page.sentences)


_cache: dict[str, OfflineWiki] = {}
_cache_lock = threading.Lock()


def offline_wiki(corpus_path: str | None = None) -> OfflineWiki:
    """The process-wide backend for a corpus (``None``: the bundled one), loaded once."""
    key = str(Path(corpus_path).expanduser().resolve()) if corpus_path else ""
    with _cache_lock:
        wiki = _cache.get(key)
        if wiki is None:
            corpus = load_path(corpus_path) if corpus_path else load_bundled()
            wiki = _cache[key] = OfflineWiki(corpus)
        return wiki
