"""The REST API: ``/v1/...`` routes over the run registry, the worker pool and the key store.

Every route declares its request and response models, so the OpenAPI schema FastAPI
generates (``/openapi.json``, browsable at ``/docs``) is the API's contract. Requests and
their failures:

* a missing or wrong bearer token is 401, a key without the route's scope 403, another
  key's run 404 (whether it exists is not the caller's to learn);
* a body over ``max_body_bytes`` is 413 before it is read whole; malformed JSON, unknown
  fields and bad values are 422 with each problem's place and message (never the input);
* a full queue, a key past its rate or its number of active runs is 429 with
  ``Retry-After``;
* anything unexpected is 500 with a request id — the traceback goes to the server's log,
  never into a response. Every request is logged with its key id, never the key.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import defaultdict, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agentcore.plugin import (
    ConfigError,
    NotFoundError,
    RunQuery,
    RunStore,
    StoredConversation,
    StoredFeedback,
    StoredRun,
    create_provider,
    get_plugin_manager,
    open_run_store,
)
from agentcore_server.config import ServerConfig, ServerSettings
from agentcore_server.keys import ApiKey, KeyStore, Scope
from agentcore_server.runs import (
    ACTIVE,
    RunRegistry,
    ServedRun,
    conversation_view,
    detail,
    replay,
    summary,
)
from agentcore_server.web import mount_web
from agentcore_server.workers import QueueFull, WorkerPool

log = logging.getLogger("agentcore.server")
RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
AUTH_CHECK_S = 5.0


# -- the contract ----------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRun(Strict):
    agent: str = Field(description="The name of a configured agent (GET /v1/agents).")
    input: str = Field(min_length=1, description="The question, problem or text to run on.")
    run_id: str | None = Field(
        None, pattern=RUN_ID_PATTERN, description="Name the run yourself (8-64 of A-Z a-z 0-9 _ -)."
    )


class StartConversation(Strict):
    agent: str = Field(description="The name of a configured chat agent.")


class MessageIn(Strict):
    text: str = Field(min_length=1, description="The user's message.")


class MessageOut(BaseModel):
    role: Literal["user", "agent"]
    text: str | None
    run_id: str
    status: str | None = None


class ConversationOut(BaseModel):
    conversation_id: str
    agent: str
    created_at: float
    busy: bool = Field(description="A reply is being written; post the next message after it.")
    messages: list[MessageOut]


class FeedbackIn(Strict):
    rating: Literal["good", "bad"]
    note: str | None = Field(None, max_length=2000)


class FeedbackOut(BaseModel):
    rating: Literal["good", "bad"]
    note: str | None
    key_id: str | None
    at: float


class RunSummary(BaseModel):
    run_id: str
    agent: str
    conversation_id: str | None
    status: str = Field(
        description="queued, running, then finished, max_steps, error, cancelled or refused"
    )
    input: str
    answer: str | None
    error: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    step_count: int
    feedback: str | None = Field(description="The latest rating, if any.")


class RunDetail(RunSummary):
    steps: list[dict[str, Any]] = Field(description="Every step so far, as the engine records it.")
    usage: dict[str, Any] | None
    warnings: list[str]
    notes: list[str]
    feedback: list[FeedbackOut]  # type: ignore[assignment]
    last_event_id: int = Field(description="Events so far; GET .../events resumes after it.")


class RunList(BaseModel):
    runs: list[RunSummary]
    total: int
    next_offset: int | None


class AgentInfo(BaseModel):
    name: str
    kind: str
    description: str
    backend: str
    model: str | None


class Health(BaseModel):
    status: Literal["ok"]
    workers: int
    busy: int
    queued: int
    queue_size: int


class Problem(BaseModel):
    error: str
    detail: list[dict[str, Any]] | None = None
    request_id: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


# -- the caller ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key, or anyone when the server runs without keys (loopback only)."""

    key: ApiKey | None

    @property
    def key_id(self) -> str | None:
        return self.key.key_id if self.key else None

    def sees(self, owned: StoredRun | StoredConversation) -> bool:
        return self.key is None or self.key.scope == "read" or owned.key_id == self.key.key_id

    @property
    def only_key_id(self) -> str | None:
        """Lists show a run-scoped key its own runs only (a read key sees every run)."""
        return None if self.key is None or self.key.scope == "read" else self.key.key_id


