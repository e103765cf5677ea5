"""Spans of real runs (scripted backend, real tools) in the SDK's in-memory exporter, and over
OTLP/HTTP to a collector on loopback written here; nothing at all when OTel is not set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from agentcore_otel import plugin as otel
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent
from agentcore.tools import ToolResult, tool

SCRIPT = [
    " I look it up.\nAction 1: lookup[7]",
    "no action here",  # malformed: repaired under the grammar
    " Again.\nAction 2: flaky[7]",
    " Done.\nAction 3: finish[late]",
]


@tool
def lookup(order: str) -> str:
    """Look an order up."""
    return f"order {order} is late"


@tool
def flaky(order: str) -> ToolResult:
    """A service that is down."""
    return ToolResult(tool="flaky", ok=False, observation="service down", error_kind="down")


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel.use_tracer_provider(provider)
    yield exporter
    otel.use_tracer_provider(None)


def run_once(script=SCRIPT):
    pm = AgentcorePluginManager(allow={"otel"})
    backend = ScriptedBackend(list(script), supports_grammar=True, model_name="tiny-model")
    agent = ReActAgent(backend, tools=[lookup, flaky], max_steps=4, plugin_manager=pm)
    return agent.run("Is order 7 late?")


def test_a_run_is_one_trace_of_agent_model_and_tool_spans(spans):
    result = run_once()
    assert result.answer == "late"
    found = {s.name: s for s in spans.get_finished_spans()}
    run = found["invoke_agent react"]
    assert run.attributes["agentcore.run_id"] == result.run_id
    assert run.attributes["gen_ai.request.model"] == "tiny-model"
    assert run.attributes["agentcore.run.status"] == "finished"
    assert run.attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens
    calls = [s for s in spans.get_finished_spans() if s.name == "text_completion tiny-model"]
    assert len(calls) == 4  # three steps, one of them repaired: four model calls
    assert all(c.parent.span_id == run.context.span_id for c in calls)
    assert all(c.context.trace_id == run.context.trace_id for c in calls)
    first = calls[0].attributes
    assert first["gen_ai.operation.name"] == "text_completion"
    assert first["gen_ai.usage.input_tokens"] == result.steps[0].usage.prompt_tokens
    assert first["agentcore.usage.prompt_tokens_evaluated"] > 0
    assert first["gen_ai.response.finish_reasons"] == ("stop",)
    assert first["agentcore.step.index"] == 1
    tool_spans = {s.attributes["gen_ai.tool.name"]: s for s in spans.get_finished_spans()
                  if s.name.startswith("execute_tool")}  # fmt: skip
    assert set(tool_spans) == {"lookup", "flaky"}
    assert tool_spans["lookup"].attributes["agentcore.tool.ok"] is True
    assert tool_spans["flaky"].status.status_code.name == "ERROR"
    assert tool_spans["flaky"].attributes["error.type"] == "down"
    assert tool_spans["flaky"].attributes["agentcore.step.grammar_repaired"] is True
    assert tool_spans["flaky"].parent.span_id == run.context.span_id


def test_a_failed_run_is_an_error_span(spans):
    result = run_once([" I look it up.\nAction 1: lookup[7]"])  # the script runs out
    assert result.status.value == "error"
    (run,) = [s for s in spans.get_finished_spans() if s.name == "invoke_agent react"]
    assert run.status.status_code.name == "ERROR"
    assert "no completion left" in run.status.description


def test_nothing_is_traced_or_imported_when_otel_is_not_set_up(monkeypatch):
    for name in otel.CONFIGURING_ENV:
        monkeypatch.delenv(name, raising=False)
    code = (
        "import sys\n"
        "from agentcore_otel import plugin as otel\n"
        "from agentcore.models import RunInfo, GenerationConfig\n"
        "otel.on_run_start(RunInfo(run_id='r', agent='react', input='q', backend='b', "
        "model='m', config=GenerationConfig(), started_at=0))\n"
        "print(otel._runs, 'opentelemetry' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "{} False", out.stderr


class Collector:
    """An OTLP/HTTP trace receiver on loopback: what the SDK's exporter posts to /v1/traces."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        received = self.spans = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    service = {a.key: a.value.string_value for a in resource.resource.attributes}
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            received.append((self.path, service.get("service.name"), span))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"


def test_the_environment_sends_spans_over_otlp_to_a_collector(tmp_path: Path):
    collector = Collector()
    try:
        script = json.dumps(SCRIPT)
        code = (
            "import json, sys\n"
            "from agentcore.builtin.scripted import ScriptedBackend\n"
            "from agentcore.react import ReActAgent\n"
            "from agentcore.tools import tool\n"
            "@tool\ndef lookup(order: str) -> str:\n    '''Look an order up.'''\n"
            "    return 'late'\n"
            "@tool\ndef flaky(order: str) -> str:\n    '''Down.'''\n    raise OSError('down')\n"
            "agent = ReActAgent(ScriptedBackend(json.loads(sys.argv[1]), supports_grammar=True),"
            " tools=[lookup, flaky], max_steps=4)\n"
            "print(agent.run('Is order 7 late?').answer)\n"
        )
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.endpoint,
            "OTEL_SERVICE_NAME": "shop-agent",
        }
        done = subprocess.run(
            [sys.executable, "-c", code, script], capture_output=True, text=True, env=env,
            timeout=120,
        )  # fmt: skip
        assert done.stdout.strip() == "late", done.stderr
    finally:
        collector.server.shutdown()
    names = sorted(span.name for _, _, span in collector.spans)
    assert names.count("invoke_agent react") == 1
    assert names.count("text_completion scripted") == 4
    assert {"execute_tool lookup", "execute_tool flaky"} <= set(names)
    assert {path for path, _, _ in collector.spans} == {"/v1/traces"}
    assert {service for _, service, _ in collector.spans} == {"shop-agent"}
    traces = {span.trace_id for _, _, span in collector.spans}
    assert len(traces) == 1  # one run, one trace
