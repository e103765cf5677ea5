"""A small GBNF recogniser: whether a grammar allows a text, checked without a model.

llama.cpp samples only what a grammar allows; whether a grammar allows a given text is a
property of the grammar alone, so tests (the core's, and a tool author's checking the step
grammar their tool's schema produces) can check it fast and without a model.

It reads the GBNF subset the engine writes (literals, character classes with ranges and
negation, rule references, groups, alternation, ``* + ?`` and ``{m,n}``) and answers whether
a whole text matches ``root``. A construct outside that subset is a
:class:`GrammarSyntaxError`, never a silent pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "[": "[", "]": "]", "/": "/"}


class GrammarSyntaxError(ValueError):
    """The grammar text is not GBNF this recogniser understands."""


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class CharClass:
    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def accepts(self, char: str) -> bool:
        inside = any(low <= char <= high for low, high in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple[object, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[object, ...]


@dataclass(frozen=True)
class Repeat:
    item: object
    low: int
    high: int | None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _escape(self) -> str:
        char = self.text[self.pos + 1]
        if char == "x":
            value, self.pos = chr(int(self.text[self.pos + 2 : self.pos + 4], 16)), self.pos + 4
            return value
        if char not in _ESCAPES:
            raise GrammarSyntaxError(f"unknown escape \\{char} at {self.pos}")
        self.pos += 2
        return _ESCAPES[char]

    def alternation(self) -> object:
        options = [self.sequence()]
        while self._peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self) -> object:
        items = []
        while self._peek() not in ("", "|", ")"):
            items.append(self.repeated())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def repeated(self) -> object:
        item = self.atom()
        mark = self.text[self.pos] if self.pos < len(self.text) else ""
        if mark and mark in "*+?":
            self.pos += 1
            return Repeat(item, 1 if mark == "+" else 0, 1 if mark == "?" else None)
        bounds = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.text, self.pos)
        if bounds:
            self.pos = bounds.end()
            low = int(bounds.group(1))
            high = low if bounds.group(2) is None else (int(bounds.group(3) or 0) or None)
            return Repeat(item, low, high)
        return item

    def atom(self) -> object:
        char = self._peek()
        if char == '"':
            self.pos += 1
            out = []
            while self.text[self.pos] != '"':
                if self.text[self.pos] == "\\":
                    out.append(self._escape())
                else:
                    out.append(self.text[self.pos])
                    self.pos += 1
            self.pos += 1
            return Literal("".join(out))
        if char == "[":
            self.pos += 1
            negated = self.text[self.pos] == "^"
            self.pos += negated
            ranges = []
            while self.text[self.pos] != "]":
                low = self._class_char()
                if self.text[self.pos] == "-" and self.text[self.pos + 1] != "]":
                    self.pos += 1
                    ranges.append((low, self._class_char()))
                else:
                    ranges.append((low, low))
            self.pos += 1
            return CharClass(tuple(ranges), negated)
        if char == "(":
            self.pos += 1
            inner = self.alternation()
            if self._peek() != ")":
                raise GrammarSyntaxError(f"unclosed group at {self.pos}")
            self.pos += 1
            return inner
        name = re.compile(r"[a-zA-Z0-9-]+").match(self.text, self.pos)
        if not name:
            raise GrammarSyntaxError(f"unexpected {char!r} at {self.pos} in {self.text!r}")
        self.pos = name.end()
        return Ref(name.group())

    def _class_char(self) -> str:
        if self.text[self.pos] == "\\":
            return self._escape()
        char = self.text[self.pos]
        self.pos += 1
        return char


def parse_gbnf(grammar: str) -> dict[str, object]:
    """The grammar's rules (one ``name ::= expression`` per line), checked for references."""
    rules: dict[str, object] = {}
    for line in grammar.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, body = line.partition("::=")
        if not sep:
            raise GrammarSyntaxError(f"not a rule: {line!r}")
        parser = _Parser(body)
        rules[name.strip()] = parser.alternation()
        if parser._peek():
            raise GrammarSyntaxError(f"trailing text in rule {name.strip()!r}: {body!r}")
    if "root" not in rules:
        raise GrammarSyntaxError("the grammar has no root rule")
    for node in rules.values():
        _check_refs(node, rules)
    return rules


def _check_refs(node: object, rules: dict[str, object]) -> None:
    if isinstance(node, Ref) and node.name not in rules:
        raise GrammarSyntaxError(f"rule {node.name!r} is used but not defined")
    for child in getattr(node, "items", ()) + getattr(node, "options", ()):
        _check_refs(child, rules)
    if isinstance(node, Repeat):
        _check_refs(node.item, rules)


def accepts(grammar: str, text: str) -> bool:
    """Whether ``text``, whole, is a sentence of ``grammar``'s ``root`` rule."""
    rules = parse_gbnf(grammar)

    @cache
    def ends(node: object, pos: int) -> frozenset[int]:
        if isinstance(node, Literal):
            return (
                frozenset([pos + len(node.text)])
                if text.startswith(node.text, pos)
                else frozenset()
            )
        if isinstance(node, CharClass):
            ok = pos < len(text) and node.accepts(text[pos])
            return frozenset([pos + 1]) if ok else frozenset()
        if isinstance(node, Ref):
            return ends(rules[node.name], pos)
        if isinstance(node, Alt):
            return frozenset().union(*(ends(option, pos) for option in node.options))
        if isinstance(node, Seq):
            current = frozenset([pos])
            for item in node.items:
                current = frozenset().union(*(ends(item, p) for p in current))
            return current
        if isinstance(node, Repeat):
            reached = {pos} if node.low == 0 else set()
            current, count = {pos}, 0
            while current and (node.high is None or count < node.high):
                count += 1
                current = set().union(*(ends(node.item, p) for p in current))
                if count >= node.low:  # past the minimum, only new positions need exploring
                    current -= reached
                    reached |= current
            return frozenset(reached)
        raise GrammarSyntaxError(f"unknown node {node!r}")

    return len(text) in ends(rules["root"], 0)
