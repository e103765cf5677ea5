"""The reference carrier service itself, spoken to over raw HTTP (urllib)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Endpoint:
    base_url: str
    api_key: str


BODY = {"order_id": "1001", "items": ["JEANS-32-BLUE"], "customer_email": "ann@example.com"}


def call(
    carrier: Any,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = "key-1",
    api_key: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; ``api_key=None`` sends the right key, ``""`` sends none."""
    headers = {"Content-Type": "application/json"}
    api_key = carrier.api_key if api_key is None else api_key
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    if key is not None:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        carrier.base_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def error_of(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)["error"]


def check_pdf_structure(pdf: bytes) -> None:
    """Every cross-reference offset points at its object; the stream length is right."""
    assert pdf.startswith(b"%PDF-1.")
    match = re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf)
    assert match, "no startxref trailer"
    xref_at = int(match.group(1))
    assert pdf[xref_at:].startswith(b"xref\n0 ")
    count = int(pdf[xref_at:].split(b"\n")[1].split()[1])
    entries = pdf[xref_at:].split(b"\n")[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        assert len(entry) == 19 and entry.endswith(b" n ")  # 20 bytes with the newline
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % number), number
    stream = re.search(rb"/Length (\d+) >>\nstream\n", pdf)
    assert stream
    start = stream.end()
    assert pdf[start + int(stream.group(1)) :].startswith(b"\nendstream")


def test_health(carrier):
    status, _, body = call(carrier, "GET", "/health")
    assert status == 200 and json.loads(body) == {"status": "ok", "labels": 0}


def test_create_replay_and_conflict(carrier):
    status, headers, raw = call(carrier, "POST", "/v1/return-labels", BODY)
    assert status == 201
    label = json.loads(raw)
    assert re.fullmatch(r"LBL-[0-9A-F]{10}", label["label_id"])
    assert headers["Location"] == f"/v1/return-labels/{label['label_id']}"

    status, headers, raw = call(carrier, "POST", "/v1/return-labels", BODY)
    assert status == 200 and headers["Idempotent-Replayed"] == "true"
    assert json.loads(raw) == label

    status, _, raw = call(carrier, "POST", "/v1/return-labels", dict(BODY, items=["HAT"]))
    assert status == 409
    assert error_of(raw)["code"] == "idempotency_conflict"
    assert error_of(raw)["label_id"] == label["label_id"]
    assert carrier.service.store.count() == 1


