"""How fast the Wikipedia tools answer: offline corpus vs the online backend.

Run from the repository root (needs `pip install -e plugins/wikipedia`)::

    .venv/bin/python benchmarks/wikipedia_search.py [--queries 100]

Offline: load the bundled corpus (gzip JSONL via importlib.resources), build the
title maps, build the ranking indexes (BM25 + title trigrams), then time
``search`` for exact titles, for misspelled titles (-> "Similar:") and for
free-text descriptions (-> "Similar:").

Online: the same kinds of searches through the ``wikipedia`` package against
a local fake MediaWiki API (127.0.0.1, no network), so the numbers are the
client's own cost (package, HTTP round trips, parsing) and a lower bound for
the real site, where each request adds the network's latency (typically
100-300 ms; a found page takes 2 requests, a missing one 2, a disambiguation 2).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from agentcore_wikipedia.corpus import Page, load_bundled
from agentcore_wikipedia.fake_mediawiki import FakeMediaWiki
from agentcore_wikipedia.offline import OfflineWiki
from agentcore_wikipedia.online import OnlineWiki

FAKE_WIKI_PAGES = 300  # the fake server's own search is naive; keep its share of the time small


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def per_query_ms(search: Callable[[str], object], queries: Sequence[str]) -> str:
    times = [timed(lambda q=q: search(q)) * 1000 for q in queries]
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return f"{statistics.mean(times):7.2f} ms (p50 {statistics.median(times):.2f}, p95 {p95:.2f})"


def sample_pages(pages: Sequence[Page], n: int) -> list[Page]:
    """About ``n`` pages spread over the corpus, with titles long enough to misspell."""
    step = max(1, len(pages) // n)
    return [p for p in pages[::step] if len(p.title) > 6][:n]


def misspell(title: str) -> str:
    return title[:3] + title[4:]  # one letter dropped


def describe(page: Page) -> str:
    words = [w for w in page.raw_text.split() if w.isalpha() and len(w) > 3]
    return " ".join(words[3:9]) or page.title


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    args = parser.parse_args()

    started = time.perf_counter()
    corpus = load_bundled()
    load_s = time.perf_counter() - started
    wiki = OfflineWiki(corpus)
    wiki.build_index()
    assert wiki.index_build_s is not None
    sample = sample_pages(corpus.pages, args.queries)
    exact = [p.title.lower() for p in sample]
    misspelled = [misspell(p.title) for p in sample]
    described = [describe(p) for p in sample]

    served = sample_pages(corpus.pages, FAKE_WIKI_PAGES)
    with FakeMediaWiki({p.title: p.raw_text for p in served}) as fake:
        online_titles = [p.title for p in served][: args.queries]
        cold = OnlineWiki(fake.api_url, cache_size=0)
        warm = OnlineWiki(fake.api_url, cache_size=10_000)
        for title in online_titles:
            warm.search(title)
        online_exact = per_query_ms(cold.search, online_titles)
        online_cached = per_query_ms(warm.search, online_titles)
        online_missing = per_query_ms(cold.search, [misspell(t) for t in online_titles])
        requests_per = cold.requests_made / (2 * len(online_titles))

    rows = [
        ("corpus load (10,787 pages, gzip JSONL)", f"{load_s * 1000:7.0f} ms", "-"),
        ("title maps", f"{wiki.title_map_s * 1000:7.0f} ms", "-"),
        ("ranking index build (BM25 + trigrams)", f"{wiki.index_build_s * 1000:7.0f} ms", "-"),
        ("search: exact title (found)", per_query_ms(wiki.search, exact), online_exact),
        ("search: same, answered from cache", "-", online_cached),
        (
            "search: misspelled title (Similar)",
            per_query_ms(wiki.search, misspelled),
            online_missing,
        ),
        ("search: description (full text, Similar)", per_query_ms(wiki.search, described), "-"),
    ]
    hits = sum(
        wiki.search(q).similar[:1] == (p.title,) for q, p in zip(misspelled, sample, strict=True)
    )
    described_hits = sum(
        p.title in wiki.search(q).similar for q, p in zip(described, sample, strict=True)
    )

    width = max(len(r[0]) for r in rows)
    header = ("operation", "offline (bundled corpus)", "online (wikipedia pkg, local fake API)")
    print(f"{header[0]:<{width}} | {header[1]:<34} | {header[2]}")
    print(f"{'-' * width}-|-{'-' * 34}-|-{'-' * len(header[2])}")
    for name, offline, online in rows:
        print(f"{name:<{width}} | {offline:<34} | {online}")
    print()
    print(
        f"queries per kind: {len(sample)} offline, {len(online_titles)} online; "
        f"HTTP requests per uncached online search: {requests_per:.1f}"
    )
    print(f"offline: misspelled title -> right page first in Similar: {hits}/{len(sample)}")
    print(f"offline: description -> right page in Similar (top 5): {described_hits}/{len(sample)}")


if __name__ == "__main__":
    main()
