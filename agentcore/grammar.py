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

import itertools
import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from agentcore.models import ToolSpec
from agentcore.parsing import DEFAULT_LABELS, StepLabels

BASE_RULES = r"""
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
    exclude: Mapping[str, Collection[str]] | None = None,
) -> str:
    """A grammar for `` thought\\nAction N: call``, ``call`` being one of ``tools`` or finish.

    The action line is labelled as the prompt labels it (``labels``): ``Action N:`` when the
    labels are numbered, ``Action:`` in the chat format. Free-text arguments may contain
    balanced brackets (``python[print(x[0])]``) but no newline.

    ``exclude`` maps a single-string tool's name to arguments it may not be called with
    again, nor with one of them extended (``search[X (film)]`` after ``search[X]``), ignoring
    case and surrounding spaces: the loop regenerates a repeated action under this grammar,
    and a small model barred only from the exact repeat pads it out instead.
    """
    rules: list[str] = []
    calls: list[str] = []
    for spec in tools:
        rule = rule_name(spec.name) + "-call"
        banned = [a for a in (exclude or {}).get(spec.name, ()) if excludable(a)]
        if spec.string_argument is not None and banned:
            argument = rule_name(spec.name) + "-new"
            rules += excluding_rules(argument, banned)
            rules.append(f'{rule} ::= "{spec.name}[" {argument} "]"')
        elif spec.string_argument is not None:
            rules.append(f'{rule} ::= "{spec.name}[" text "]"')
        else:
            rules.append(f'{rule} ::= "{spec.name}[" {json_object_rules(spec, rules)} "]"')
        calls.append(rule)
    calls.append("finish-call")
    rules.append('finish-call ::= "finish[" text "]"')
    action = literal(labels.action)
    label = f'{action} " " [0-9]+ ": "' if labels.numbered else f'{action} ": "'
    head = [
        'root ::= thought "\\n" ' + label + ' call "\\n"?',
        f"thought ::= [^\\n]{{1,{max_thought_chars}}}",
        "call ::= " + " | ".join(calls),
    ]
    return "\n".join(head + rules) + "\n" + BASE_RULES.strip() + "\n"


def excludable(argument: str) -> bool:
    """Whether :func:`react_step_grammar` can exclude ``argument`` (one line, no brackets)."""
    text = argument.strip()
    return bool(text) and not any(char in text for char in "[]\n")


def excluding_rules(name: str, banned: Sequence[str], *, json_string: bool = False) -> list[str]:
    """Rules for free text that neither is nor starts with one of ``banned`` (ignoring case);
    ``json_string``: the inside of a JSON string (no quote, backslash or newline) instead of
    an action's argument (no newline, brackets balanced).

    The banned strings make a trie; each node is a rule that either leaves the trie (a
    character no banned string continues with, then any text), follows one of its edges
    (never into a node where a banned string ends), or ends there. The text may neither
    start nor end with a space, so spaces cannot smuggle a banned string back in.
    """
    trie: dict[str, Any] = {}
    for argument in banned:
        node = trie
        for char in argument.strip().lower():
            node = node.setdefault(char, {})
        node[""] = {}  # a banned string ends here
    rest, rest1 = f"{name}-rest", f"{name}-rest1"
    rules: list[str] = []
    counter = itertools.count()

    def visit(node: dict[str, Any], rule: str, *, root: bool, endable: bool) -> None:
        edges = sorted(char for char in node if char)
        blocked = {c for e in edges for c in _cases(e)} | set(' "\\\n' if json_string else " []\n")
        options = [f"[^{_class_chars(blocked)}] {rest}"]
        if not root and " " not in edges:
            options.append(f'" " {rest1}')
        for char in edges:
            if "" in node[char]:
                continue  # a banned string ends there: neither it nor its extensions
            child = f"{name}-{next(counter)}"
            options.append(f"{_char_rule(char)} {child}")
            visit(node[char], child, root=False, endable=char != " ")
        body = " | ".join(options)
        rules.append(f"{rule} ::= ( {body} )?" if endable else f"{rule} ::= {body}")

    visit(trie, name, root=True, endable=False)
    # free text that does not end with a space (rest1: and is not empty)
    rules.append(f"{rest} ::= {rest1}?")
    if json_string:
        rules.append(f'{rest1} ::= [^"\\\\\\n]* [^ "\\\\\\n]')
    else:
        rules.append(
            f'{rest1} ::= ( [^\\[\\]\\n] | "[" inner "]" )* ( [^ \\[\\]\\n] | "[" inner "]" )'
        )
    return rules


def _cases(char: str) -> set[str]:
    upper = char.upper()
    return {char, upper} if len(upper) == 1 else {char}


def _char_rule(char: str) -> str:
    """One character, either case."""
    return f"[{_class_chars(_cases(char))}]"


def _class_chars(chars: Collection[str]) -> str:
    """Characters for inside ``[...]``, the ones GBNF gives meaning to escaped."""
    return "".join(f"\\x{ord(c):02x}" if c in '\\]-^["\n' else c for c in sorted(chars))


def json_object_rules(spec: ToolSpec, rules: list[str]) -> str:
    """A rule for a JSON object with the schema's properties, required ones first, in order."""
    name = rule_name(spec.name) + "-args"
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
        return "(" + " | ".join(literal(json.dumps(v)) for v in schema["enum"]) + ")"
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
    return literal(json.dumps(name))


def literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rule_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9-]", "-", name).lower()
