"""What is stored never holds a secret, whatever the run carried.

A tool's answer may quote a key (a service echoing the ``Authorization`` header), a URL with
credentials, an error may name them; the prompt of the next LLM call then contains them too.
The store passes every text it writes through ``agentcore.errors.redact``: secrets the process
registered, URL userinfo and Authorization/Bearer values. Real scripted runs, a real store.
"""

from __future__ import annotations

import json

from agentcore.errors import REDACTED, register_secret
from agentcore.models import RunStatus
from agentcore.tools import tool

KEY = "carrier-key-7d2f9a41c0"
URL = "https://svc-user:svc-pass-93kq@carrier.example/v1"


@tool
def leaky(query: str) -> str:
    """A service whose answer echoes what it was sent.

    Args:
        query: Anything.
    """
    return f"401 from {URL}: invalid key {KEY!r} (Authorization: Bearer {KEY})"


def everything_stored(sql) -> str:
    tables = ("runs", "steps", "llm_calls", "tool_calls")
    return json.dumps([sql(f"SELECT * FROM {table}") for table in tables], default=str)


def test_secrets_in_tool_results_prompts_and_answers_are_redacted(run_react, sql):
    register_secret(KEY)
    result = run_react(
        " I ask the service.\nAction 1: leaky[status]",
        f" It failed.\nAction 2: finish[the service said {KEY} is invalid]",
        tools=[leaky],
    )
    assert result.status is RunStatus.FINISHED
    assert KEY in result.steps[0].observation  # the run itself is left as it was
    stored = everything_stored(sql)
    assert KEY not in stored
    assert "svc-pass-93kq" not in stored and "svc-user" not in stored
    assert REDACTED in stored
    [(observation,)] = sql("SELECT observation FROM tool_calls")
    assert observation.startswith(f"401 from https://{REDACTED}@carrier.example/v1: invalid key")
    [(answer,)] = sql("SELECT answer FROM runs")
    assert answer == f"the service said {REDACTED} is invalid"


def test_an_unregistered_bearer_token_and_userinfo_are_still_redacted(run_react, sql):
    result = run_react(
        " I ask the service.\nAction 1: leaky[status]",
        " Done.\nAction 2: finish[ok]",
        tools=[leaky],
    )
    assert result.status is RunStatus.FINISHED
    [(observation, data)] = sql("SELECT observation, data FROM tool_calls")
    assert "Bearer [redacted]" in observation and "svc-pass-93kq" not in observation
    assert "svc-pass-93kq" not in (data or "")
    assert "svc-pass-93kq" not in everything_stored(sql)


def test_redaction_leaves_ordinary_text_alone():
    """What is redacted is credentials, not prose or hints that merely mention them."""
    from agentcore.errors import redact

    for text in (
        "Basic principles of bearer bonds, explained.",
        "Email ann@example.com or see https://example.com/a@b for the form.",
        "set shipping.api_key or pass -o api_key=... (see the README)",
        "The password field must not be empty.",
    ):
        assert redact(text) == text
    assert redact("GET http://bob:s3cr3t@10.0.0.1/v1") == f"GET http://{REDACTED}@10.0.0.1/v1"
    assert redact("Authorization: Basic Ym9iOnMzY3IzdA==") == f"Authorization: Basic {REDACTED}"
    assert redact('{"api_key": "abcdef123456"}') == f'{{"api_key": "{REDACTED}"}}'
    assert redact("key k-123456 expired", "k-123456") == f"key {REDACTED} expired"
