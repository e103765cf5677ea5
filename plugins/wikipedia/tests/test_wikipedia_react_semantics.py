"""search / lookup behave as in the ReAct paper, on the bundled offline corpus.

The tools are taken from the plugin manager, i.e. found through the
``agentcore`` entry point exactly as an agent finds them.
"""

from __future__ import annotations

import re

import pytest
from agentcore_wikipedia.tools import LOOKUP_KEY, NO_MORE, NO_PAGE, PAGE_KEY

from agentcore.plugins import get_plugin_manager
from agentcore.tools import Tool, ToolContext

PAPER = {"wikipedia": {"best_match": False}}  # the paper's semantics; best_match is the default


@pytest.fixture
def search() -> Tool:
    return get_plugin_manager().tool("search")


@pytest.fixture
def lookup() -> Tool:
    return get_plugin_manager().tool("lookup")


def test_plugin_registers_both_tools_with_one_string_argument() -> None:
    pm = get_plugin_manager()
    assert {"search", "lookup"} <= set(pm.registry.names("tool"))
    assert pm.registry.get("tool", "search").plugin == "wikipedia"
    assert pm.tool("search").spec.string_argument == "entity"
    assert pm.tool("lookup").spec.string_argument == "keyword"
    assert not [f for f in pm.failures if f.name == "wikipedia"]


def test_search_found_returns_the_first_sentences(search: Tool) -> None:
    result = search.invoke("Arthur's Magazine", ToolContext(settings=PAPER))
    assert result.ok
    assert result.observation.startswith("Arthur's Magazine (1844–1846) was an American literary")
    assert "Timothy Shay Arthur" in result.observation
    assert result.data["title"] == "Arthur's Magazine"


def test_search_respects_sentence_and_character_caps(search: Tool, make_context) -> None:
    one = search.invoke("Arthur's Magazine", make_context(max_sentences=1)).observation
    assert one == (
        "Arthur's Magazine (1844–1846) was an American literary periodical of the 19th "
        "century, published in Philadelphia."
    )
    short = search.invoke(
        "British contribution to the Manhattan Project", make_context(max_chars=80)
    )
    assert len(short.observation) <= 80
    assert short.observation.startswith("Britain contributed to the Manhattan Project")
    assert short.observation.endswith("…")


def test_search_not_found_lists_similar_titles(search: Tool) -> None:
    result = search.invoke("Tinted Windows", ToolContext(settings=PAPER))
    assert result.ok
    match = re.fullmatch(r"Could not find Tinted Windows\. Similar: \[(.*)\]\.", result.observation)
    assert match, result.observation
    similar = re.findall(r"'([^']*)'", match.group(1))
    assert similar[:2] == ["Tinted Windows (album)", "Tinted Windows (band)"]
    assert len(similar) == 5


def test_similar_count_is_a_setting(search: Tool, make_context) -> None:
    result = search.invoke("Tinted Windows", make_context(similar=2))
    assert result.observation == (
        "Could not find Tinted Windows. Similar: "
        "['Tinted Windows (album)', 'Tinted Windows (band)']."
    )


