"""Secrets never reach an error message, ``--json`` or the run store.

The loopback server here does what some real servers and proxies do: it echoes the
``Authorization`` header it received back in its error body. The API key, and the password
of a ``base_url`` like ``http://user:pass@host/v1``, must be redacted wherever the error goes:
the exception, the run's ``error``, ``agentcore run ... --json`` and the DuckDB run store.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import duckdb
import pytest
from agentcore_openai.backend import OpenAIBackend
from click.testing import CliRunner

from agentcore.cli.main import _load_commands, cli
from agentcore.errors import REDACTED, BackendError, ConfigError

API_KEY = "sk-test-4f9c2e7a1b3d5f60"
USER, PASSWORD = "proxyuser", "pr0xy-s3cret-pw"


def echo_authorization(fake_server, status: int, path: str = "/v1/models") -> None:
    """Answer ``path`` with ``status`` and an error quoting the request's Authorization."""

    def reply(request):
        seen = request["headers"].get("Authorization", "")
        return fake_server.Reply(
            status=status,
            body={"error": {"message": f"invalid credentials: {seen!r}", "type": "auth"}},
        )

    fake_server.script[path] = reply


def with_userinfo(base_url: str, user: str = USER, password: str = PASSWORD) -> str:
    scheme, rest = base_url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


def basic(user: str = USER, password: str = PASSWORD) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_clean(text: str) -> None:
    for secret in (API_KEY, PASSWORD, basic()):
        assert secret not in text, f"{secret!r} leaked into: {text}"


@pytest.mark.parametrize("status", [401, 403, 400, 500])
def test_an_api_key_echoed_in_an_error_body_is_redacted(fake_server, status):
    echo_authorization(fake_server, status)
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(base_url=fake_server.base_url, api_key=API_KEY, max_retries=0)
    assert fake_server.requests[0]["headers"]["Authorization"] == f"Bearer {API_KEY}"  # it was sent
    message = str(caught.value)
    assert_clean(message)
    assert REDACTED in message  # the echo is still shown, minus the secret
    assert_clean(caught.value.body)  # the raw body kept on the exception too


def test_an_api_key_from_the_environment_is_redacted_too(fake_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    echo_authorization(fake_server, 401)
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(base_url=fake_server.base_url, max_retries=0)
    assert_clean(str(caught.value))


def test_userinfo_in_base_url_is_sent_as_basic_auth_and_never_shown(fake_server):
    echo_authorization(fake_server, 401)
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(base_url=with_userinfo(fake_server.base_url), max_retries=0)
    assert fake_server.requests[0]["headers"]["Authorization"] == f"Basic {basic()}"
    message = str(caught.value)
    assert_clean(message)
    assert USER not in message  # the whole userinfo goes, not only the password
    assert "127.0.0.1" in message  # where it went is still said


def test_userinfo_is_redacted_when_the_server_cannot_be_reached(unused_url):
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(base_url=with_userinfo(unused_url), max_retries=0)
    assert "cannot reach" in str(caught.value)
    assert_clean(str(caught.value))
    assert f"{REDACTED}@127.0.0.1" in str(caught.value)


def test_a_malformed_base_url_with_userinfo_is_refused_without_echoing_it():
    with pytest.raises(BackendError) as caught:
        OpenAIBackend(base_url=f"ftp://{USER}:{PASSWORD}@127.0.0.1/v1")
    assert "is not an http(s) URL" in str(caught.value)
    assert_clean(str(caught.value))


def test_userinfo_and_an_api_key_together_are_refused(fake_server):
    with pytest.raises(ConfigError) as caught:
        OpenAIBackend(base_url=with_userinfo(fake_server.base_url), api_key=API_KEY)
    assert "one of" in str(caught.value)
    assert_clean(str(caught.value))
    assert fake_server.requests == []


def test_a_failed_run_keeps_secrets_out_of_json_and_the_store(
    fake_server, tmp_path: Path, monkeypatch
):
    """The server lists models, then refuses the completion quoting the key: the run ends
    with status error; neither ``--json`` nor the stored run holds the key or the password."""
    _load_commands()
    store = tmp_path / "runs.duckdb"
    monkeypatch.setenv("AGENTCORE_STORE", str(store))
    echo_authorization(fake_server, 400, "/v1/completions")
    for base_url, key in (
        (fake_server.base_url, API_KEY),
        (with_userinfo(fake_server.base_url), ""),
    ):
        args = ["run", "react", "What is 2+2?", "-t", "sql", "-b", "openai",
                "-o", f"base_url={base_url}", "-o", "max_retries=0", "--json"]  # fmt: skip
        if key:
            args += ["-o", f"api_key={key}"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        run = json.loads(result.stdout)
        assert run["status"] == "error" and "HTTP 400" in run["error"]
        assert_clean(result.output)
    with duckdb.connect(str(store), read_only=True) as con:
        stored = con.execute(
            "SELECT count(*), string_agg(coalesce(error, ''), ' ') FROM runs"
        ).fetchone()
        everything = json.dumps(
            [con.execute(f"SELECT * FROM {t}").fetchall() for t in ("runs", "steps", "llm_calls")],
            default=str,
        )
    assert stored[0] == 2 and "HTTP 400" in stored[1]
    assert_clean(everything)
