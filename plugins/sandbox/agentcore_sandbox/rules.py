"""Which modules a sandboxed program may import, and which of their members it sees.

Plain data, importable without RestrictedPython: the ``python`` tool's
description lists the allowed modules from here, and the worker's policy
(:mod:`agentcore_sandbox.policy`) builds the module views from it. A rule is
``(members, denied)``: ``members`` is ``None`` for every public member (the
module's ``__all__``, or its names without a leading underscore), and
``denied`` maps a member to the reason it is refused, which the program sees.
Module objects are never exposed (``fractions.sys`` would be a way out).
"""

from __future__ import annotations

from collections.abc import Iterable

# Decimal's shared template contexts are mutable module globals: a write to one
# would leak into later programs run by the same worker.
_DECIMAL_SHARED = {"DefaultContext", "BasicContext", "ExtendedContext"}

# name -> (allowed members or None for every public member, {denied member: reason})
MODULE_RULES: dict[str, tuple[Iterable[str] | None, dict[str, str]]] = {
    "math": (None, {}),
    "cmath": (None, {}),
    "fractions": (("Fraction",), {}),
    "decimal": (None, dict.fromkeys(_DECIMAL_SHARED, "it is shared by every program")),
    "statistics": (None, {}),
    "datetime": (None, {}),
    "itertools": (None, {}),
    "collections": (None, {}),
    "functools": (
        ("reduce", "partial", "lru_cache", "cache", "cmp_to_key", "total_ordering"),
        {
            "wraps": "it copies private attributes between objects",
            "update_wrapper": "it copies private attributes between objects",
            "singledispatch": "it inspects annotations",
        },
    ),
    "re": (None, {}),
    "random": (None, {}),
    "string": (None, {"Formatter": "its format methods reach attributes unguarded"}),
    "heapq": (None, {}),
    "bisect": (None, {}),
    "operator": (
        None,
        {
            "attrgetter": "it reads attributes unguarded",
            "methodcaller": "it calls methods by name unguarded",
        },
    ),
    "json": (("dumps", "loads", "JSONDecodeError"), {}),
    "typing": (
        (
            "Any",
            "Callable",
            "Dict",
            "FrozenSet",
            "Iterable",
            "Iterator",
            "List",
            "Mapping",
            "Optional",
            "Sequence",
            "Set",
            "Tuple",
            "Union",
        ),
        {"get_type_hints": "it evaluates annotations as code"},
    ),
    "__future__": (("annotations",), {}),
}

ALLOWED_MODULES: tuple[str, ...] = tuple(sorted(n for n in MODULE_RULES if n != "__future__"))
