"""``agentcore mcp serve`` seen from the MCP SDK's own client: tools and an agent, over stdio
and streamable HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

AGENTCORE = str(Path(sys.executable).with_name("agentcore"))
ENV = {**os.environ, "AGENTCORE_STORE": "off"}


def served(*args: str) -> StdioServerParameters:
    return StdioServerParameters(command=AGENTCORE, args=["mcp", "serve", *args], env=ENV)


def test_an_mcp_client_lists_and_calls_agentcore_tools_over_stdio():
    async def main():
        async with Client(served("-t", "search", "-t", "lookup")) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            found = await client.call_tool("search", {"entity": "Hamlet"})
            looked = await client.call_tool("lookup", {"keyword": "Branagh"})
            wrong = await client.call_tool("search", {"entity": 3})
            missing = await client.call_tool("nothing", {})
        return listed, found, looked, wrong, missing

    listed, found, looked, wrong, missing = asyncio.run(main())
    assert sorted(listed) == ["lookup", "search"]
    assert listed["search"].input_schema["properties"]["entity"]["type"] == "string"
    assert not found.is_error and "Shakespeare" in found.content[0].text
    assert "Branagh" in looked.content[0].text  # the page search opened, as in a ReAct run
    assert wrong.is_error and "Invalid arguments for search" in wrong.content[0].text
    assert missing.is_error and "no tool 'nothing'" in missing.content[0].text


def test_an_agent_is_offered_as_a_tool():
    steps = [" Search.\nAction 1: search[Hamlet]", " Done.\nAction 2: finish[William Shakespeare]"]

    async def main():
        params = served("-t", "search", "--agent", "react", "-b", "scripted",
                        "-o", f"completions={json.dumps(steps)}")  # fmt: skip
        async with Client(params) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            answer = await client.call_tool("ask_react", {"question": "Who wrote Hamlet?"})
        return names, answer

    names, answer = asyncio.run(main())
    assert names == ["search", "ask_react"]
    assert not answer.is_error and answer.content[0].text == "William Shakespeare"


def test_streamable_http_on_loopback():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [AGENTCORE, "mcp", "serve", "-t", "search", "--http", str(port)], env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)

        async def main():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                return await client.call_tool("search", {"entity": "Hamlet"})

        found = asyncio.run(main())
        assert not found.is_error and "Shakespeare" in found.content[0].text
    finally:
        server.terminate()
        server.wait(timeout=30)
