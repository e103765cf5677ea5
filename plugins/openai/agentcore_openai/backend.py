"""A backend for any server that speaks the OpenAI completions/chat API.

This is how agentcore scales past one machine: vLLM, TGI, Ollama, or a
llama.cpp server. ``complete`` posts to ``/completions`` (the loops' text
prompts), ``chat`` to ``/chat/completions`` (the server applies the model's
chat template).

Generation settings keep agentcore's meaning:

* greedy → ``temperature: 0`` (plus ``top_k: 1`` in the extended dialect);
* sampling → ``temperature``, ``top_p`` and ``seed`` as given;
* ``top_k`` is not part of OpenAI's API. The default ``params=extended`` sends
  it (``0`` = no limit), which llama.cpp's server, llama-cpp-python's server
  and vLLM accept, and neutralises the samplers those servers add by default
  (``min_p: 0``, ``repeat_penalty: 1``) — llama-cpp-python's server would
  otherwise apply ``top_k=40, min_p=0.05, repeat_penalty=1.1`` to every call.
  ``params=standard`` sends only OpenAI's fields, for servers that reject
  unknown ones; a ``top_k`` then raises ``UnsupportedSettingError``. The default
  ``params=auto`` is extended only for servers whose ``/models`` listing names them as
  llama.cpp, llama-cpp-python or vLLM, and standard for any other (a hosted API).
* stop sequences are sent to the server *and* checked here as the text
  streams in, so they are honoured (and never returned) even by servers that
  limit their number or echo them.

Chat-only models: ``-o api=chat`` (or ``api=auto``, the default, once the server answers that
the model has no ``/completions``) sends each prompt as chat messages instead — the turns the
loop describes (:class:`~agentcore.models.PromptTurns`: instructions and exemplars as the
system message, the task and each observation as the user's, each earlier step as the
assistant's), with the stop sequences; the server applies the model's own chat template. The
reply is read back as the continuation of the prompt's lead (a chat model writes
``Thought 2:`` itself), so every agent runs unchanged.

Grammar-constrained actions: with ``-o grammar=gbnf`` the backend declares
``supports_grammar`` and sends the ReAct grammar as the request's ``grammar``
field, which llama.cpp's server and llama-cpp-python's server apply. Off by
default: other servers reject the field or spell it differently.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from agentcore.models import (
    Completion,
    GenerationConfig,
    Message,
    PromptTurns,
    Timings,
    ToolRequest,
    Usage,
)
from agentcore.plugin import (
    BackendError,
    ConfigError,
    LLMBackend,
    RunCancelled,
    StopScanner,
    TokenCallback,
    UnsupportedSettingError,
    reply_after_lead,
    validate_options,
)
from agentcore_openai.options import OpenAIOptions
from agentcore_openai.transport import HTTPStatusError, RetryPolicy, Transport, has_userinfo

API_KEY_ENVS = ("AGENTCORE_OPENAI_API_KEY", "OPENAI_API_KEY")
OPENAI_MAX_STOPS = 4
#: ``owned_by`` in the /models listing of servers that take the extended fields.
EXTENDED_SERVERS = {"llamacpp": "llama.cpp", "me": "llama-cpp-python", "vllm": "vLLM"}

log = logging.getLogger(__name__)


class OpenAIBackend(LLMBackend):
    """Talks to one OpenAI-compatible server; holds no model in this process."""

    name = "openai"
    supports_grammar = False
    supports_async = True
    supports_tools = True  # via /chat/completions' tools, whatever api= says
    accepts_turns = True  # sent only in chat mode (api=chat, or auto on a chat-only model)

    def __init__(self, model: str | None = None, **options: Any) -> None:
        """``options``: see :class:`~agentcore_openai.options.OpenAIOptions`."""
        opts = validate_options(OpenAIOptions, {"model": model, **options}, where="openai backend")
        base_url, api_key = opts.base_url, opts.api_key
        self.api = opts.api
        self.supports_grammar = opts.grammar == "gbnf"
        if api_key and has_userinfo(base_url):
            raise ConfigError(
                "openai backend: base_url carries credentials (user:password@) and api_key is "
                "set too; give one of them, not both"
            )
        # Credentials in base_url are sent as HTTP Basic auth, in place of a key from the
        # environment; either way transport.py keeps them out of every message.
        key = api_key or (
            None
            if has_userinfo(base_url)
            else next((os.environ[e] for e in API_KEY_ENVS if os.environ.get(e)), None)
        )
        self._http = Transport(
            base_url,
            api_key=key,
            timeout_s=opts.timeout,
            connect_timeout_s=opts.connect_timeout,
            retry=RetryPolicy(max_retries=opts.max_retries, backoff_s=opts.backoff),
        )
        served = self._served_models()
        self.params = self._dialect(opts.params, served)
        self.model_name = self._choose_model(opts.model, served)
        window = opts.context_window or opts.n_ctx or _window_from(served.get(self.model_name))
        self.context_window = int(window or 4096)
        self._tokenize_route: str | None = None  # found on first count_tokens
        self._async_http: Any = None  # made on the first async call (agentcore.aio)
        self._no_required_calls = False  # the server refused tool_choice=required once

    # -- set-up ------------------------------------------------------------------------------

    def _served_models(self) -> dict[str, dict[str, Any]]:
        """``/models`` by id; empty when the server has no such listing (some don't)."""
        try:
            listing = self._http.get_json("/models")
        except HTTPStatusError as exc:
            if exc.status in (404, 405):
                self._refuse_missing_v1()
                return {}
            raise
        entries = listing.get("data", []) if isinstance(listing, dict) else []
        return {str(e["id"]): e for e in entries if isinstance(e, dict) and "id" in e}

    def _dialect(self, params: str, served: dict[str, dict[str, Any]]) -> str:
        """``params=auto``: extended for a server that names itself llama.cpp or vLLM."""
        if params != "auto":
            return params
        if self.supports_grammar:
            return "extended"  # the grammar field is itself an extension
        owners = {str(entry.get("owned_by", "")) for entry in served.values()}
        known = sorted(EXTENDED_SERVERS[o] for o in owners if o in EXTENDED_SERVERS)
        log.info("openai backend: %s", f"{', '.join(known)} server, extended fields" if known
                 else "not a llama.cpp/vLLM server, OpenAI's fields only")  # fmt: skip
        return "extended" if known else "standard"

    def _refuse_missing_v1(self) -> None:
        """A base_url without its ``/v1`` is the usual slip: say so, rather than "no models"."""
        base = self._http.base_url
        if base.endswith("/v1"):
            return
        try:  # the same server, one level down: '//' paths are from the server's root
            self._http.get_json("/" + urlsplit(base).path.rstrip("/") + "/v1/models")
        except (HTTPStatusError, BackendError):
            return
        raise BackendError(
            f"base_url {base} lacks /v1: the server answers the OpenAI API at {base}/v1; "
            f"use -o base_url={base}/v1"
        )

    def _choose_model(self, model: str | None, served: dict[str, dict[str, Any]]) -> str:
        if model:
            if served and model not in served:
                raise BackendError(
                    f"the server at {self._http.base_url} does not serve model {model!r}; it "
                    f"serves: {', '.join(sorted(served))}. Pass one of those with --model"
                )
            return model
        if not served:
            raise BackendError(
                f"the server at {self._http.base_url} lists no models; name one with --model"
            )
        return next(iter(served))

    # -- tokens ------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """The server's own count where it offers a tokenizer endpoint, else an estimate.

        Tried once each, the first that works is kept: llama-cpp-python's
        ``/extras/tokenize``, then ``/tokenize`` at the server root (llama.cpp
        server reads ``content``, vLLM reads ``prompt`` and ``model``).
        """
        if self._tokenize_route is None:
            for route in ("//extras/tokenize", "//tokenize"):
                count = self._tokenize(route, text)
                if count is not None:
                    self._tokenize_route = route
                    return count
            self._tokenize_route = ""
        if self._tokenize_route:
            count = self._tokenize(self._tokenize_route, text)
            if count is not None:
                return count
        return super().count_tokens(text)

    def _tokenize(self, route: str, text: str) -> int | None:
        body = {"input": text, "content": text, "prompt": text, "model": self.model_name}
        try:
            answer = self._http.post_json(route, body)
        except BackendError:
            return None
        if isinstance(answer, dict):
            if isinstance(answer.get("tokens"), list):
                return len(answer["tokens"])
            if isinstance(answer.get("count"), int):
                return int(answer["count"])
        return None

    # -- generation --------------------------------------------------------------------------

    def complete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
        turns: PromptTurns | None = None,
    ) -> Completion:
        """Continue ``prompt`` via ``/completions``, or send ``turns`` via ``/chat/completions``
        (``api=chat``, or ``api=auto`` once the server has said the model is chat-only)."""
        if self.api != "chat":
            body = self._completion_body(prompt, config, grammar)
            try:
                completion = self._generate(
                    "/completions", body, config, on_token, _completion_text
                )
            except HTTPStatusError as exc:
                self._chat_only_now(exc)
            else:
                self.api = "completions"
                return completion
        body, shown, lead = self._chat_request(prompt, config, on_token, grammar, turns)
        sink = shown.feed if shown else on_token
        completion = self._generate("/chat/completions", body, config, sink, _chat_text)
        return _chat_reply(completion, shown, lead)

    async def acomplete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
        turns: PromptTurns | None = None,
    ) -> Completion:
        """:meth:`complete` on the asyncio client (``httpx.AsyncClient``), for async runs:
        the same requests, retries, errors and results."""
        if self.api != "chat":
            body = self._completion_body(prompt, config, grammar)
            try:
                completion = await self._agenerate(
                    "/completions", body, config, on_token, _completion_text
                )
            except HTTPStatusError as exc:
                self._chat_only_now(exc)
            else:
                self.api = "completions"
                return completion
        body, shown, lead = self._chat_request(prompt, config, on_token, grammar, turns)
        sink = shown.feed if shown else on_token
        completion = await self._agenerate("/chat/completions", body, config, sink, _chat_text)
        return _chat_reply(completion, shown, lead)

    def complete_tools(
        self,
        request: ToolRequest,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Call the request's tools through the server's tools API (``tools``,
        ``tool_choice``), one whole answer (tool-call deltas are not streamed)."""
        from agentcore_openai.tool_calls import chosen_without_call, tool_choice

        body = self._tools_body(request, config)
        started = time.perf_counter()
        try:
            answer = self._http.post_json("/chat/completions", body)
        except HTTPStatusError as exc:
            self._cannot_require(body, exc)
            answer = self._http.post_json("/chat/completions", body)
        named = chosen_without_call(answer, request)
        if named is not None:  # the server chose a function but did not call it: call it
            body = {**body, "tool_choice": tool_choice(request, named)}
            answer = self._http.post_json("/chat/completions", body)
        return self._tools_reply(body, config, answer, started)

    async def acomplete_tools(
        self,
        request: ToolRequest,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """:meth:`complete_tools` on the asyncio client."""
        if self._async_http is None:
            from agentcore_openai.async_transport import AsyncTransport

            self._async_http = AsyncTransport(self._http)
        from agentcore_openai.tool_calls import chosen_without_call, tool_choice

        body = self._tools_body(request, config)
        started = time.perf_counter()
        try:
            answer = await self._async_http.post_json("/chat/completions", body)
        except HTTPStatusError as exc:
            self._cannot_require(body, exc)
            answer = await self._async_http.post_json("/chat/completions", body)
        named = chosen_without_call(answer, request)
        if named is not None:
            body = {**body, "tool_choice": tool_choice(request, named)}
            answer = await self._async_http.post_json("/chat/completions", body)
        return self._tools_reply(body, config, answer, started)

    def _tools_body(self, request: ToolRequest, config: GenerationConfig) -> dict[str, Any]:
        from agentcore_openai.tool_calls import request_body

        body = {
            **request_body(self.data_messages(request.messages), request),
            **self._sampling(config),
        }
        if self._no_required_calls and body["tool_choice"] == "required":
            body["tool_choice"] = "auto"
        return body

    def _cannot_require(self, body: dict[str, Any], exc: HTTPStatusError) -> None:
        """After a failed tools request: when it required a call and the server refused it
        (llama-cpp-python's ``chatml-function-calling`` takes only ``auto``), ask with
        ``auto`` from now on; otherwise the failure stands."""
        if body.get("tool_choice") != "required" or exc.status not in (400, 422, 500):
            raise exc
        log.info("openai backend: the server refused tool_choice=required; using auto")
        self._no_required_calls = True
        body["tool_choice"] = "auto"

    def _tools_reply(
        self, body: dict[str, Any], config: GenerationConfig, answer: Any, started: float
    ) -> Completion:
        from agentcore_openai.tool_calls import read_reply

        text, calls, finish = read_reply(answer)
        return Completion(
            text=text,
            finish_reason=finish,
            usage=self._usage(answer.get("usage"), body, text, finish, config),
            timings=_timings(started, None, time.perf_counter(), answer.get("timings")),
            model=self.model_name,
            tool_calls=calls,
        )

    def _completion_body(
        self, prompt: str, config: GenerationConfig, grammar: str | None
    ) -> dict[str, Any]:
        return {"prompt": prompt, **self._sampling(config), **self._grammar(grammar)}

    def _chat_only_now(self, exc: HTTPStatusError) -> None:
        """After ``/completions`` failed: go on with chat if the server says the model is
        chat-only (``api=auto``); otherwise the failure stands."""
        if self.api == "completions" or not _chat_only(exc):
            raise exc
        log.info("openai backend: %s has no /completions; using chat", self.model_name)
        self.api = "chat"

    def _chat_request(
        self,
        prompt: str,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        grammar: str | None,
        turns: PromptTurns | None,
    ) -> tuple[dict[str, Any], _LeadFilter | None, str]:
        """The prompt as chat turns (the reply is read as the continuation of their lead):
        the request body, the filter that keeps the lead out of the streamed text, the lead."""
        if turns is None:  # a caller with text only: the whole transcript as the user's
            turns = PromptTurns(messages=[Message(role="user", content=prompt)])
        body = {
            "messages": [
                m.model_dump(exclude_none=True) for m in self.data_messages(turns.messages)
            ],
            **self._sampling(config),
            **self._grammar(grammar),
        }
        shown = _LeadFilter(turns.lead, on_token) if on_token is not None and turns.lead else None
        return body, shown, turns.lead

    def _grammar(self, grammar: str | None) -> dict[str, Any]:
        if grammar is None:
            return {}
        if not self.supports_grammar:
            raise UnsupportedSettingError(
                "a grammar was given but this openai backend sends none; create it with "
                "-o grammar=gbnf if the server is llama.cpp's or llama-cpp-python's"
            )
        return {"grammar": grammar}

    def chat(
        self,
        messages: Sequence[Message],
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Reply via ``/chat/completions``; the server applies the model's chat template.

        Contents are data: special-token strings in them are escaped here, since the server
        would parse them as the template's own markers.
        """
        body = {
            "messages": [m.model_dump(exclude_none=True) for m in self.data_messages(messages)],
            **self._sampling(config),
        }
        return self._generate("/chat/completions", body, config, on_token, _chat_text)

    def _sampling(self, config: GenerationConfig) -> dict[str, Any]:
        """GenerationConfig → request fields (see the module docstring)."""
        extended = self.params == "extended"
        if not extended and config.top_k is not None and not config.is_greedy:
            raise UnsupportedSettingError(
                f"top_k={config.top_k} cannot be sent with -o params=standard (OpenAI's API has "
                "no top_k); use -o params=extended if the server accepts top_k (llama.cpp, vLLM), "
                "or leave top_k unset"
            )
        body: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": config.max_new_tokens,
            "presence_penalty": 0.0,
            "frequency_penalty": 0.0,
        }
        if config.is_greedy:
            body.update(temperature=0.0, top_p=1.0)
            if extended:
                body["top_k"] = 1
        else:
            body.update(temperature=config.temperature, top_p=config.top_p)
            if config.seed is not None:
                body["seed"] = config.seed
            if extended:
                body["top_k"] = config.top_k or 0
        if extended:
            body.update(min_p=0.0, repeat_penalty=1.0)
        if config.stop:
            stops = list(config.stop)
            body["stop"] = stops if extended else stops[:OPENAI_MAX_STOPS]
        return body

    def _generate(
        self,
        path: str,
        body: dict[str, Any],
        config: GenerationConfig,
        on_token: TokenCallback | None,
        text_of: Any,
    ) -> Completion:
        reading = _Reading(StopScanner(config.stop, on_token), text_of)
        if on_token is None:
            reading.answer(self._http.post_json(path, body))
        else:
            request = {**body, "stream": True, "stream_options": {"include_usage": True}}
            events: Iterator[dict[str, Any]] = self._http.post_stream(path, request)
            try:
                for event in events:
                    if reading.event(event):
                        break  # our stop sequence: closing the stream tells the server to stop
            except (KeyboardInterrupt, RunCancelled):
                reading.finish = "cancelled"
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()
        return self._completion(reading, body, config)

    async def _agenerate(
        self,
        path: str,
        body: dict[str, Any],
        config: GenerationConfig,
        on_token: TokenCallback | None,
        text_of: Any,
    ) -> Completion:
        if self._async_http is None:
            from agentcore_openai.async_transport import AsyncTransport

            self._async_http = AsyncTransport(self._http)
        reading = _Reading(StopScanner(config.stop, on_token), text_of)
        if on_token is None:
            reading.answer(await self._async_http.post_json(path, body))
        else:
            request = {**body, "stream": True, "stream_options": {"include_usage": True}}
            events = self._async_http.post_stream(path, request)
            try:
                async for event in events:
                    if reading.event(event):
                        break
            except RunCancelled:
                reading.finish = "cancelled"
            finally:
                await events.aclose()
        return self._completion(reading, body, config)

    def _completion(
        self, reading: _Reading, body: dict[str, Any], config: GenerationConfig
    ) -> Completion:
        ended = time.perf_counter()
        scanner, finish = reading.scanner, reading.finish
        text = scanner.text if finish == "cancelled" else scanner.finish()
        if scanner.stopped_by is not None:
            finish = "stop"
        return Completion(
            text=text,
            finish_reason=finish,
            stop_sequence=scanner.stopped_by,
            usage=self._usage(reading.usage, body, text, finish, config),
            timings=_timings(reading.started, reading.first_at, ended, reading.timings),
            model=self.model_name,
        )

    def _usage(
        self, reported: Any, body: dict[str, Any], text: str, finish: str, config: GenerationConfig
    ) -> Usage:
        """Token counts as the server reported them, or counted when it did not."""
        if isinstance(reported, dict) and "prompt_tokens" in reported:
            prompt = int(reported.get("prompt_tokens") or 0)
            details = reported.get("prompt_tokens_details") or {}
            cached = int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
            return Usage(
                prompt_tokens=prompt,
                prompt_tokens_evaluated=max(0, prompt - cached),
                completion_tokens=int(reported.get("completion_tokens") or 0),
            )
        # Streams from servers that ignore include_usage (llama-cpp-python's) carry no usage.
        prompt_text = body.get("prompt")
        if not isinstance(prompt_text, str):
            prompt_text = "\n".join(m["content"] for m in body.get("messages", []))
        prompt = self.count_tokens(prompt_text)
        if finish == "length":
            generated = config.max_new_tokens  # the server stopped because it made that many
        else:
            generated = min(self.count_tokens(text) if text else 0, config.max_new_tokens)
        return Usage(
            prompt_tokens=prompt, prompt_tokens_evaluated=prompt, completion_tokens=generated
        )


class _Reading:
    """What one generation request has returned so far (its answer, or its stream's events)."""

    def __init__(self, scanner: StopScanner, text_of: Any) -> None:
        self.scanner, self.text_of = scanner, text_of
        self.started = time.perf_counter()
        self.finish, self.usage, self.timings = "stop", None, None
        self.first_at: float | None = None

    def answer(self, answer: Any) -> None:
        """A whole (not streamed) answer."""
        choice = _first_choice(answer)
        self.scanner.feed(self.text_of(choice, streaming=False))
        self.finish = _finish(choice.get("finish_reason"))
        self.usage, self.timings = answer.get("usage"), answer.get("timings")

    def event(self, event: dict[str, Any]) -> bool:
        """One streamed event; ``True`` once a stop sequence ended the text."""
        self.usage = event.get("usage") or self.usage
        self.timings = event.get("timings") or self.timings
        choices = event.get("choices") or []
        if not choices:
            return False
        piece = self.text_of(choices[0], streaming=True)
        if piece and self.first_at is None:
            self.first_at = time.perf_counter()
        if self.scanner.feed(piece):
            return True
        if choices[0].get("finish_reason"):
            self.finish = _finish(choices[0]["finish_reason"])
        return False


def _chat_reply(completion: Completion, shown: _LeadFilter | None, lead: str) -> Completion:
    if shown is not None:
        shown.flush()
    return completion.model_copy(update={"text": reply_after_lead(completion.text, lead)})


def _completion_text(choice: dict[str, Any], *, streaming: bool) -> str:
    return str(choice.get("text") or "")


def _chat_text(choice: dict[str, Any], *, streaming: bool) -> str:
    part = choice.get("delta" if streaming else "message") or {}
    return str(part.get("content") or "")


def _chat_only(error: HTTPStatusError) -> bool:
    """The server's answer to /completions says the model (or server) takes chat only."""
    text = str(error).lower()
    return error.status in (404, 405) or (error.status == 400 and "chat" in text)


class _LeadFilter:
    """Streams a chat reply without the lead it repeats (``Thought 2:``), as the text prompt's
    continuation would stream: held back only while it may still be that lead."""

    def __init__(self, lead: str, on_token: TokenCallback) -> None:
        self.lead, self.on_token = lead, on_token
        self.markers = [line.strip() for line in lead.strip().splitlines()[:1]]
        self.held: str | None = ""

    def feed(self, piece: str) -> None:
        if self.held is None:
            self.on_token(piece)
            return
        self.held += piece
        probe = self.held.lstrip()
        if any(m.startswith(probe) and len(probe) < len(m) for m in self.markers):
            return  # may still turn out to be the lead
        text, self.held = reply_after_lead(self.held, self.lead), None
        if text:
            self.on_token(text)

    def flush(self) -> None:
        if self.held:
            self.on_token(reply_after_lead(self.held, self.lead))
        self.held = None


def _first_choice(answer: Any) -> dict[str, Any]:
    choices = answer.get("choices") if isinstance(answer, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise BackendError(f"the server's answer has no choices: {str(answer)[:200]}")
    return choices[0]


def _finish(reason: Any) -> str:
    return "length" if reason == "length" else "stop"


def _window_from(entry: dict[str, Any] | None) -> int | None:
    """A context size from a ``/models`` entry: vLLM's ``max_model_len``, llama.cpp's meta."""
    if not entry:
        return None
    for value in (entry.get("max_model_len"), (entry.get("meta") or {}).get("n_ctx")):
        if isinstance(value, int) and value > 0:
            return value
    return None


def _timings(started: float, first_at: float | None, ended: float, server: Any) -> Timings:
    """Wall-clock split; llama.cpp's server reports its own prompt/generation times."""
    if isinstance(server, dict) and "prompt_ms" in server and "predicted_ms" in server:
        return Timings(
            total_s=ended - started,
            prompt_s=float(server["prompt_ms"]) / 1000,
            generation_s=float(server["predicted_ms"]) / 1000,
        )
    if first_at is None:
        return Timings(total_s=ended - started)
    return Timings(
        total_s=ended - started, prompt_s=first_at - started, generation_s=ended - first_at
    )
