"""GBNF grammars that let a model write only a well-formed ReAct step.

Built from the registered tools' schemas: one thought line, then
``Action N: tool[argument]`` for a tool that exists — free text for
single-string tools, a JSON object with the schema's properties for the others
— or ``finish[answer]``. Backends that support grammars (llama.cpp) sample
only tokens the grammar allows, so a small model cannot emit a malformed
action; the tolerant parser stays for backends that cannot constrain.

Qwen's tokenizer has a single token for ``]\\n``; the grammar allows an
optional newline after the closing bracket so that token stays legal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from agentcore.models import ToolSpec
from agentcore.parsing import DEFAULT_LABELS, StepLabels

_BASE_RULES = r"""
ws ::= [ ]?
text ::= ( [^\[\]\n] | "[" inner "]" )+
inner ::= ( [^\[\]\n] | "[" inner "]" )*
jstring ::= "\"" ( [^"\\\n] | "\\" ["\\/bfnrt] )* "\""
jnumber ::= "-"? [0-9]+ ("." [0-9]+)?
jinteger ::= "-"? [0-9]+
jboolean ::= "true" | "false"
jnull ::= "null"
jvalue ::= jstring | jnumber | jboolean | jnull | jarray-any | jobject-any
jarray-any ::= "[" ws ( jvalue ( ws "," ws jvalue )* )? ws "]"
jobject-any ::= "{" ws ( jstring ws ":" ws jvalue ( ws "," ws jstring ws ":" ws jvalue )* )? ws "}"
"""


def react_step_grammar(
    tools: Sequence[ToolSpec],
    *,
    labels: StepLabels = DEFAULT_LABELS,
    max_thought_chars: int = 200,
) -> str:
    """A grammar for `` thought\\nAction N: call``, ``call`` being one of ``tools`` or finish.

    The action line is labelled as the prompt labels it (``labels``): ``Action N:`` when the
    labels are numbered, ``Action:`` in the chat format. Free-text arguments may contain
    balanced brackets (``python[print(x[0])]``) but no newline.
    """
    rules: list[str] = []
    calls: list[str] = []
    for spec in tools:
        rule = _rule_name(spec.name) + "-call"
        if spec.string_argument is not None:
            rules.append(f'{rule} ::= "{spec.name}[" text "]"')
        else:
            rules.append(f'{rule} ::= "{spec.name}[" {_object_rule(spec, rules)} "]"')
        calls.append(rule)
    calls.append("finish-call")
    rules.append('finish-call ::= "finish[" text "]"')
    action = _literal(labels.action)
    label = f'{action} " " [0-9]+ ": "' if labels.numbered else f'{action} ": "'
    head = [
        'root ::= thought "\\n" ' + label + ' call "\\n"?',
        f"thought ::= [^\\n]{{1,{max_thought_chars}}}",
        "call ::= " + " | ".join(calls),
    ]
    return "\n".join(head + rules) + "\n" + _BASE_RULES.strip() + "\n"


def _object_rule(spec: ToolSpec, rules: list[str]) -> str:
    """A rule for a JSON object with the schema's properties, required ones first, in order."""
    name = _rule_name(spec.name) + "-args"
    properties: dict[str, Any] = spec.parameters.get("properties", {})
    required = [p for p in properties if p in spec.parameters.get("required", [])]
    optional = [p for p in properties if p not in required]
    parts: list[str] = []
    for index, prop in enumerate(required):
        sep = "" if index == 0 else ' ws "," ws '
        parts.append(f'{sep}{_key(prop)} ws ":" ws {_value_rule(properties[prop])}')
    for prop in optional:
        sep = ' ws "," ws ' if parts else ""
        parts.append(f'({sep}{_key(prop)} ws ":" ws {_value_rule(properties[prop])})?')
    body = " ".join(parts) if parts else ""
    rules.append(f'{name} ::= "{{" ws {body} ws "}}"')
    return name


def _value_rule(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if "anyOf" in schema:
        options = [_value_rule(s) for s in schema["anyOf"]]
        return "(" + " | ".join(options) + ")"
    if "enum" in schema:
        return "(" + " | ".join(_literal(json.dumps(v)) for v in schema["enum"]) + ")"
    if kind == "string":
        return "jstring"
    if kind == "integer":
        return "jinteger"
    if kind == "number":
        return "jnumber"
    if kind == "boolean":
        return "jboolean"
    if kind == "null":
        return "jnull"
    if kind == "array":
        item = _value_rule(schema.get("items", {}))
        return f'("[" ws ({item} (ws "," ws {item})*)? ws "]")'
    return "jvalue"


def _key(name: str) -> str:
    return _literal(json.dumps(name))


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rule_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9-]", "-", name).lower()
