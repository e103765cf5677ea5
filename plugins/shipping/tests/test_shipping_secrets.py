"""The carrier API key never reaches an observation, even when a carrier echoes it back.

A loopback HTTP server stands in for a misbehaving carrier (or a proxy in front of one): its
errors quote the ``Authorization`` header it received, in the message and in extra fields.
The observation the model reads, and the data kept with it (``--json``, the run store), must
not hold the key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from agentcore_shipping.tools import request_return_label

from agentcore.errors import REDACTED

KEY = "live-carrier-key-51c0ffee9d"
ARGS = {"order_id": "1001", "items": ["JEANS-32-BLUE"], "customer_email": "ann@example.com"}


@pytest.fixture(params=[400, 422, 500])
def echoing_carrier(request) -> Iterator[str]:
    status = request.param

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen = self.headers.get("Authorization", "")
            body = json.dumps(
                {
                    "error": {
                        "code": "bad_request",
                        "message": f"cannot process request sent with {seen}",
                        "fields": {"authorization": f"{seen} is not allowed here"},
                        "received_key": seen.removeprefix("Bearer "),
                    }
                }
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_key_echoed_by_the_carrier_is_redacted(echoing_carrier, make_context):
    ctx = make_context(shipping={"base_url": echoing_carrier, "api_key": KEY, "max_attempts": 1})
    result = request_return_label.invoke(ARGS, ctx)
    assert not result.ok
    shown = result.observation + json.dumps(result.data)
    assert KEY not in shown, shown
    assert REDACTED in shown  # what the carrier said is still there, minus the key
