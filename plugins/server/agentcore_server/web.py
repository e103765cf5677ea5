"""The web page, served by the API's own process: server-rendered shells, data over /v1.

The pages hold no run data: a little JavaScript (``static/app.js``) reads and streams it from
the API with the tab's API key, so the page needs no key of its own and shows exactly what
the API shows that key. No build step: Jinja2 templates and two static files.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from agentcore_server.config import ServerConfig

HERE = Path(__file__).resolve().parent
RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


def mount_web(app: FastAPI, config: ServerConfig) -> None:
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    runnable = [(n, s) for n, s in config.agents.items() if s.kind != "chat"]
    chatty = [(n, s) for n, s in config.agents.items() if s.kind == "chat"]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "runs.html", {"agents": runnable})

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        return templates.TemplateResponse(request, "run.html", {"run_id": run_id})

    @app.get("/chat", response_class=HTMLResponse, include_in_schema=False)
    def chat_start_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "chat.html", {"agents": chatty, "conversation_id": None}
        )

    @app.get("/chat/{conversation_id}", response_class=HTMLResponse, include_in_schema=False)
    def chat_page(request: Request, conversation_id: str) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "chat.html", {"agents": chatty, "conversation_id": conversation_id}
        )
