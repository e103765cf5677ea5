"""The ShopBot reference carrier: a real HTTP service issuing return labels.

Run it::

    python examples/shopbot/carrier_service.py --port 8765 --api-key KEY --data-dir DIR

or start it inside a test on an ephemeral port::

    server, base_url = start_carrier_service(port=0, api_key="k", data_dir=tmp_path)
    ...
    server.stop()

API (JSON in and out; every ``/v1`` call needs ``Authorization: Bearer KEY``):

``POST /v1/return-labels``  (header ``Idempotency-Key`` required)
    body ``{"order_id", "items": [..], "customer_email", "reason"?}`` →
    201 new label | 200 replay of the label made for this key (``Idempotent-Replayed: true``)
    | 400 bad JSON / missing key | 401 bad API key | 409 key reused with another body
    | 422 invalid fields (``error.fields`` says which and why)
``GET /v1/return-labels/{id}``      the label as JSON (404 if unknown)
``GET /v1/return-labels/{id}/pdf``  the label as a one-page PDF
``GET /health``                     ``{"status": "ok", "labels": N}``
``POST /_control`` / ``GET /_control``  fault injection (only with ``--allow-control``),
    see :mod:`carrier_faults`.

Errors are ``{"error": {"code", "message", ...}}``. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # the sibling modules, however this file was loaded
    sys.path.insert(0, str(_HERE))

from carrier_faults import FaultInjector  # noqa: E402
from carrier_pdf import Line, render_pdf  # noqa: E402
from carrier_store import IdempotencyConflict, Label, LabelStore  # noqa: E402

MAX_BODY_BYTES = 64 * 1024
MAX_ITEMS = 50
_ORDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ITEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_LABEL_PATH = re.compile(r"^/v1/return-labels/([A-Za-z0-9_-]{1,64})(/pdf)?$")
RETURN_ADDRESS = ("ShopBot Returns Centre", "12 Example Way", "Springfield 01234")


class CarrierService:
    """The service's state: labels, the API key, injected faults and a request log."""

    def __init__(self, data_dir: Path, api_key: str, *, allow_control: bool = False) -> None:
        if not api_key:
            raise ValueError("the carrier service needs an API key")
        self.store = LabelStore(data_dir)
        self.api_key = api_key
        self.allow_control = allow_control
        self.faults = FaultInjector()
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()

    def record(self, method: str, path: str, key: str | None) -> dict[str, Any]:
        """Log a request as it arrives; ``status`` is set just before the answer is sent.

        It is ``None`` while the answer is pending and ``0`` if the request was dropped.
        """
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": None,
            "idempotency_key": key,
        }
        with self._log_lock:
            self._log.append(entry)
        return entry

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Requests seen so far (answered or dropped), optionally filtered."""
        with self._log_lock:
            return [
                dict(r)
                for r in self._log
                if (method is None or r["method"] == method) and (path is None or r["path"] == path)
            ]

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[len("Bearer ") :].encode(), self.api_key.encode())


class CarrierHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: CarrierService, quiet: bool) -> None:
        super().__init__(address, CarrierRequestHandler)
        self.service = service
        self.quiet = quiet

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class CarrierRequestHandler(BaseHTTPRequestHandler):
    server: CarrierHTTPServer
    server_version = "ShopBotCarrier/0.1"
    timeout = 30  # a client that stops talking does not hold a thread forever

    # -- routing ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        self._entry = self.service.record(method, path, self.headers.get("Idempotency-Key"))
        try:
            if path == "/health":
                if self._only(method, "GET"):
                    self._json(200, {"status": "ok", "labels": self.service.store.count()})
            elif path == "/_control":
                self._control(method)
            elif path.startswith("/v1/"):
                self._api(method, path)
            else:
                self._error(404, "not_found", f"no such endpoint: {path}")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. it timed out)
        finally:
            if self._entry["status"] is None:
                self._entry["status"] = 0  # dropped, or the client went away

    @property
    def service(self) -> CarrierService:
        return self.server.service

    def _only(self, method: str, allowed: str) -> bool:
        if method != allowed:
            self._error(405, "method_not_allowed", f"use {allowed}", {"Allow": allowed})
            return False
        return True

    # -- /v1 ----------------------------------------------------------------------------------

    def _api(self, method: str, path: str) -> None:
        failure = self.service.faults.take_failure()
        if failure is not None:
            self._drain_body()  # unread input would turn our close into a TCP reset
            if failure.drop:
                self.close_connection = True  # no answer at all: the client sees a dropped line
                return
            extra = (
                {"Retry-After": f"{failure.retry_after:g}"}
                if failure.retry_after is not None
                else {}
            )
            self._error(
                failure.status, "injected_failure", "injected failure (test control)", extra
            )
            return
        delay = self.service.faults.take_delay()
        if delay is not None and delay.phase == "before":
            time.sleep(delay.seconds)
        if not self.service.authorized(self.headers.get("Authorization")):
            self._drain_body()
            self._error(
                401,
                "unauthorized",
                "missing or wrong API key; send 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="carrier"'},
            )
            return
        answer = self._route_api(method, path)
        if delay is not None and delay.phase == "after":
            time.sleep(delay.seconds)
        self._send(*answer)

    def _route_api(self, method: str, path: str) -> tuple[int, bytes, str, dict[str, str]]:
        if path == "/v1/return-labels":
            if method != "POST":
                return _error_answer(405, "method_not_allowed", "use POST", {"Allow": "POST"})
            return self._create_label()
        match = _LABEL_PATH.match(path)
        if match is None:
            return _error_answer(404, "not_found", f"no such endpoint: {path}")
        if method != "GET":
            return _error_answer(405, "method_not_allowed", "use GET", {"Allow": "GET"})
        label_id, pdf = match.group(1), match.group(2)
        if pdf:
            content = self.service.store.pdf(label_id)
            if content is None:
                return _error_answer(404, "not_found", f"no label {label_id}")
            disposition = f'inline; filename="return-label-{label_id}.pdf"'
            return 200, content, "application/pdf", {"Content-Disposition": disposition}
        label = self.service.store.get(label_id)
        if label is None:
            return _error_answer(404, "not_found", f"no label {label_id}")
        return _json_answer(200, label.public())

    def _create_label(self) -> tuple[int, bytes, str, dict[str, str]]:
        key = self.headers.get("Idempotency-Key", "")
        body, problem = self._read_json()
        if problem is not None:
            return problem
        if not _KEY_RE.match(key):
            return _error_answer(
                400,
                "missing_idempotency_key",
                "send an Idempotency-Key header (1-255 printable ASCII characters) so a "
                "retried request cannot create a second label",
            )
        request, fields = validate_label_request(body)
        if fields:
            summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
            return _error_answer(
                422, "invalid_request", f"invalid label request ({summary})", fields=fields
            )
        try:
            label, replayed = self.service.store.issue(key, request, render_label)
        except IdempotencyConflict as exc:
            return _error_answer(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was already used with a different request body",
                label_id=exc.existing.label_id,
            )
        headers = {"Location": f"/v1/return-labels/{label.label_id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return _json_answer(200 if replayed else 201, label.public(), headers)

    # -- /_control ----------------------------------------------------------------------------

    def _control(self, method: str) -> None:
        if not self.service.allow_control:
            self._error(404, "not_found", "test control is disabled (start with --allow-control)")
            return
        if method == "GET":
            self._json(
                200,
                {"faults": self.service.faults.snapshot(), "labels": self.service.store.count()},
            )
            return
        if not self._only(method, "POST"):
            return
        body, problem = self._read_json()
        if problem is not None:
            self._send(*problem)
            return
        if not isinstance(body, dict):
            self._error(400, "invalid_control", "send a JSON object")
            return
        try:
            plan = self.service.faults.configure(body)
        except (TypeError, ValueError) as exc:
            self._error(400, "invalid_control", str(exc))
            return
        self._json(200, {"faults": plan})

    # -- plumbing -----------------------------------------------------------------------------

    def _read_json(self) -> tuple[Any, tuple[int, bytes, str, dict[str, str]] | None]:
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            return None, _error_answer(411, "length_required", "send a Content-Length header")
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None, _error_answer(
                413, "too_large", f"bodies are limited to {MAX_BODY_BYTES} bytes"
            )
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8")), None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return None, _error_answer(400, "invalid_json", f"the body is not valid JSON ({exc})")

    def _drain_body(self) -> None:
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= MAX_BODY_BYTES:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(*_json_answer(status, payload, headers))

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send(*_error_answer(status, code, message, headers))

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self._entry["status"] = status  # before the answer leaves: the client may act on it
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


def validate_label_request(body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned request and a map of field → problem (empty when valid)."""
    if not isinstance(body, dict):
        return {}, {"body": "must be a JSON object"}
    fields: dict[str, str] = {}
    for name in sorted(set(body) - {"order_id", "items", "customer_email", "reason"}):
        fields[name] = "unknown field"
    order_id = body.get("order_id")
    if not isinstance(order_id, str) or not _ORDER_RE.match(order_id):
        fields["order_id"] = "required: 1-64 letters, digits, '.', '_' or '-'"
    items = body.get("items")
    if not isinstance(items, list) or not items:
        fields["items"] = "required: a non-empty list of item SKUs"
    elif len(items) > MAX_ITEMS:
        fields["items"] = f"at most {MAX_ITEMS} items per label"
    elif not all(isinstance(i, str) and _ITEM_RE.match(i) for i in items):
        fields["items"] = "each item must be a SKU of 1-64 letters, digits, '.', '_', '/' or '-'"
    email = body.get("customer_email")
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL_RE.match(email):
        fields["customer_email"] = "required: a valid email address like name@example.com"
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        fields["reason"] = "optional: a string of at most 500 characters"
    if fields:
        return {}, fields
    request: dict[str, Any] = {
        "order_id": order_id,
        "items": items,
        "customer_email": email,
    }
    if reason:
        request["reason"] = reason
    return request, {}


