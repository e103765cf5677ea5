"""The online backend through the real ``wikipedia`` package, against a local fake MediaWiki API.

No test here touches the network: every request goes to a server on 127.0.0.1
started by the test, which records what it was asked.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from agentcore_wikipedia.fake_mediawiki import FakeMediaWiki
from agentcore_wikipedia.online import OnlineWiki
from agentcore_wikipedia.tools import lookup, search

from agentcore.tools import ToolContext


def online(wiki: FakeMediaWiki, make_context, **more) -> ToolContext:
    return make_context(mode="online", api_url=wiki.api_url, **more)


def test_found_page_returns_first_sentences_from_the_api(fake_wiki, make_context) -> None:
    ctx = online(fake_wiki, make_context)
    result = search.invoke("Arthur's Magazine", ctx)
    assert result.ok, result.observation
    assert result.observation.startswith(
        "Arthur's Magazine (1844–1846) was an American literary periodical published in "
        "Philadelphia in the 19th century. Edited by T. S. Arthur, it featured work by "
        "Edgar A. Poe, J. H. Ingraham and others."
    )
    assert result.data == {
        "mode": "online",
        "entity": "Arthur's Magazine",
        "title": "Arthur's Magazine",
    }
    # The package asked for page info, then the plain-text extract; nothing else.
    assert fake_wiki.count(prop="info|pageprops", titles="Arthur's Magazine") == 1
    assert fake_wiki.count(prop="extracts|revisions", titles="Arthur's Magazine") == 1
    assert len(fake_wiki.requests) == 2


def test_lookup_works_on_an_online_page_and_skips_section_headings(fake_wiki, make_context) -> None:
    ctx = online(fake_wiki, make_context)
    search.invoke("Arthur's Magazine", ctx)
    assert lookup.invoke("1846", ctx).observation == (
        "(Result 1 / 2) Arthur's Magazine (1844–1846) was an American literary periodical "
        "published in Philadelphia in the 19th century."
    )
    assert lookup.invoke("1846", ctx).observation == (
        "(Result 2 / 2) In May 1846 it was merged into Godey's Lady's Book."
    )
    assert lookup.invoke("1846", ctx).observation == "No more results."
    assert lookup.invoke("History", ctx).observation == "No more results."  # "== History =="


def test_redirects_are_followed(fake_wiki, make_context) -> None:
    result = search.invoke("Arthurs Magazine", online(fake_wiki, make_context))
    assert result.data["title"] == "Arthur's Magazine"
    assert result.observation.startswith("Arthur's Magazine (1844–1846)")


def test_missing_page_lists_search_suggestions(fake_wiki, make_context) -> None:
    result = search.invoke("Godey magazine Philadelphia", online(fake_wiki, make_context))
    assert result.ok
    assert result.observation == (
        'Could not find Godey magazine Philadelphia. Similar: ["Arthur\'s Magazine", '
        "'First for Women']."
    )
    assert fake_wiki.count(list="search", srsearch="Godey magazine Philadelphia") == 1


def test_a_search_result_with_the_same_title_is_taken_as_the_page(fake_wiki, make_context) -> None:
    # MediaWiki titles are case-sensitive after the first letter: "first for women" is missing,
    # but search finds "First for Women", which normalises to the same title.
    result = search.invoke("first for women", online(fake_wiki, make_context))
    assert result.observation.startswith("First for Women is a woman's magazine")
    assert "started in 1989" in result.observation


def test_disambiguation_page_becomes_similar_options(fake_wiki, make_context) -> None:
    result = search.invoke("Tinted Windows", online(fake_wiki, make_context))
    assert result.ok
    assert result.observation == (
        "Could not find Tinted Windows. Similar: "
        "['Tinted Windows (band)', 'Tinted Windows (album)']."
    )
    assert fake_wiki.count(prop="revisions", rvparse="", titles="Tinted Windows") == 1


def test_server_error_is_an_observation_and_is_not_cached(fake_wiki, make_context) -> None:
    ctx = online(fake_wiki, make_context)
    fake_wiki.fail_status = 500
    result = search.invoke("Arthur's Magazine", ctx)
    assert (result.ok, result.error_kind) == (False, "http_error")
    assert result.observation == "Wikipedia answered HTTP 500. Try again later."
    fake_wiki.fail_status = None
    again = search.invoke("Arthur's Magazine", ctx)
    assert again.ok and again.observation.startswith("Arthur's Magazine (1844–1846)")


def test_slow_server_gives_a_timeout_observation(fake_wiki, make_context) -> None:
    fake_wiki.delay_s = 30.0
    started = time.monotonic()
    result = search.invoke("Arthur's Magazine", online(fake_wiki, make_context, timeout_s=0.3))
    assert (result.ok, result.error_kind) == (False, "timeout")
    assert result.observation.startswith("Wikipedia did not answer within 0.3 s.")
    assert time.monotonic() - started < 20  # it gave up; it did not wait for the server


def test_refused_connection_is_a_network_observation(make_context) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/w/api.php"
    result = search.invoke("Arthur's Magazine", make_context(mode="online", api_url=url))
    assert (result.ok, result.error_kind) == (False, "network")
    assert result.observation.startswith(f"Could not reach Wikipedia at {url}")


def test_non_json_answer_is_an_observation(fake_wiki, make_context) -> None:
    fake_wiki.fail_status = 200  # HTTP 200 with an HTML body, as a captive portal would send
    result = search.invoke("Arthur's Magazine", online(fake_wiki, make_context))
    assert (result.ok, result.error_kind) == (False, "bad_response")
    assert "could not be read" in result.observation


def test_cache_hit_means_the_server_is_asked_once(fake_wiki, make_context) -> None:
    first = search.invoke("Arthur's Magazine", online(fake_wiki, make_context))
    asked = len(fake_wiki.requests)
    second = search.invoke("Arthur's Magazine", online(fake_wiki, make_context))  # a new run
    assert second.observation == first.observation
    assert len(fake_wiki.requests) == asked == 2
    assert fake_wiki.count(prop="info|pageprops", titles="Arthur's Magazine") == 1
    # Not-found answers are cached too.
    search.invoke("Tinted Windows", online(fake_wiki, make_context))
    search.invoke("Tinted Windows", online(fake_wiki, make_context))
    assert fake_wiki.count(prop="info|pageprops", titles="Tinted Windows") == 1


def test_cache_size_zero_asks_every_time(fake_wiki, make_context) -> None:
    for _ in range(2):
        search.invoke("First for Women", online(fake_wiki, make_context, cache_size=0))
    assert fake_wiki.count(prop="info|pageprops", titles="First for Women") == 2


def test_disk_cache_survives_a_new_backend(fake_wiki, tmp_path: Path) -> None:
    directory = tmp_path / "wiki-cache"
    OnlineWiki(fake_wiki.api_url, cache_dir=str(directory)).search("First for Women")
    assert len(list(directory.glob("*.json"))) == 1
    fake_wiki.fail_status = 500  # the server is now down, but the answer is on disk
    fresh = OnlineWiki(fake_wiki.api_url, cache_dir=str(directory)).search("First for Women")
    assert fresh.title == "First for Women"
    assert "started in 1989" in " ".join(fresh.sentences)
    assert fake_wiki.count(prop="info|pageprops", titles="First for Women") == 1


def test_package_globals_are_restored_after_a_call(fake_wiki) -> None:
    import requests
    import wikipedia.wikipedia as module

    before = module.API_URL
    OnlineWiki(fake_wiki.api_url).search("Arthur's Magazine")
    assert before == module.API_URL
    assert module.requests is requests


def test_characters_illegal_in_titles_never_reach_the_api(fake_wiki, make_context) -> None:
    # "|" would make MediaWiki look up two pages at once; "[[...]]" is what models sometimes write.
    result = search.invoke("[[First for Women]]", online(fake_wiki, make_context))
    assert result.observation.startswith("First for Women is a woman's magazine")
    search.invoke("Arthur's Magazine|First for Women", online(fake_wiki, make_context))
    assert not [r for r in fake_wiki.requests if "|" in r.get("titles", "")]
    assert fake_wiki.count(titles="Arthur's Magazine First for Women", prop="info|pageprops") == 1
