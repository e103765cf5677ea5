"""A small local HTTP server that answers like the MediaWiki API, for tests and benchmarks.

It serves exactly the queries the ``wikipedia`` package makes for the online
backend (``action=query`` with ``list=search``; ``prop=info|pageprops`` for
page existence, redirects and disambiguation pages; ``prop=revisions`` with
``rvparse`` for a disambiguation page's links; ``prop=extracts|revisions`` for
a page's plain text) from pages held in memory. It binds 127.0.0.1 on an
ephemeral port, records every request, and can be told to fail (HTTP status)
or to be slow — so the online backend is tested without the network.

    with FakeMediaWiki(pages={"Arthur's Magazine": "Arthur's Magazine (1844–1846) ..."}) as wiki:
        settings = {"wikipedia": {"mode": "online", "api_url": wiki.api_url}}
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from agentcore_wikipedia.text import tokenize


class FakeMediaWiki:
    """An in-memory wiki behind a MediaWiki-like ``/w/api.php``."""

    def __init__(
        self,
        pages: Mapping[str, str] | None = None,
        *,
        disambiguations: Mapping[str, list[str]] | None = None,
        redirects: Mapping[str, str] | None = None,
    ) -> None:
        self.pages = dict(pages or {})
        self.disambiguations = dict(disambiguations or {})
        self.redirects = dict(redirects or {})
        self.requests: list[dict[str, str]] = []
        self.fail_status: int | None = None  # answer every request with this HTTP status
        self.delay_s = 0.0  # wait this long before answering
        self._release = threading.Event()  # set on close, so slow handlers end at once
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/w/api.php"

    def start(self) -> FakeMediaWiki:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # so close() returns at once
            name="fake-mediawiki",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeMediaWiki:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, **match: str) -> int:
        """How many requests carried all of the given parameters."""
        with self._lock:
            return sum(all(r.get(k) == v for k, v in match.items()) for r in self.requests)

    # -- answering ---------------------------------------------------------------------------

    def _page_ids(self) -> dict[str, int]:
        titles = sorted({*self.pages, *self.disambiguations})
        return {title: 1000 + number for number, title in enumerate(titles)}

    def answer(self, params: dict[str, str]) -> dict[str, Any]:
        """The JSON body for one API request."""
        if params.get("action", "query") != "query":
            return {"error": {"code": "badvalue", "info": "only action=query is served"}}
        if params.get("list") == "search":
            return self._search(params)
        prop = params.get("prop", "")
        if prop == "info|pageprops":
            return self._info(params.get("titles", ""))
        if prop == "revisions" and "rvparse" in params:
            return self._disambiguation_html(params.get("titles", ""))
        if prop == "extracts|revisions":
            return self._extract(params.get("titles", ""))
        return {"error": {"code": "unsupported", "info": f"fake MediaWiki cannot answer {params}"}}

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        words = set(tokenize(params.get("srsearch", "")))
        limit = int(params.get("srlimit", "10"))
        scored = []
        for title in sorted({*self.pages, *self.disambiguations}):
            text = title + " " + self.pages.get(title, "")
            hits = len(words & set(tokenize(text))) + 2 * len(words & set(tokenize(title)))
            if hits:
                scored.append((-hits, title))
        found = [{"ns": 0, "title": title} for _, title in sorted(scored)[:limit]]
        return {
            "batchcomplete": "",
            "query": {"searchinfo": {"totalhits": len(found)}, "search": found},
        }

    def _info(self, title: str) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if title in self.redirects:
            query["redirects"] = [{"from": title, "to": self.redirects[title]}]
            title = self.redirects[title]
        ids = self._page_ids()
        if title not in ids:
            query["pages"] = {"-1": {"ns": 0, "title": title, "missing": ""}}
            return {"batchcomplete": "", "query": query}
        page: dict[str, Any] = {
            "pageid": ids[title],
            "ns": 0,
            "title": title,
            "contentmodel": "wikitext",
            "fullurl": f"https://en.wikipedia.org/wiki/{title.replace(' ', '_')}",
        }
        if title in self.disambiguations:
            page["pageprops"] = {"disambiguation": ""}
        query["pages"] = {str(ids[title]): page}
        return {"batchcomplete": "", "query": query}

    def _disambiguation_html(self, title: str) -> dict[str, Any]:
        ids = self._page_ids()
        items = "".join(
            f'<li><a href="/wiki/{html.escape(o)}" title="{html.escape(o)}">{html.escape(o)}</a>'
            f", a page</li>"
            for o in self.disambiguations.get(title, [])
        )
        body = f"<p><b>{html.escape(title)}</b> may refer to:</p><ul>{items}</ul>"
        page = {"pageid": ids.get(title, -1), "title": title, "revisions": [{"*": body}]}
        return {"query": {"pages": {str(ids.get(title, -1)): page}}}

    def _extract(self, title: str) -> dict[str, Any]:
        ids = self._page_ids()
        if title not in self.pages:
            return {"query": {"pages": {"-1": {"ns": 0, "title": title, "missing": ""}}}}
        page = {
            "pageid": ids[title],
            "ns": 0,
            "title": title,
            "extract": self.pages[title],
            "revisions": [{"revid": 5000 + ids[title], "parentid": 4000 + ids[title]}],
        }
        return {"batchcomplete": "", "query": {"pages": {str(ids[title]): page}}}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        wiki = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                with wiki._lock:
                    wiki.requests.append(params)
                if wiki.delay_s:
                    wiki._release.wait(wiki.delay_s)
                if url.path != "/w/api.php":
                    return self._send(404, {"error": {"code": "notfound", "info": url.path}})
                if wiki.fail_status is not None:
                    return self._send(wiki.fail_status, None)
                self._send(200, wiki.answer(params))

            def _send(self, status: int, body: dict[str, Any] | None) -> None:
                data = (
                    json.dumps(body).encode()
                    if body is not None
                    else b"<html><body>Internal error</body></html>"
                )
                try:
                    self.send_response(status)
                    kind = "application/json" if body is not None else "text/html"
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
