"""OpenTelemetry traces of agentcore runs: a span per run, per model call and per tool call.

The spans follow the OpenTelemetry GenAI semantic conventions — ``invoke_agent`` for a run,
``text_completion`` for a model call, ``execute_tool`` for a tool call, with
``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` / ``output_tokens``,
``gen_ai.response.finish_reasons`` — and add agentcore's own: ``agentcore.run_id``,
``agentcore.step.index``, ``agentcore.usage.prompt_tokens_evaluated`` (what the backend ran
after KV reuse, beside the tokens sent), ``agentcore.step.grammar_repaired``, the run's status.

Off unless OpenTelemetry is configured, and then it sends only where that says: an
application that installed its own ``TracerProvider`` gets the spans there; otherwise the
standard environment variables (``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``OTEL_SERVICE_NAME``, ...) make the plugin set up the
SDK with the exporter they name. With neither, every hook returns at once.

The hooks are the engine's event hooks (:mod:`agentcore.hookspecs`); this plugin only reads.
Prompts, completions and tool arguments are not recorded (they may hold personal data).
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any

from agentcore.plugin import hookimpl

if TYPE_CHECKING:
    from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult, Step

#: Any of these set: OpenTelemetry is configured from the environment.
CONFIGURING_ENV = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)
TRACER_NAME = "agentcore"

_lock = threading.Lock()
_provider: Any = None
_resolved = False
_runs: dict[str, Any] = {}  # run id → its span
_calls: dict[tuple[str, int], list[Any]] = {}  # (run id, step) → model-call spans open


def use_tracer_provider(provider: Any) -> None:
    """Send agentcore's spans to ``provider`` (an application's, or a test's) from now on;
    ``None`` goes back to what the environment configures."""
    global _provider, _resolved
    with _lock:
        _provider, _resolved = provider, provider is not None


def _tracer() -> Any:
    """The tracer to use, or ``None`` when OpenTelemetry is not configured (nothing is sent)."""
    global _provider, _resolved
    with _lock:
        if not _resolved:  # looked for again until found: an application may set one up late
            _provider = _configured_provider()
            _resolved = _provider is not None
        provider = _provider
    return provider.get_tracer(TRACER_NAME) if provider is not None else None


def _configured_provider() -> Any:
    import sys

    configured = any(os.environ.get(name, "").strip() for name in CONFIGURING_ENV)
    if not configured and "opentelemetry.trace" not in sys.modules:
        return None  # no set-up in the environment, and no application set up a provider
    from opentelemetry import trace

    current = trace.get_tracer_provider()
    if not isinstance(current, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return current  # the application set one up: use it
    if not configured:
        return None
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return None
    return _provider_from_environment()


def _provider_from_environment() -> Any:
    """An SDK provider with the exporter the environment names (OTLP over HTTP by default),
    flushed when the process exits."""
    import atexit

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower().split(",")
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "agentcore")})
    provider = TracerProvider(resource=resource)
    for name in (n.strip() for n in names):
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    atexit.register(provider.shutdown)
    return provider


# -- the hooks ---------------------------------------------------------------------------------


@hookimpl
def on_run_start(run: RunInfo) -> None:
    tracer = _tracer()
    if tracer is None:
        return
    span = tracer.start_span(
        f"invoke_agent {run.agent}",
        kind=_internal(),
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": run.agent,
            "gen_ai.provider.name": run.backend,
            "gen_ai.request.model": run.model,
            "agentcore.run_id": run.run_id,
            "agentcore.tools": list(run.tools),
        },
    )
    with _lock:
        _runs[run.run_id] = span


@hookimpl
def before_llm_call(run_id: str, step_index: int, prompt: str, config: GenerationConfig) -> None:
    parent = _run_span(run_id)
    if parent is None:
        return
    model = parent.attributes.get("gen_ai.request.model", "") if parent.attributes else ""
    attributes = {
        "gen_ai.operation.name": "text_completion",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": config.max_new_tokens,
        "agentcore.step.index": step_index,
        "agentcore.request.greedy": config.is_greedy,
    }
    if not config.is_greedy:
        attributes["gen_ai.request.temperature"] = config.temperature
        attributes["gen_ai.request.top_p"] = config.top_p
    if config.seed is not None:
        attributes["gen_ai.request.seed"] = config.seed
    span = _start_child(parent, f"text_completion {model}".strip(), attributes)
    with _lock:
        _calls.setdefault((run_id, step_index), []).append(span)


@hookimpl
def after_llm_call(run_id: str, step_index: int, prompt: str, completion: Completion) -> None:
    with _lock:
        open_calls = _calls.get((run_id, step_index)) or []
        span = open_calls.pop(0) if open_calls else None
    if span is None:
        return
    usage = completion.usage
    span.set_attributes(
        {
            "gen_ai.response.model": completion.model or "",
            "gen_ai.response.finish_reasons": [completion.finish_reason or "stop"],
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
            "agentcore.usage.prompt_tokens_evaluated": usage.prompt_tokens_evaluated,
        }
    )
    span.end()


@hookimpl
def on_step(run_id: str, step: Step) -> None:
    parent = _run_span(run_id)
    if parent is None:
        return
    result = step.tool_result
    if result is None:
        if step.repaired_from is not None:
            parent.add_event("grammar_repair", {"agentcore.step.index": step.index})
        return
    # the tool ran just before the step was handed on: its span ends now, tool_s long
    ended = time.time_ns()
    started = ended - int(step.tool_s * 1e9)
    span = _start_child(
        parent,
        f"execute_tool {result.tool}",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": result.tool,
            "agentcore.step.index": step.index,
            "agentcore.step.grammar_repaired": step.repaired_from is not None,
            "agentcore.tool.ok": result.ok,
        },
        start_time=started,
    )
    if not result.ok:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", result.error_kind or "error")
        span.set_status(Status(StatusCode.ERROR, result.observation[:200]))
    span.end(end_time=ended)


@hookimpl
def on_run_end(result: RunResult) -> None:
    with _lock:
        span = _runs.pop(result.run_id, None)
        leftover = [s for key, spans in _calls.items() if key[0] == result.run_id for s in spans]
        for key in [key for key in _calls if key[0] == result.run_id]:
            del _calls[key]
    for call in leftover:  # a call that never returned (cancelled, failed)
        call.end()
    if span is None:
        return
    usage = result.usage
    span.set_attributes(
        {
            "agentcore.run.status": result.status.value,
            "agentcore.run.steps": len(result.steps),
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
            "agentcore.usage.prompt_tokens_evaluated": usage.prompt_tokens_evaluated,
        }
    )
    if result.error and result.status.value not in ("finished", "max_steps", "paused"):
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", result.status.value)
        span.set_status(Status(StatusCode.ERROR, result.error[:200]))
    span.end()


# -- helpers -----------------------------------------------------------------------------------


def _run_span(run_id: str) -> Any:
    with _lock:
        return _runs.get(run_id)


def _start_child(parent: Any, name: str, attributes: dict[str, Any], **options: Any) -> Any:
    from opentelemetry import trace

    tracer = _tracer()
    context = trace.set_span_in_context(parent)
    kind = _internal()
    return tracer.start_span(name, context=context, kind=kind, attributes=attributes, **options)


def _internal() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.INTERNAL
