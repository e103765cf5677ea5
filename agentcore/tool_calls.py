"""Native tool calls in the Hermes format that Qwen2.5 (and many open models) are trained on.

A model that calls tools natively is shown the tools' JSON schemas in its system message,
inside ``<tools>``, one JSON object per line, and replies with each call as a JSON object
``{"name": ..., "arguments": {...}}`` inside ``<tool_call>`` tags; the result goes back in a
user turn inside ``<tool_response>``. The turns are ChatML (``<|im_start|>role``).

This module renders a :class:`~agentcore.models.ToolRequest` that way (what a backend without
a chat template of its own sends), reads the calls out of a reply, and writes the grammar
under which a backend that supports grammars can only produce a well-formed call of one of
the request's tools — the native counterpart of :func:`agentcore.grammar.react_step_grammar`.
A backend whose model has its own template (llama.cpp reads it from the GGUF) renders with
that instead; a server (the OpenAI-compatible backend) gets the tools as its API takes them
(:func:`function_tool`) and returns the calls parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from agentcore.grammar import BASE_RULES, excluding_rules, json_object_rules, literal, rule_name
from agentcore.models import Message, ToolCall, ToolRequest, ToolSpec

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"
CALL_LINE_END = "}}\n"
"""Where a call written on one line ends (its arguments' object and its own closing); as a
stop sequence it ends a reply after its first call, whose two braces then go back on."""
_CALL = re.compile(re.escape(CALL_OPEN) + r"\s*(.*?)\s*(?:" + re.escape(CALL_CLOSE) + r"|\Z)", re.S)

_BARE = re.compile(r'(?:^|\n)[ \t]*(\{\s*"name"\s*:)')

_TOOLS_INTRO = (
    "\n\n# Tools\n\nYou may call a function to help with the user's question. Their "
    "signatures are inside <tools></tools>:\n<tools>"
)
_TOOLS_OUTRO = (
    "\n</tools>\n\nFor a call, write a JSON object with the function's name and arguments "
    'inside <tool_call></tool_call> tags:\n<tool_call>\n{"name": <function-name>, '
    '"arguments": <args-json-object>}\n</tool_call>'
)


def function_tool(spec: ToolSpec) -> dict[str, Any]:
    """``spec`` as an OpenAI-style function tool (what chat templates and APIs take)."""
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    }


def call_json(call: ToolCall) -> str:
    """The call as the model writes it: ``{"name": ..., "arguments": {...}}``."""
    arguments = (
        json.dumps(call.arguments, ensure_ascii=False)
        if call.arguments is not None
        else call.arguments_text
    )
    return f'{{"name": {json.dumps(call.name, ensure_ascii=False)}, "arguments": {arguments}}}'


def reply_text(content: str, calls: Sequence[ToolCall]) -> str:
    """An assistant reply written out: its words, then each call in its tags."""
    parts = [content.strip()] if content.strip() else []
    parts += [f"{CALL_OPEN}\n{call_json(call)}\n{CALL_CLOSE}" for call in calls]
    return "\n".join(parts)


def render_chatml(request: ToolRequest) -> str:
    """The request as a ChatML prompt with the Hermes tool format, ending where the assistant
    writes; the instructions (a leading system message) come before the tool list."""
    messages = list(request.messages)
    system = messages.pop(0).content if messages and messages[0].role == "system" else ""
    if request.tools:
        listed = "".join(
            "\n" + json.dumps(function_tool(t), ensure_ascii=False) for t in request.tools
        )
        system += _TOOLS_INTRO + listed + _TOOLS_OUTRO
    out = [f"<|im_start|>system\n{system}<|im_end|>\n"] if system else []
    index = 0
    while index < len(messages):
        message = messages[index]
        if message.role == "tool":  # consecutive results share one user turn
            responses = []
            while index < len(messages) and messages[index].role == "tool":
                responses.append(f"<tool_response>\n{messages[index].content}\n</tool_response>")
                index += 1
            out.append("<|im_start|>user\n" + "\n".join(responses) + "<|im_end|>\n")
            continue
        body = message.content
        if message.role == "assistant" and message.tool_calls:
            body = reply_text(message.content, message.tool_calls)
        out.append(f"<|im_start|>{message.role}\n{body}<|im_end|>\n")
        index += 1
    return "".join(out) + "<|im_start|>assistant\n"


def template_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as chat templates and APIs take them: each call as a ``function`` with its
    arguments as an object (templates write them with ``tojson``)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            entry["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments or {}},
                }
                for call in message.tool_calls
            ]
        if message.tool_call_id is not None:
            entry["tool_call_id"] = message.tool_call_id
        if message.name is not None:
            entry["name"] = message.name
        out.append(entry)
    return out


def parse_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """A reply's words (before its first call) and its calls, in order.

    A call whose JSON is broken is kept with ``error`` set (and ``arguments`` ``None``), so
    the loop can tell the model what was wrong; a reply cut off inside its last call (a stop
    sequence at ``</tool_call>``, or the token limit) still has that call read.
    """
    first = text.find(CALL_OPEN)
    if first < 0:
        return _bare_calls(text)
    content = text[:first].strip()
    calls = [
        _read_call(match.group(1), index) for index, match in enumerate(_CALL.finditer(text), 1)
    ]
    return content, calls


def closed_call(text: str) -> str:
    """``text`` with the braces a :data:`CALL_LINE_END` stop took off put back, when its last
    line is a call that needs them."""
    last = text.rsplit("\n", 1)[-1].strip()
    if not _BARE.match("\n" + last):
        return text
    try:
        json.loads(last)
    except json.JSONDecodeError:
        try:
            json.loads(last + "}}")
        except json.JSONDecodeError:
            return text
        return text + "}}"
    return text


def _bare_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Calls written without their tags: JSON objects ``{"name": ...`` on lines of their own
    (a backend that drops special tokens from the text shows a Hermes call that way)."""
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    content_end: int | None = None
    end = 0
    for match in _BARE.finditer(text):
        start = match.start(1)
        if calls and start < end:
            continue
        try:
            _, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            end = len(text)
        if content_end is None:
            content_end = start
        calls.append(_read_call(text[start:end], len(calls) + 1))
    content = text if content_end is None else text[:content_end]
    return content.strip(), calls


def _read_call(body: str, index: int) -> ToolCall:
    ident = f"call_{index}"
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return ToolCall(
            id=ident, name=_guess_name(body), arguments_text=body,
            error=f"the call is not valid JSON ({exc.msg} at character {exc.pos})",
        )  # fmt: skip
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return ToolCall(
            id=ident, name="", arguments_text=body,
            error='a call is a JSON object {"name": ..., "arguments": {...}}',
        )  # fmt: skip
    return tool_call(value["name"], value.get("arguments", {}), ident)


def tool_call(name: str, arguments: Any, ident: str = "") -> ToolCall:
    """A call from its name and arguments as given (an object, or JSON text of one, as
    OpenAI-style APIs send them)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(
                id=ident, name=name, arguments_text=text,
                error=f"the arguments are not valid JSON ({exc.msg} at character {exc.pos})",
            )  # fmt: skip
    if not isinstance(arguments, dict):
        return ToolCall(
            id=ident, name=name, arguments_text=text, error="the arguments must be a JSON object"
        )
    return ToolCall(id=ident, name=name, arguments=arguments, arguments_text=text)


def _guess_name(body: str) -> str:
    found = re.search(r'"name"\s*:\s*"([^"]*)"', body)
    return found.group(1) if found else ""


def tool_call_grammar(
    tools: Sequence[ToolSpec],
    *,
    max_thought_chars: int = 200,
    exclude: Mapping[str, Collection[str]] | None = None,
) -> str:
    """A GBNF grammar for an optional one-line thought, then one well-formed call of one of
    ``tools``, its arguments an object with the tool's schema's properties.

    The tags are optional: a Hermes-trained model writes them as single special tokens,
    which a grammar over text does not offer, so under the grammar it writes the bare JSON
    object (:func:`parse_tool_calls` reads both). ``exclude`` maps a single-string tool to
    arguments it may not be called with again, nor with one of them extended (as
    :func:`agentcore.grammar.react_step_grammar` does for text actions).
    """
    rules: list[str] = []
    calls: list[str] = []
    for spec in tools:
        name = rule_name(spec.name) + "-tool"
        banned = [a for a in (exclude or {}).get(spec.name, ()) if json_excludable(a)]
        if spec.string_argument is not None and banned:
            inner = rule_name(spec.name) + "-new"
            rules += excluding_rules(inner, banned, json_string=True)
            key = literal(json.dumps(spec.string_argument))
            arguments = rule_name(spec.name) + "-args"
            rules.append(f'{arguments} ::= "{{" ws {key} ws ":" ws "\\"" {inner} "\\"" ws "}}"')
        else:
            arguments = json_object_rules(spec, rules)
        named = literal(json.dumps(spec.name))
        rules.append(f'{name} ::= {named} ws "," ws "\\"arguments\\":" ws {arguments}')
        calls.append(name)
    head = [
        f'root ::= thought? ( {literal(CALL_OPEN)} "\\n" )? "{{" ws "\\"name\\":" ws call ws "}}" '
        f'( "\\n" {literal(CALL_CLOSE)} )?',
        f'thought ::= [^<{{\\n] [^<\\n]{{0,{max_thought_chars - 1}}} "\\n"',
        "call ::= " + " | ".join(calls),
    ]
    return "\n".join(head + rules) + "\n" + BASE_RULES.strip() + "\n"


def json_excludable(argument: str) -> bool:
    """Whether :func:`tool_call_grammar` can exclude ``argument`` (one line, nothing JSON
    would escape)."""
    text = argument.strip()
    return bool(text) and not any(char in text for char in '"\\\n') and text.isprintable()