def test_concurrent_requests_with_one_key_make_one_label(carrier):
    answers: list[tuple[int, str]] = []

    def post() -> None:
        status, _, raw = call(carrier, "POST", "/v1/return-labels", BODY, key="same-key")
        answers.append((status, json.loads(raw)["label_id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 8
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({label_id for _, label_id in answers}) == 1
    assert carrier.service.store.count() == 1


def test_get_label_and_its_pdf(carrier):
    _, _, raw = call(carrier, "POST", "/v1/return-labels", dict(BODY, reason="too (small)"))
    label = json.loads(raw)
    status, _, raw = call(carrier, "GET", label["links"]["self"])
    assert status == 200 and json.loads(raw) == label

    status, headers, pdf = call(carrier, "GET", label["links"]["pdf"])
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    check_pdf_structure(pdf)
    for text in (label["label_id"], label["tracking_number"], "1001", "JEANS-32-BLUE"):
        assert text.encode() in pdf
    assert rb"too \(small\)" in pdf  # parentheses escaped inside PDF strings


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_is_readable_by_poppler(carrier, tmp_path):
    _, _, raw = call(carrier, "POST", "/v1/return-labels", BODY)
    label = json.loads(raw)
    _, _, pdf = call(carrier, "GET", label["links"]["pdf"])
    path = tmp_path / "label.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert f"Label ID: {label['label_id']}" in text
    assert f"Tracking number: {label['tracking_number']}" in text
    assert "ann@example.com" in text and "JEANS-32-BLUE" in text


def test_unknown_label_is_404(carrier):
    status, _, raw = call(carrier, "GET", "/v1/return-labels/LBL-NOPE")
    assert status == 404 and error_of(raw)["code"] == "not_found"
    status, _, _ = call(carrier, "GET", "/v1/return-labels/LBL-NOPE/pdf")
    assert status == 404


@pytest.mark.parametrize("api_key", ["", "wrong"])
def test_missing_or_wrong_api_key_is_401(carrier, api_key):
    status, headers, raw = call(carrier, "POST", "/v1/return-labels", BODY, api_key=api_key)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(raw)["code"] == "unauthorized"
    assert carrier.service.store.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_email": "ann.example.com"}, "customer_email"),
        ({"customer_email": "ann@@example.com"}, "customer_email"),
        ({"items": []}, "items"),
        ({"items": "JEANS"}, "items"),
        ({"order_id": ""}, "order_id"),
        ({"order_id": 1001}, "order_id"),
        ({"gift_wrap": True}, "gift_wrap"),
    ],
)
def test_invalid_input_is_422_naming_the_field(carrier, change, field):
    status, _, raw = call(carrier, "POST", "/v1/return-labels", {**BODY, **change})
    assert status == 422
    error = error_of(raw)
    assert error["code"] == "invalid_request"
    assert field in error["fields"]
    assert carrier.service.store.count() == 0


def test_missing_idempotency_key_is_400(carrier):
    status, _, raw = call(carrier, "POST", "/v1/return-labels", BODY, key=None)
    assert status == 400 and error_of(raw)["code"] == "missing_idempotency_key"


def test_malformed_json_is_400(carrier):
    request = urllib.request.Request(
        carrier.base_url + "/v1/return-labels",
        data=b"{not json",
        headers={"Authorization": f"Bearer {carrier.api_key}", "Idempotency-Key": "k"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert error_of(info.value.read())["code"] == "invalid_json"


def test_injected_failures_are_consumed_in_order(carrier):
    carrier.control(fail_next=2, status=503, retry_after=1)
    first = call(carrier, "POST", "/v1/return-labels", BODY)
    second = call(carrier, "POST", "/v1/return-labels", BODY)
    third = call(carrier, "POST", "/v1/return-labels", BODY)
    assert [first[0], second[0], third[0]] == [503, 503, 201]
    assert first[1]["Retry-After"] == "1"
    assert call(carrier, "GET", "/health")[0] == 200  # never affected by faults


def test_bad_control_request_is_400(carrier):
    with pytest.raises(urllib.error.HTTPError) as info:
        carrier.control(fail_next=1, status=418)
    assert info.value.code == 400


def test_control_is_off_unless_enabled(carrier_module, tmp_path):
    server, base_url = carrier_module.start_carrier_service(
        api_key="k", data_dir=tmp_path / "d", allow_control=False
    )
    try:
        request = urllib.request.Request(
            base_url + "/_control", data=b'{"fail_next": 1}', method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        assert info.value.code == 404
    finally:
        server.stop()


def test_labels_survive_a_restart_of_the_service(carrier_module, tmp_path):
    data_dir = tmp_path / "persistent"
    server, base_url = carrier_module.start_carrier_service(api_key="k", data_dir=data_dir)
    try:
        carrier = Endpoint(base_url, "k")
        first = json.loads(call(carrier, "POST", "/v1/return-labels", BODY)[2])
    finally:
        server.stop()
    server, base_url = carrier_module.start_carrier_service(api_key="k", data_dir=data_dir)
    try:
        carrier = Endpoint(base_url, "k")
        status, _, raw = call(carrier, "POST", "/v1/return-labels", BODY)
        assert status == 200 and json.loads(raw)["label_id"] == first["label_id"]
    finally:
        server.stop()


def test_command_line_starts_a_working_service(carrier_module, tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            carrier_module.__file__,
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--data-dir",
            str(tmp_path / "cli-data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner + (process.stderr.read() if process.poll() is not None else "")
        carrier = Endpoint(match.group(1), "cli-key")
        status, _, raw = call(carrier, "POST", "/v1/return-labels", BODY)
        assert status == 201
        label_id = json.loads(raw)["label_id"]
        assert (tmp_path / "cli-data" / "pdf" / f"{label_id}.pdf").is_file()
    finally:
        process.terminate()
        process.wait(timeout=10)
