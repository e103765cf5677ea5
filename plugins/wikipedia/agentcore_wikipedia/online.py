"""The online backend: Wikipedia through the ``wikipedia`` package, made safe for a loop.

The ``wikipedia`` package keeps its endpoint in a module global (``API_URL``),
calls ``requests.get`` with no timeout, never checks the HTTP status, and
memoises ``search`` forever regardless of the endpoint. So each lookup here:

- runs under one process-wide lock, with ``API_URL``, ``USER_AGENT`` and the
  module's ``requests`` temporarily replaced by a small stand-in that applies
  our timeout and raises on HTTP errors (restored afterwards);
- calls the un-memoised ``search`` and caches answers itself, keyed by endpoint;
- turns every failure (missing page, disambiguation, timeout, refused
  connection, HTTP 5xx, malformed JSON) into a :class:`SearchOutcome`.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from agentcore_wikipedia.backend import SearchOutcome
from agentcore_wikipedia.cache import OutcomeCache
from agentcore_wikipedia.settings import DEFAULT_API_URL, DEFAULT_USER_AGENT
from agentcore_wikipedia.text import normalize_title, split_text

_TITLE_ILLEGAL = re.compile(r"[\[\]{}|#<>]")
_PACKAGE_LOCK = threading.Lock()  # the wikipedia package's globals are shared by the process


class _TimedRequests:
    """Stands in for the ``requests`` module inside ``wikipedia``: timeout + status check."""

    def __init__(self, session: Any, timeout_s: float) -> None:
        self.session = session
        self.timeout_s = timeout_s
        self.calls = 0

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> Any:
        self.calls += 1
        response = self.session.get(url, params=params, headers=headers, timeout=self.timeout_s)
        response.raise_for_status()
        return response


class OnlineWiki:
    """Looks pages up through the MediaWiki API at ``api_url``."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout_s: float = 10.0,
        cache_size: int = 256,
        cache_dir: str | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        import requests  # heavy-ish: only when the online backend is used
        import wikipedia  # noqa: F401  (fail here, clearly, if the package is missing)

        self.api_url = api_url
        self.timeout_s = timeout_s
        self.user_agent = user_agent
        self.cache = OutcomeCache(cache_size, cache_dir)
        self._session = requests.Session()
        self.requests_made = 0

    def search(self, entity: str, *, similar: int = 5, context: str = "") -> SearchOutcome:
        # ``context`` is unused: MediaWiki's own search ranks the suggestions.
        # Characters MediaWiki forbids in titles ("|" would even ask for two pages).
        entity = " ".join(_TITLE_ILLEGAL.sub(" ", entity).split())
        if not normalize_title(entity):
            return SearchOutcome(entity)
        key = f"{self.api_url}\0{similar}\0{entity}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        outcome = self._fetch(entity, similar)
        self.cache.put(key, outcome)
        return outcome

    # -- talking to the API ----------------------------------------------------------------

    @contextlib.contextmanager
    def _package(self) -> Iterator[Any]:
        """The ``wikipedia`` module pointed at our endpoint, with our timeout, for one lookup."""
        module = importlib.import_module("wikipedia.wikipedia")
        stand_in = _TimedRequests(self._session, self.timeout_s)
        with _PACKAGE_LOCK:
            saved = (module.API_URL, module.USER_AGENT, module.requests)
            module.API_URL, module.USER_AGENT, module.requests = (
                self.api_url,
                self.user_agent,
                stand_in,
            )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # bs4 guessing its HTML parser
                    yield module
            finally:
                module.API_URL, module.USER_AGENT, module.requests = saved
                self.requests_made += stand_in.calls

    def _fetch(self, entity: str, similar: int) -> SearchOutcome:
        import requests
        from wikipedia.exceptions import (
            DisambiguationError,
            HTTPTimeoutError,
            PageError,
            WikipediaException,
        )

        try:
            with self._package() as wiki:
                search = getattr(wiki.search, "fn", wiki.search)  # skip its endless memo
                try:
                    page = wiki.page(entity, auto_suggest=False, redirect=True)
                except PageError:
                    titles = list(search(entity, results=max(similar, 1)))
                    wanted = normalize_title(entity)
                    match = next((t for t in titles if normalize_title(t) == wanted), None)
                    if match is None:
                        return SearchOutcome(entity, similar=tuple(titles[:similar]))
                    page = wiki.page(match, auto_suggest=False, redirect=True)
                content = page.content
                return SearchOutcome(
                    entity, title=page.title, sentences=tuple(split_text(content, page.title))
                )
        except DisambiguationError as exc:
            options = tuple(dict.fromkeys(o for o in exc.options if o))
            return SearchOutcome(entity, similar=options[:similar])
        except PageError:
            return SearchOutcome(entity)
        except requests.Timeout:
            return self._failure(
                entity,
                "timeout",
                f"Wikipedia did not answer within {self.timeout_s:g} s. "
                "Try again, or search for something else.",
            )
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "error"
            return self._failure(
                entity, "http_error", f"Wikipedia answered HTTP {status}. Try again later."
            )
        except requests.exceptions.InvalidJSONError as exc:
            return self._failure(
                entity,
                "bad_response",
                f"Wikipedia sent an answer that could not be read ({type(exc).__name__}).",
            )
        except requests.RequestException as exc:
            return self._failure(
                entity,
                "network",
                f"Could not reach Wikipedia at {self.api_url} ({type(exc).__name__}). "
                "The network may be down; the offline corpus works without it.",
            )
        except HTTPTimeoutError:
            return self._failure(entity, "timeout", "Wikipedia timed out. Try again later.")
        except WikipediaException as exc:
            return self._failure(entity, "api_error", f"Wikipedia reported an error: {exc.error}")
        except (ValueError, KeyError, IndexError, TypeError, AssertionError) as exc:
            return self._failure(
                entity,
                "bad_response",
                f"Wikipedia sent an answer that could not be read ({type(exc).__name__}).",
            )

    @staticmethod
    def _failure(entity: str, kind: str, message: str) -> SearchOutcome:
        return SearchOutcome(entity, error=message, error_kind=kind)


_backends: dict[tuple[Any, ...], OnlineWiki] = {}
_backends_lock = threading.Lock()


def online_wiki(
    api_url: str,
    *,
    timeout_s: float,
    cache_size: int,
    cache_dir: str | None,
    user_agent: str,
) -> OnlineWiki:
    """The process-wide backend for these settings, so its cache outlives one run."""
    key = (api_url, timeout_s, cache_size, cache_dir, user_agent)
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = OnlineWiki(
                api_url,
                timeout_s=timeout_s,
                cache_size=cache_size,
                cache_dir=cache_dir,
                user_agent=user_agent,
            )
        return backend


def clear_backends() -> None:
    """Forget every online backend and its memory cache (tests, settings reloads)."""
    with _backends_lock:
        _backends.clear()
