"""A real OpenAI-compatible server for the tests, and a scriptable one for failure cases.

``llama_server`` starts llama-cpp-python's own server (``python -m
llama_cpp.server``, from this plugin's ``test`` extra) on a free loopback port,
serving the fast embedded model, once per test session.

``fake_server`` is a tiny loopback HTTP server whose answers a test scripts
(statuses, headers, streamed events), for what a healthy server never does:
fail, rate-limit, refuse a key, hang.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

FAST = "qwen2.5-coder-0.5b"
STARTUP_LIMIT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    base_url: str
    model: str
    model_path: Path
    process: subprocess.Popen


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> Iterator[RunningServer]:
    yield from _serve(tmp_path_factory, "llama-server")


@pytest.fixture(scope="session")
def llama_tools_server(tmp_path_factory) -> Iterator[RunningServer]:
    """llama-cpp-python's server with its function-calling chat format: it takes ``tools``
    and ``tool_choice`` and answers with ``tool_calls``."""
    yield from _serve(
        tmp_path_factory, "llama-tools-server", "--chat_format", "chatml-function-calling"
    )


def _serve(tmp_path_factory, name: str, *extra: str) -> Iterator[RunningServer]:
    from agentcore.model_registry import resolve_model

    model_path = resolve_model(FAST)
    port = free_port()
    log_path = tmp_path_factory.mktemp(name) / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path), "--model_alias", FAST,
        "--n_ctx", "2048", "--n_threads", "2",
        "--host", "127.0.0.1", "--port", str(port), *extra,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(base_url, process, log_path)
        yield RunningServer(base_url, FAST, model_path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_until_ready(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"llama_cpp.server did not answer within {STARTUP_LIMIT_S} s")


# -- a scriptable fake server ----------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: a status with a JSON body, or a stream of SSE lines."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    sse_lines: list[str] | None = None
    delay_s: float = 0.0


MODELS = {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}


@dataclass
class FakeServer:
    """What a test scripts (``script[path]``: replies in order, the last repeats; or a
    function of the request) and what the server saw (``requests``)."""

    base_url: str
    requests: list[dict[str, Any]]
    script: dict[str, list[Reply] | Callable[[dict[str, Any]], Reply]]

    Reply = Reply
    MODELS = MODELS

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)

    @staticmethod
    def completion_body(text: str, finish: str = "stop") -> dict[str, Any]:
        return {
            "object": "text_completion",
            "choices": [{"index": 0, "text": text, "finish_reason": finish}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }


@pytest.fixture
def unused_url() -> str:
    """An http URL on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    requests: list[dict[str, Any]] = []
    script: dict[str, Any] = {"/v1/models": lambda request: Reply(body=MODELS)}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = {
                "path": self.path,
                "method": self.command,
                "headers": dict(self.headers),
                "body": json.loads(raw) if raw else None,
            }
            with lock:
                requests.append(request)
                planned = script.get(self.path)
                if callable(planned):
                    reply = planned(request)
                elif planned:
                    reply = planned.pop(0) if len(planned) > 1 else planned[0]
                else:
                    reply = Reply(status=404, body={"detail": "Not Found"})
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.sse_lines is not None:
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for line in reply.sse_lines:
                        self.wfile.write(line.encode() + b"\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client closed the stream early, as it may
                return
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _answer
        do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeServer(f"http://127.0.0.1:{server.server_address[1]}/v1", requests, script)
    finally:
        server.shutdown()
        server.server_close()
