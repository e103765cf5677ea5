"""Tools from a real MCP server (the SDK's, in ``mcp_test_server.py``) over stdio and HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agentcore_mcp import mcp_tools

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.errors import ConfigError
from agentcore.react import ReActAgent

SERVER = Path(__file__).with_name("mcp_test_server.py")
STDIO = f"python {SERVER}"


@pytest.fixture(scope="module")
def tools():
    made = {tool.name: tool for tool in mcp_tools(STDIO, timeout_s=5)}
    yield made
    next(iter(made.values())).close()


def test_the_servers_tools_come_with_their_schemas(tools):
    assert sorted(tools) == ["book", "crash", "fail", "lookup", "slow"]
    assert tools["lookup"].spec.usage() == "lookup[order]"  # one string: free text
    book = tools["book"].spec.parameters
    assert book["properties"]["items"] == {"type": "array", "items": {"type": "string"}}
    assert book["required"] == ["order_id", "items"] and "title" not in book
    assert tools["book"].description == "Book a pickup of items of an order."
    # the server says book is not read-only: a durable run asks before redoing a lost call
    assert (tools["book"].effect, tools["lookup"].effect) == ("side_effect", "idempotent")


def test_calls_are_validated_and_answered_as_observations(tools):
    assert tools["lookup"].invoke("7").observation == "order 7: boots, shipped"
    booked = tools["book"].invoke('{"order_id": 7, "items": ["boots"], "express": true}')
    assert booked.ok and booked.observation == "pickup booked for order 7: boots (express)"
    bad = tools["book"].invoke('{"order_id": "seven", "items": ["boots"]}')
    assert bad.error_kind == "invalid_arguments"
    assert "order_id: 'seven' is not of type 'integer'" in bad.observation
    failed = tools["fail"].invoke("no reason")
    assert (failed.ok, failed.error_kind) == (False, "tool_error")
    assert failed.observation.startswith("fail failed:")


def test_a_slow_tool_times_out_and_the_server_keeps_serving(tools):
    tools["slow"].timeout_s = 0.5
    timed_out = tools["slow"].invoke('{"seconds": 3}')
    assert (timed_out.error_kind, timed_out.observation) == (
        "timeout",
        "slow timed out after 0.5 s.",
    )
    assert tools["lookup"].invoke("8").observation == "order 8: a scarf, delivered"


def test_an_agent_uses_the_tools_and_a_crashed_server_is_an_observation():
    tools = mcp_tools(STDIO, timeout_s=10)
    backend = ScriptedBackend(
        [
            " Find it.\nAction 1: lookup[7]",
            " Crash it.\nAction 2: crash[now]",
            " It is gone.\nAction 3: lookup[8]",
            " Done.\nAction 4: finish[boots, shipped]",
        ]
    )
    result = ReActAgent(backend, tools=tools, max_steps=5).run("What is in order 7?")
    assert result.answer == "boots, shipped"
    observations = [s.observation for s in result.steps[:3]]
    assert observations[0] == "order 7: boots, shipped"
    assert "the MCP server mcp_test_server.py is gone" in observations[1]
    assert "is gone" in observations[2]  # later calls say so too, at once
    assert [s.tool_result.error_kind for s in result.steps[1:3]] == ["server_gone"] * 2


def test_a_server_that_fails_to_start_is_one_clear_error():
    with pytest.raises(
        ConfigError, match=r"MCP server 'python' failed to start: .*it said: …no DB"
    ):
        mcp_tools("python -c \"import sys; sys.exit('no DB configured')\"")
    with pytest.raises(ConfigError, match="has no tool shout"):
        mcp_tools(STDIO, only=["lookup", "shout"])


def test_the_grammar_from_the_servers_schemas_makes_a_real_model_write_a_valid_call(tools):
    pytest.importorskip("llama_cpp")
    from agentcore_llama_cpp.backend import LlamaCppBackend

    from agentcore.grammar import react_step_grammar
    from agentcore.models import GenerationConfig
    from agentcore.parsing import parse_react_step

    specs = [tools["book"].spec, tools["lookup"].spec]
    grammar = react_step_grammar(specs)
    backend = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=2048, n_threads=2)
    try:
        prompt = (
            'Tools: book[{"order_id": ..., "items": ..., "express": ...}], lookup[order]\n'
            "Question: book a pickup of the boots of order 7\nThought 1:"
        )
        text = backend.complete(prompt, GenerationConfig(max_new_tokens=80), grammar=grammar).text
    finally:
        backend.close()
    parsed = parse_react_step(text, {s.name: s for s in specs})
    assert parsed.action is not None, text
    tool = tools[parsed.action.tool]
    assert tool.validate(parsed.action.arguments) == parsed.action.arguments  # schema-valid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_over_streamable_http_on_loopback():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(SERVER), "http", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        tools = {t.name: t for t in mcp_tools(f"http://127.0.0.1:{port}/mcp", only=["lookup"])}
        assert list(tools) == ["lookup"]
        assert tools["lookup"].invoke("8").observation == "order 8: a scarf, delivered"
        tools["lookup"].close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_command_line_gives_an_agent_an_mcp_servers_tools(tmp_path):
    steps = [" Find it.\nAction 1: lookup[7]", " Done.\nAction 2: finish[boots]"]
    agentcore = str(Path(sys.executable).with_name("agentcore"))
    done = subprocess.run(
        [agentcore, "run", "react", "What is in order 7?", "-b", "scripted",
         "-o", f"completions={json.dumps(steps)}", "--mcp", STDIO, "--json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "AGENTCORE_STORE": "off"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"][0]["observation"] == "order 7: boots, shipped"
    assert result["answer"] == "boots"


def test_the_config_file_names_mcp_servers_for_every_run(tmp_path):
    config = tmp_path / "agentcore.toml"
    config.write_text(f"mcp = [{json.dumps(STDIO)}]\n")
    steps = [" Find it.\nAction 1: lookup[8]", " Done.\nAction 2: finish[a scarf]"]
    agentcore = str(Path(sys.executable).with_name("agentcore"))
    env = {**os.environ, "AGENTCORE_STORE": "off", "AGENTCORE_CONFIG": str(config)}
    command = [agentcore, "run", "react", "What is in order 8?", "-b", "scripted",
               "-o", f"completions={json.dumps(steps)}", "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"][0]["observation"] == "order 8: a scarf, delivered"
    config.write_text('mcp = "python server.py"\n')
    bad = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode != 0
    assert "mcp must be a list of MCP servers (commands or URLs)" in bad.stderr + bad.stdout
