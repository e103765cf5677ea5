"""The ``search`` and ``lookup`` tools, with the ReAct paper's semantics.

``search[entity]`` returns the first sentences of the entity's page, or
``Could not find X. Similar: [...]``; the page found becomes the *current page*. With the
setting ``best_match`` a missing title shows the best-matching page instead (and names the
next ones): small models rarely recover from a list of titles.
``lookup[keyword]`` returns the next sentence of the current page containing
the keyword, as ``(Result i / n) sentence``, then ``No more results.``.

The current page and the lookup position live in ``ctx.state`` (one agent run),
under keys namespaced ``wikipedia.*``. Which backend answers is a setting
(``settings["wikipedia"]["mode"]``, offline by default).
"""

from __future__ import annotations

from typing import Any

from agentcore.models import ToolResult
from agentcore.plugin import AgentcoreError, ToolContext, tool
from agentcore_wikipedia.backend import SearchOutcome, WikiBackend
from agentcore_wikipedia.settings import WikiSettings, read_settings
from agentcore_wikipedia.text import (
    cap,
    first_sentences,
    fold,
    format_best_match,
    format_similar,
)

PAGE_KEY = "wikipedia.page"
LOOKUP_KEY = "wikipedia.lookup"
NO_PAGE = "No page to look up in yet: use search[entity] first, then lookup[keyword]."
NO_MORE = "No more results."
TOOL_TIMEOUT_S = 60.0  # online lookups make up to four requests, each under timeout_s


def backend_for(settings: WikiSettings) -> WikiBackend:
    """The backend the settings ask for (built once per process and reused)."""
    if settings.mode == "online":
        from agentcore_wikipedia.online import online_wiki

        return online_wiki(
            settings.api_url,
            timeout_s=settings.timeout_s,
            cache_size=settings.cache_size,
            cache_dir=settings.cache_dir,
            user_agent=settings.user_agent,
        )
    from agentcore_wikipedia.offline import offline_wiki

    return offline_wiki(settings.corpus)


@tool(name="search", timeout_s=TOOL_TIMEOUT_S)
def search(entity: str, ctx: ToolContext) -> ToolResult:
    """Search Wikipedia for an entity and return the first sentences of its page;
    if there is no such page, return similar titles to search next.

    Args:
        entity: The page title to look up, e.g. Arthur's Magazine.
    """
    if not entity.strip():
        return _result("search", False, "search needs an entity, e.g. search[Tokyo].", "empty")
    try:
        settings = read_settings(ctx.settings)
        backend = backend_for(settings)
        outcome = _search(backend, entity.strip(), settings, ctx.task)
    except AgentcoreError as exc:
        return _result("search", False, f"Wikipedia is not configured correctly: {exc}", "config")
    if settings.best_match and not outcome.found and outcome.error is None and outcome.similar:
        best = backend.search(outcome.similar[0], similar=0)
        if best.found:
            return _best_match_result(outcome, best, settings, ctx.state)
    return _search_result(outcome, settings, ctx.state)


@tool(name="lookup", timeout_s=TOOL_TIMEOUT_S)
def lookup(keyword: str, ctx: ToolContext) -> ToolResult:
    """Return the next sentence containing the keyword in the page found by the last
    successful search.

    Args:
        keyword: A word or phrase to find in the current page, e.g. founded.
    """
    try:
        settings = read_settings(ctx.settings)
    except AgentcoreError as exc:
        return _result("lookup", False, f"Wikipedia is not configured correctly: {exc}", "config")
    page = ctx.state.get(PAGE_KEY)
    if not page:
        return _result("lookup", False, NO_PAGE, "no_page")
    keyword = keyword.strip()
    if not keyword:
        return _result("lookup", False, "lookup needs a keyword, e.g. lookup[founded].", "empty")
    position = ctx.state.get(LOOKUP_KEY)
    if not position or position["keyword"] != keyword or position["title"] != page["title"]:
        wanted = fold(keyword)
        matches = [s for s in page["sentences"] if wanted in fold(s)]
        position = {"title": page["title"], "keyword": keyword, "matches": matches, "next": 0}
        ctx.state[LOOKUP_KEY] = position
    matches, index = position["matches"], position["next"]
    if index >= len(matches):
        return _result("lookup", True, NO_MORE, data={"title": page["title"], "matches": 0})
    position["next"] = index + 1
    observation = f"(Result {index + 1} / {len(matches)}) {matches[index]}"
    return _result(
        "lookup",
        True,
        cap(observation, settings.max_chars),
        data={"title": page["title"], "result": index + 1, "of": len(matches)},
    )


def _search(backend: WikiBackend, entity: str, settings: WikiSettings, task: str) -> SearchOutcome:
    """The backend's answer; with ``rank_by_question`` the suggestions are also ranked by the
    run's question (otherwise by the entity alone, as in the paper)."""
    context = task if settings.rank_by_question else ""
    return backend.search(entity, similar=settings.similar, context=context)


def _search_result(
    outcome: SearchOutcome, settings: WikiSettings, state: dict[str, Any]
) -> ToolResult:
    data: dict[str, Any] = {"mode": settings.mode, "entity": outcome.entity}
    if outcome.error is not None:
        return _result("search", False, outcome.error, outcome.error_kind or "error", data)
    if outcome.found:
        state[PAGE_KEY] = {"title": outcome.title, "sentences": list(outcome.sentences)}
        state.pop(LOOKUP_KEY, None)
        text = first_sentences(outcome.sentences, settings.max_sentences, settings.max_chars)
        data["title"] = outcome.title
        return _result("search", True, text or f"The page {outcome.title} is empty.", data=data)
    data["similar"] = list(outcome.similar)
    return _result(
        "search",
        True,
        cap(format_similar(outcome.entity, outcome.similar), settings.max_chars),
        data=data,
    )


def _best_match_result(
    outcome: SearchOutcome, best: SearchOutcome, settings: WikiSettings, state: dict[str, Any]
) -> ToolResult:
    """Not found, so the closest page stands in for it (and becomes the current page)."""
    assert best.title is not None
    state[PAGE_KEY] = {"title": best.title, "sentences": list(best.sentences)}
    state.pop(LOOKUP_KEY, None)
    others = [title for title in outcome.similar[1:4] if title != best.title]
    opening = first_sentences(best.sentences, settings.max_sentences, settings.max_chars)
    text = format_best_match(outcome.entity, best.title, others, opening or "(empty page)")
    data = {
        "mode": settings.mode,
        "entity": outcome.entity,
        "title": best.title,
        "best_match": True,
        "similar": list(outcome.similar),
    }
    return _result("search", True, cap(text, settings.max_chars), data=data)


def _result(
    tool_name: str, ok: bool, observation: str, kind: str | None = None, data: Any = None
) -> ToolResult:
    return ToolResult(tool=tool_name, ok=ok, observation=observation, error_kind=kind, data=data)