def test_lookup_counts_results_then_says_no_more(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    search.invoke("Arthur's Magazine", ctx)
    first = lookup.invoke("magazine", ctx).observation
    second = lookup.invoke("magazine", ctx).observation
    assert first == (
        "(Result 1 / 2) Arthur's Magazine (1844–1846) was an American literary periodical "
        "of the 19th century, published in Philadelphia."
    )
    assert second == (
        "(Result 2 / 2) The magazine printed fiction, poetry and essays by contributors "
        "including Edgar Allan Poe."
    )
    assert lookup.invoke("magazine", ctx).observation == NO_MORE
    assert lookup.invoke("magazine", ctx).observation == NO_MORE


def test_lookup_with_a_new_keyword_starts_again(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    search.invoke("Arthur's Magazine", ctx)
    lookup.invoke("magazine", ctx)
    assert lookup.invoke("Godey", ctx).observation == (
        "(Result 1 / 1) In May 1846 it was merged into Godey's Lady's Book."
    )
    # Case-insensitive, like the paper's lookup.
    assert lookup.invoke("MAGAZINE", ctx).observation.startswith("(Result 1 / 2) ")


def test_lookup_without_a_match_says_no_more_results(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    search.invoke("First for Women", ctx)
    assert lookup.invoke("zeppelin", ctx).observation == NO_MORE


def test_lookup_before_any_search_tells_the_model_what_to_do(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    result = lookup.invoke("founded", ctx)
    assert not result.ok
    assert result.error_kind == "no_page"
    assert result.observation == NO_PAGE
    # A failed search does not give lookup a page either.
    search.invoke("Tinted Windows", ctx)
    assert lookup.invoke("founded", ctx).observation == NO_PAGE


def test_lookup_follows_the_last_page_found(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    search.invoke("Arthur's Magazine", ctx)
    search.invoke("First for Women", ctx)
    search.invoke("Tinted Windows", ctx)  # not found: the current page stays First for Women
    assert ctx.state[PAGE_KEY]["title"] == "First for Women"
    assert lookup.invoke("started", ctx).observation == (
        "(Result 1 / 1) The magazine was started in 1989."
    )
    assert ctx.state[LOOKUP_KEY]["next"] == 1


def test_state_is_per_run(search: Tool, lookup: Tool) -> None:
    run_a, run_b = ToolContext(run_id="a"), ToolContext(run_id="b")
    search.invoke("Arthur's Magazine", run_a)
    assert lookup.invoke("Godey", run_b).observation == NO_PAGE
    assert lookup.invoke("Godey", run_a).observation.startswith("(Result 1 / 1)")


def test_seed_question_is_answerable_offline(search: Tool) -> None:
    """Which magazine was started first, Arthur's Magazine or First for Women?"""
    ctx = ToolContext(settings=PAPER)
    arthurs = search.invoke("Arthur's Magazine", ctx).observation
    first = search.invoke("First for Women", ctx).observation
    arthurs_year = int(re.search(r"\((\d{4})–\d{4}\)", arthurs).group(1))
    first_year = int(re.search(r"started in (\d{4})", first).group(1))
    assert (arthurs_year, first_year) == (1844, 1989)
    assert arthurs_year < first_year  # Arthur's Magazine was started first


def test_empty_arguments_get_an_example_not_an_empty_answer(search: Tool, lookup: Tool) -> None:
    ctx = ToolContext(settings=PAPER)
    result = search.invoke("   ", ctx)
    assert (result.ok, result.error_kind) == (False, "empty")
    assert result.observation == "search needs an entity, e.g. search[Tokyo]."
    search.invoke("First for Women", ctx)
    assert lookup.invoke(" ", ctx).observation == "lookup needs a keyword, e.g. lookup[founded]."


def test_bad_settings_become_a_config_observation(search: Tool, make_context) -> None:
    result = search.invoke("Arthur's Magazine", make_context(mode="onlien"))
    assert not result.ok
    assert result.error_kind == "config"
    assert "mode" in result.observation and "'offline' or 'online'" in result.observation
    typo = search.invoke("Arthur's Magazine", make_context(max_sentence=3))
    assert "unknown setting wikipedia.max_sentence (known: mode" in typo.observation


def test_best_match_shows_the_closest_page_instead_of_titles(
    search: Tool, lookup: Tool, make_context
) -> None:
    paper = search.invoke("Tinted Windows", make_context()).observation
    assert paper.startswith("Could not find Tinted Windows. Similar: ['Tinted Windows (album)'")
    default = search.invoke("Tinted Windows", ToolContext()).observation
    assert default.startswith("Could not find Tinted Windows; the closest page is")
    ctx = make_context(best_match=True)
    result = search.invoke("Tinted Windows", ctx)
    assert result.ok and result.data["best_match"] is True
    assert result.observation.startswith(
        "Could not find Tinted Windows; the closest page is Tinted Windows (album) "
        "(others: Tinted Windows (band), "
    )
    assert "eponymous debut album" in result.observation  # the page's own text
    assert ctx.state[PAGE_KEY]["title"] == "Tinted Windows (album)"  # lookup reads it
    assert "New York City" in lookup.invoke("New York", ctx).observation
    # a title that exists is found as before
    found = search.invoke("Arthur's Magazine", ctx)
    assert "best_match" not in found.data and found.observation.startswith("Arthur's Magazine")


def test_best_match_online_follows_the_first_suggestion(fake_wiki, make_context) -> None:
    ctx = make_context(mode="online", api_url=fake_wiki.api_url, best_match=True)
    result = get_plugin_manager().tool("search").invoke("Tinted Windows", ctx)
    assert result.data["best_match"] is True
    assert result.data["title"] in {"Tinted Windows (band)", "Tinted Windows (album)"}
    assert "Tinted Windows is" in result.observation
