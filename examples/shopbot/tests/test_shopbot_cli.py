"""``agentcore chat examples/shopbot/bot.py``: loading, prepare, build_agent and cleanup."""

from __future__ import annotations

import re
import socket
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.chat import ChatAgent
from agentcore.cli.chat_command import load_example
from agentcore.cli.main import cli
from agentcore.errors import ConfigError

BOT_PY = Path(__file__).resolve().parents[1] / "bot.py"


def refuses_connections(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) != 0


def test_load_example_finds_prepare_and_build_agent():
    module = load_example(str(BOT_PY))
    assert callable(module.prepare) and callable(module.build_agent)


def test_build_agent_needs_the_orders_database(shopbot):
    with pytest.raises(ConfigError, match=r"call prepare\(settings\) first"):
        shopbot.build_agent(ScriptedBackend(), settings={})


def test_build_agent_gives_a_chat_agent_with_the_shop_tools(shop, shopbot):
    agent = shopbot.build_agent(ScriptedBackend(), settings=shop.settings)
    assert isinstance(agent, ChatAgent)
    assert list(agent.tools) == [
        "sql",
        "verify_customer",
        "request_return_label",
        "send_email",
        "respond",
    ]
    assert agent.template.name == "chat/shopbot"
    # the model is shown the tables it may query, and not the customers table
    assert "- orders (15 rows)" in agent.describe_tools()
    assert "customers (" not in agent.describe_tools()


def test_prepare_uses_configured_services_instead_of_starting_its_own(shop, shopbot, tmp_path):
    settings = {
        "shopbot": {"work_dir": str(tmp_path / "second"), "quiet": True},
        "shipping": dict(shop.settings["shipping"]),
        "email": {"host": "127.0.0.1", "port": shop.services.smtp_port, "sender": "a@shop.example"},
    }
    prepared = shopbot.prepare(settings)
    try:
        assert prepared.services.carrier is None and prepared.services.smtp is None
        assert settings["shipping"]["base_url"] == shop.settings["shipping"]["base_url"]
        assert settings["email"]["sender"] == "a@shop.example"  # kept, not overwritten
        assert prepared.database == tmp_path / "second" / "orders.duckdb"
        assert prepared.database.is_file()
    finally:
        prepared()
    assert (tmp_path / "second").is_dir()  # a work_dir the user chose is kept


def test_chat_command_prepares_runs_and_cleans_up(tmp_path):
    """The scripted backend has no completions here: the run fails on its first LLM call,
    which shows the loop was reached; what is checked is the wiring around it."""
    work_dir = tmp_path / "demo"
    result = CliRunner().invoke(
        cli,
        [
            "chat",
            str(BOT_PY),
            "--backend",
            "scripted",
            "--set",
            f"shopbot.work_dir={work_dir}",
            "--message",
            "Hi, I want to return my jeans.",
        ],
    )
    assert result.exit_code == 0, result.output
    output = result.output  # stdout and stderr as the terminal shows them
    assert "you> Hi, I want to return my jeans." in output
    assert "scripted backend has no completion left" in output
    started = re.search(r"carrier (http://127\.0\.0\.1:(\d+)); SMTP 127\.0\.0\.1:(\d+)", output)
    assert started, output
    assert (work_dir / "orders.duckdb").is_file()
    # the cleanup stopped both services
    assert refuses_connections("127.0.0.1", int(started.group(2)))
    assert refuses_connections("127.0.0.1", int(started.group(3)))
    with pytest.raises(OSError):
        urllib.request.urlopen(started.group(1) + "/health", timeout=2)