def render_label(label: Label) -> bytes:
    """The printable label: who ships what back to where, and how to track it."""
    lines = [
        Line("RETURN LABEL - PREPAID", size=16, bold=True),
        Line(f"Label ID: {label.label_id}", size=12, bold=True, gap_before=6),
        Line(f"Tracking number: {label.tracking_number}", size=12, bold=True),
        Line(f"Order: {label.order_id}", gap_before=8),
        Line(f"Items: {', '.join(label.items)}"),
        Line(f"From (customer): {label.customer_email}"),
        Line("Ship to:", bold=True, gap_before=8),
        *(Line(part) for part in RETURN_ADDRESS),
        Line(f"Issued: {label.created_at}", size=8, gap_before=10),
        Line("Attach this label to the parcel and drop it at any carrier point.", size=8),
    ]
    if label.reason:
        lines.insert(5, Line(f"Reason: {label.reason}"))
    return render_pdf(lines, title=f"Return label {label.label_id}")


def _json_answer(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, bytes, str, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return status, body, "application/json", dict(headers or {})


def _error_answer(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> tuple[int, bytes, str, dict[str, str]]:
    return _json_answer(status, {"error": {"code": code, "message": message, **extra}}, headers)


def start_carrier_service(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    api_key: str = "test-key",
    data_dir: str | os.PathLike[str] | None = None,
    allow_control: bool = True,
    quiet: bool = True,
) -> tuple[CarrierHTTPServer, str]:
    """Start the service on a background thread; returns ``(server, base_url)``.

    ``port=0`` picks a free port. Stop it with ``server.stop()``. ``data_dir``
    defaults to a new temporary directory. Test control is on by default here
    (this function is meant for tests and demos) and off by default on the CLI.
    """
    directory = (
        Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="carrier-"))
    )
    service = CarrierService(directory, api_key, allow_control=allow_control)
    server = CarrierHTTPServer((host, port), service, quiet)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
        name="carrier-service",
        daemon=True,
    )
    thread.start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ShopBot reference carrier (return labels).")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CARRIER_API_KEY"),
        help="the API key clients must send (default: $CARRIER_API_KEY)",
    )
    parser.add_argument("--data-dir", default="carrier-data", help="where labels are stored")
    parser.add_argument(
        "--allow-control", action="store_true", help="enable POST /_control fault injection"
    )
    parser.add_argument(
        "--fail-first",
        type=int,
        default=0,
        metavar="N",
        help="answer the first N API requests with --fail-status",
    )
    parser.add_argument("--fail-status", type=int, default=503, help="status for --fail-first")
    parser.add_argument(
        "--delay-first",
        type=int,
        default=0,
        metavar="N",
        help="hold the answers of the first N API requests",
    )
    parser.add_argument("--delay-seconds", type=float, default=2.0, help="delay for --delay-first")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("give --api-key or set CARRIER_API_KEY")
    service = CarrierService(Path(args.data_dir), args.api_key, allow_control=args.allow_control)
    try:
        if args.fail_first:
            service.faults.configure({"fail_next": args.fail_first, "status": args.fail_status})
        if args.delay_first:
            service.faults.configure(
                {"delay_next": args.delay_first, "seconds": args.delay_seconds}
            )
    except ValueError as exc:
        parser.error(str(exc))
    server = CarrierHTTPServer((args.host, args.port), service, quiet=not args.verbose)
    print(f"carrier service listening on {server.base_url} (data in {args.data_dir})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
