"""Fixtures for the Wikipedia plugin's tests: tool contexts and a local fake MediaWiki API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from agentcore_wikipedia.fake_mediawiki import FakeMediaWiki

from agentcore.tools import ToolContext

ONLINE_PAGES = {
    "Arthur's Magazine": (
        "Arthur's Magazine (1844–1846) was an American literary periodical published in "
        "Philadelphia in the 19th century. Edited by T. S. Arthur, it featured work by "
        "Edgar A. Poe, J. H. Ingraham and others.\n\n"
        "== History ==\n"
        "In May 1846 it was merged into Godey's Lady's Book. The magazine was revived in 1849."
    ),
    "First for Women": (
        "First for Women is a woman's magazine published by A360media in the USA. "
        "The magazine was started in 1989 by Bauer Media Group."
    ),
    "Tinted Windows (band)": "Tinted Windows is an American rock supergroup formed in 2009.",
    "Tinted Windows (album)": "Tinted Windows is the debut album of the band Tinted Windows.",
}
DISAMBIGUATIONS = {"Tinted Windows": ["Tinted Windows (band)", "Tinted Windows (album)"]}
REDIRECTS = {"Arthurs Magazine": "Arthur's Magazine"}


@pytest.fixture
def fake_wiki() -> Iterator[FakeMediaWiki]:
    """A MediaWiki-like API on 127.0.0.1 (ephemeral port), stopped after the test."""
    with FakeMediaWiki(ONLINE_PAGES, disambiguations=DISAMBIGUATIONS, redirects=REDIRECTS) as wiki:
        yield wiki


@pytest.fixture(autouse=True)
def _fresh_online_backends() -> Iterator[None]:
    """Online backends (and their caches) are per process; each test starts without them."""
    from agentcore_wikipedia.online import clear_backends

    clear_backends()
    yield
    clear_backends()


@pytest.fixture
def make_context() -> Callable[..., ToolContext]:
    """``make_context(mode="online", ...)``: a fresh tool context (one agent run) with settings;
    the ReAct paper's semantics (``best_match=False``) unless the test asks otherwise."""

    def make(**wikipedia: Any) -> ToolContext:
        wikipedia.setdefault("best_match", False)
        return ToolContext(run_id="test", settings={"wikipedia": wikipedia})

    return make
