"""Native tool calls over ``/chat/completions``: the request's tools as the API's ``tools``
field, the reply's ``tool_calls`` read back as :class:`~agentcore.models.ToolCall` records.

The body is the OpenAI function-calling shape, which llama-cpp-python's server (with a
function-calling chat format), llama.cpp's ``llama-server --jinja``, vLLM and OpenAI take:
``tool_choice`` is ``"required"`` when the request requires a call, else ``"auto"``; a past
call goes back with its arguments as JSON text and its result as a ``tool`` message.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentcore.models import Message, ToolCall, ToolRequest
from agentcore.plugin import BackendError, function_tool, reply_text, template_messages, tool_call


def request_body(messages: list[Message], request: ToolRequest) -> dict[str, Any]:
    """The messages, tools and tool choice of a ``/chat/completions`` body."""
    sent = []
    for entry in template_messages(messages):
        for call in entry.get("tool_calls", []):
            function = call["function"]
            function["arguments"] = json.dumps(function["arguments"], ensure_ascii=False)
        if entry["role"] == "tool":
            entry.pop("name", None)  # the API names a result by its call's id
        sent.append(entry)
    return {
        "messages": sent,
        "tools": [function_tool(spec) for spec in request.tools],
        "tool_choice": tool_choice(request),
    }


def tool_choice(request: ToolRequest, name: str | None = None) -> Any:
    """``auto``; ``required``; or, for a required call of the request's only tool (or of
    ``name``), that function by name — the form every server with tools takes."""
    if name is None and request.required and len(request.tools) == 1:
        name = request.tools[0].name
    if name is not None:
        return {"type": "function", "function": {"name": name}}
    return "required" if request.required else "auto"


_CHOSEN = re.compile(r"^functions\.([A-Za-z0-9_-]+):?$")


def chosen_without_call(answer: Any, request: ToolRequest) -> str | None:
    """The tool a reply named without calling it: llama-cpp-python's
    ``chatml-function-calling`` (0.3) picks a function as the text ``functions.NAME:`` but then
    fails to match the name and returns that text instead of the call. ``None`` otherwise."""
    choices = answer.get("choices") if isinstance(answer, dict) else None
    message = (choices[0].get("message") or {}) if choices and isinstance(choices[0], dict) else {}
    if message.get("tool_calls"):
        return None
    found = _CHOSEN.match(str(message.get("content") or "").strip())
    names = {spec.name for spec in request.tools}
    return found.group(1) if found and found.group(1) in names else None


def read_reply(answer: Any) -> tuple[str, list[ToolCall], str]:
    """A whole answer's text (its words, then its calls as the model would write them), its
    calls and its finish reason."""
    choices = answer.get("choices") if isinstance(answer, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise BackendError(f"the server's answer has no choices: {str(answer)[:200]}")
    message = choices[0].get("message") or {}
    content = str(message.get("content") or "")
    calls = []
    for index, raw in enumerate(message.get("tool_calls") or [], 1):
        function = raw.get("function") or {} if isinstance(raw, dict) else {}
        name = str(function.get("name") or "")
        calls.append(
            tool_call(name, function.get("arguments", {}), str(raw.get("id") or f"call_{index}"))
        )
    finish = "length" if choices[0].get("finish_reason") == "length" else "stop"
    return reply_text(content, calls), calls, finish