class Limiter:
    """Requests per minute per caller (a sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, who: str) -> None:
        now = time.monotonic()
        hits = self._hits[who]
        while hits and now - hits[0] > 60.0:
            hits.popleft()
        if len(hits) >= self.per_minute:
            retry = max(1, int(60.0 - (now - hits[0])) + 1)
            raise HTTPException(
                429,
                f"more than {self.per_minute} requests in a minute; retry in {retry} s",
                headers={"Retry-After": str(retry)},
            )
        hits.append(now)


class Auth:
    """Bearer-token checks against the key store; off while no key exists on loopback."""

    def __init__(self, keys: KeyStore | None, *, required: bool) -> None:
        self.keys = keys
        self.required = required
        self._on: tuple[bool, float] = (required, 0.0)

    def enabled(self) -> bool:
        if self.required or self.keys is None:
            return self.required
        on, checked = self._on
        if time.monotonic() - checked > AUTH_CHECK_S:
            on = self.keys.any_active()
            self._on = (on, time.monotonic())
        return on

    def caller(self, authorization: str | None) -> Caller:
        if not self.enabled():
            return Caller(key=None)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(
                401, "an API key is required: Authorization: Bearer ak_...",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        key = self.keys.verify(token.strip()) if self.keys else None
        if key is None:
            raise HTTPException(
                401, "the API key is not valid (wrong, or revoked)",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return Caller(key=key)


# -- the application -------------------------------------------------------------------------


def create_app(
    config: ServerConfig,
    *,
    keys: KeyStore | None,
    pool: WorkerPool | None = None,
    registry: RunRegistry | None = None,
) -> FastAPI:
    settings = config.server
    registry = registry or RunRegistry(
        open_store(settings), replica=settings.replica_name(), keep=settings.keep_runs
    )
    auth = Auth(keys, required=not settings.loopback)
    limiter = Limiter(settings.rate_per_minute)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        lost = registry.mark_lost()
        if lost:
            log.warning(
                "%d runs were queued or running when replica %s stopped; marked lost: %s",
                len(lost), registry.replica, ", ".join(lost[:20]),
            )  # fmt: skip
        app.state.pool = pool or WorkerPool(
            config.agents,
            workers=settings.workers,
            queue_size=settings.queue_size,
            max_wall_s=settings.max_wall_s,
            memory=registry.store,
        )
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(app.state.pool.shutdown, settings.shutdown_grace_s)
            registry.store.close()

    app = FastAPI(
        title="agentcore",
        version="1",
        summary="Run configured agents; follow their steps live; rate the answers.",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operationId = the function
    )
    app.openapi = lambda: _openapi(app, config)  # type: ignore[method-assign]
    app.state.registry = registry
    _install_guards(app, settings.max_body_bytes, settings.cors_origins)
    mount_web(app, config)

    def caller_for(scope: Scope):
        def check(request: Request, authorization: str | None = Header(None)) -> Caller:
            caller = auth.caller(authorization)
            request.state.key_id = caller.key_id
            if caller.key is not None and not caller.key.allows(scope):
                raise HTTPException(403, f"this API key may only {caller.key.scope}")
            limiter.check(caller.key_id or (request.client.host if request.client else "-"))
            return caller

        return check

    reader, runner = Depends(caller_for("read")), Depends(caller_for("run"))

    def visible(run_id: str, caller: Caller) -> StoredRun:
        run = registry.find(run_id)
        if run is None or not caller.sees(run):
            raise HTTPException(404, f"no run {run_id}")
        return run

    def shown(run: StoredRun) -> dict[str, Any]:
        run, last_event_id = registry.snapshot(run)
        feedback = registry.feedback([run.run_id]).get(run.run_id, [])
        return detail(run, feedback, last_event_id)

    @app.get("/v1/health", response_model=Health, tags=["server"])
    def health() -> dict[str, Any]:
        """Whether the server is up, and how busy its workers are (no key needed)."""
        return {"status": "ok", **app.state.pool.stats()}

    @app.get("/v1/agents", response_model=list[AgentInfo], responses=ERRORS, tags=["agents"])
    def agents(caller: Caller = reader) -> list[dict[str, Any]]:
        """The agents this server runs."""
        return [
            {"name": name, "kind": spec.kind, "description": spec.description,
             "backend": spec.backend, "model": spec.model}
            for name, spec in config.agents.items()
        ]  # fmt: skip

    def agent_spec(name: str, *, chat: bool) -> Any:
        spec = config.agents.get(name)
        if spec is None:
            known = ", ".join(config.agents) or "none configured"
            raise HTTPException(404, f"no agent {name!r} (agents: {known})")
        if chat and spec.kind != "chat":
            raise HTTPException(422, f"{name!r} is a {spec.kind} agent: start runs with /v1/runs")
        if not chat and spec.kind == "chat":
            raise HTTPException(422, f"{name!r} is a chat agent: talk to it in /v1/conversations")
        return spec

    def queue_run(
        agent: str,
        text: str,
        caller: Caller,
        run_id: str | None = None,
        conversation_id: str | None = None,
    ) -> ServedRun:
        if len(text) > settings.max_input_chars:
            raise HTTPException(
                413, f"the input has {len(text)} characters; at most "
                f"{settings.max_input_chars} are accepted",
            )  # fmt: skip
        if caller.key_id is not None:
            active = registry.active_for(caller.key_id)
            if active >= settings.max_active_runs_per_key:
                raise HTTPException(
                    429, f"this key has {active} runs queued or running (at most "
                    f"{settings.max_active_runs_per_key}); retry when one ends",
                    headers={"Retry-After": "5"},
                )  # fmt: skip
        run = ServedRun(
            run_id=run_id or secrets.token_hex(6),
            agent=agent,
            input=text,
            key_id=caller.key_id,
            conversation_id=conversation_id,
        )
        try:
            registry.add(run)
        except KeyError:
            raise HTTPException(409, f"a run {run.run_id} exists already") from None
        try:
            app.state.pool.submit(run)
        except QueueFull as exc:
            registry.discard(run.run_id)
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}
            ) from None
        return run

    @app.post(
        "/v1/runs", status_code=202, response_model=RunDetail, responses=ERRORS, tags=["runs"]
    )
    def start_run(body: StartRun, caller: Caller = runner) -> dict[str, Any]:
        """Start a run; it is queued at once and its id returned (follow it with /events)."""
        agent_spec(body.agent, chat=False)
        return shown(queue_run(body.agent, body.input, caller, run_id=body.run_id).to_stored())

    def own_conversation(conversation_id: str, caller: Caller) -> StoredConversation:
        conversation = registry.store.get_conversation(conversation_id)
        if conversation is None or not caller.sees(conversation):
            raise HTTPException(404, f"no conversation {conversation_id}")
        return conversation

    @app.post(
        "/v1/conversations",
        status_code=201,
        response_model=ConversationOut,
        responses=ERRORS,
        tags=["conversations"],
    )
    def start_conversation(body: StartConversation, caller: Caller = runner) -> dict[str, Any]:
        """Open a conversation with a chat agent."""
        agent_spec(body.agent, chat=True)
        conversation = StoredConversation(
            conversation_id=secrets.token_hex(6), agent=body.agent, key_id=caller.key_id
        )
        registry.store.save_conversation(conversation)
        return conversation_view(conversation, [])

    @app.post(
        "/v1/conversations/{conversation_id}/messages",
        status_code=202,
        response_model=RunDetail,
        responses=ERRORS,
        tags=["conversations"],
    )
    def post_message(
        conversation_id: str, body: MessageIn, caller: Caller = runner
    ) -> dict[str, Any]:
        """Send the user's next message; the reply is the run's answer (stream its /events)."""
        conversation = own_conversation(conversation_id, caller)
        with registry.turn_lock(conversation_id):  # one turn at a time: after the reply
            if any(run.status in ACTIVE for run in registry.turns(conversation_id)):
                raise HTTPException(
                    409, "the agent is still replying to the last message; send this one after it"
                )
            run = queue_run(conversation.agent, body.text, caller, conversation_id=conversation_id)
        return shown(run.to_stored())

    @app.get(
        "/v1/conversations/{conversation_id}",
        response_model=ConversationOut,
        responses=ERRORS,
        tags=["conversations"],
    )
    def get_conversation(conversation_id: str, caller: Caller = reader) -> dict[str, Any]:
        """The conversation so far: each message and each reply, with its run."""
        conversation = own_conversation(conversation_id, caller)
        return conversation_view(conversation, registry.turns(conversation_id))

    @app.get("/v1/runs", response_model=RunList, responses=ERRORS, tags=["runs"])
    def list_runs(
        caller: Caller = reader,
        status: str | None = Query(None, max_length=20),
        agent: str | None = Query(None, max_length=64),
        limit: int = Query(20, ge=1, le=100),
        offset: int = Query(0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """Runs newest first, filtered by status and agent, a page at a time (every run in
        the store: this server's, earlier ones', other replicas')."""
        query = RunQuery(
            status=status, agent=agent, key_id=caller.only_key_id, limit=limit, offset=offset
        )
        page, total = registry.list(query)
        feedback = registry.feedback([run.run_id for run in page])
        return {
            "runs": [summary(run, feedback.get(run.run_id, [])) for run in page],
            "total": total,
            "next_offset": offset + limit if offset + limit < total else None,
        }

    @app.get("/v1/runs/{run_id}", response_model=RunDetail, responses=ERRORS, tags=["runs"])
    def get_run(run_id: str, caller: Caller = reader) -> dict[str, Any]:
        """A run: status, answer and every step so far."""
        return shown(visible(run_id, caller))

    @app.post(
        "/v1/runs/{run_id}/cancel",
        status_code=202,
        response_model=RunDetail,
        responses=ERRORS,
        tags=["runs"],
    )
    def cancel_run(run_id: str, caller: Caller = runner) -> dict[str, Any]:
        """Ask a run to stop; it ends ``cancelled`` with its trace (an ended run is unchanged)."""
        stored = visible(run_id, caller)
        if stored.status in ACTIVE:
            run = registry.live(run_id)
            if run is None:
                raise HTTPException(
                    409, f"run {run_id} is active on replica {stored.replica!r}; "
                    "cancel it through that server",
                )  # fmt: skip
            run.cancel_requested.set()
            if run.cancel is not None:
                run.cancel()
        return shown(registry.find(run_id) or stored)

    @app.get(
        "/v1/runs/{run_id}/events",
        responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
        tags=["runs"],
    )
    async def run_events(
        run_id: str,
        caller: Caller = reader,
        last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    ) -> EventSourceResponse:
        """The run's events as Server-Sent Events: ``queued``, ``started``, ``token``,
        ``retry``, ``step``, ``end``. Reconnect with ``Last-Event-ID`` to get only what
        followed; disconnecting does not affect the run. A run this server does not hold
        (another replica's, or one from before a restart) is replayed from the store:
        ``queued``, ``started``, its steps and ``end``, numbered on their own, no tokens."""
        await anyio.to_thread.run_sync(visible, run_id, caller)
        after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
        live = registry.live(run_id)
        source = live.follow(after) if live is not None else replay(registry.store, run_id, after)

        async def events():
            async for event in source:
                yield {"id": str(event.id), "event": event.kind, "data": json.dumps(event.data)}

        return EventSourceResponse(events(), ping=15)

    @app.post(
        "/v1/runs/{run_id}/feedback",
        status_code=201,
        response_model=FeedbackOut,
        responses=ERRORS,
        tags=["runs"],
    )
    def give_feedback(run_id: str, body: FeedbackIn, caller: Caller = runner) -> dict[str, Any]:
        """Rate a run's answer good or bad, with an optional note."""
        run = visible(run_id, caller)
        if run.status in ACTIVE:
            raise HTTPException(409, f"run {run_id} has not ended; rate it when it has")
        entry = StoredFeedback(
            run_id=run_id, rating=body.rating, note=body.note, key_id=caller.key_id
        )
        registry.store.add_feedback(entry)
        source = f"api:{caller.key_id}" if caller.key_id else "api"
        for failure in get_plugin_manager().emit(
            "on_feedback", run_id=run_id, rating=body.rating, note=body.note, source=source
        ):
            log.warning("feedback on %s not stored by %s: %s", run_id, failure.name, failure.error)
        return entry.model_dump(exclude={"run_id"})

    return app


def open_store(settings: ServerSettings) -> RunStore:
    """The run store ``[server] store`` names (``memory``: DuckDB in memory, for trying out)."""
    if settings.store == "memory":
        try:
            return create_provider("run_store", "duckdb", path=":memory:")
        except NotFoundError:
            raise ConfigError(
                "store = 'memory' needs the duckdb run store: install agentcore-store"
            ) from None
    return open_run_store(settings.store_location())


# -- guards around every request -------------------------------------------------------------


def _install_guards(app: FastAPI, max_body_bytes: int, cors_origins: list[str]) -> None:
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        request.state.request_id = secrets.token_hex(6)
        request.state.key_id = None
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            log.info(
                "%s %s %d key=%s %.1f ms id=%s",
                request.method, request.url.path, status,
                getattr(request.state, "key_id", None) or "-",
                (time.perf_counter() - started) * 1000, request.state.request_id,
            )  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_methods_of(app, request.url.path))
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"where": ".".join(str(part) for part in error.get("loc", ())), "problem": error["msg"]}
            for error in exc.errors()
        ]
        summary = "; ".join(f"{d['where']}: {d['problem']}" for d in detail[:5])
        return JSONResponse({"error": f"invalid request: {summary}", "detail": detail}, 422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        log.exception("request %s failed", request_id)
        return JSONResponse(
            {"error": "internal server error", "request_id": request_id}, status_code=500
        )


#: Where the id a creating operation returns is used next (OpenAPI links): clients and
#: schemathesis's stateful phase follow them from a new run to reading, streaming, rating it.
LINKS = {
    ("/v1/runs", "post", "202"): (
        "run_id",
        ["get_run", "run_events", "cancel_run", "give_feedback"],
    ),
    ("/v1/conversations", "post", "201"): ("conversation_id", ["get_conversation", "post_message"]),
}


def _openapi(app: FastAPI, config: ServerConfig) -> dict[str, Any]:
    """FastAPI's schema, plus what only this server knows: its agents' names, and links."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    models = schema["components"]["schemas"]
    for model, chat in (("StartRun", False), ("StartConversation", True)):
        names = sorted(n for n, spec in config.agents.items() if (spec.kind == "chat") == chat)
        if names:
            models[model]["properties"]["agent"]["enum"] = names
    for (path, method, status), (field, targets) in LINKS.items():
        response = schema["paths"][path][method]["responses"][status]
        response["links"] = {
            target: {"operationId": target, "parameters": {field: f"$response.body#/{field}"}}
            for target in targets
        }
    app.openapi_schema = schema
    return schema


def _methods_of(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` (413) — by its Content-Length at once, or as
    soon as the body read so far passes the limit — before any route parses it."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(
            {"error": f"the request body is over the server's {self.max_bytes}-byte limit"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
