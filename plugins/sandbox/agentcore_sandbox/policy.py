"""What a sandboxed program can reach: builtins, guards and importable modules.

Imported only inside the worker process (it pulls in RestrictedPython and the
allowed modules). RestrictedPython rewrites every attribute access, item access,
iteration, augmented assignment and ``print`` in the program into calls of the
guard functions defined here; this module decides what those guards allow.

Policy, in short:

* no attribute whose name starts with ``_`` (no dunder walking), none of the
  frame/code/generator introspection attributes (``gi_frame``, ``f_back``,
  ``tb_frame``, ...) and no ``mro``;
* ``str.format``/``format_map`` work, but a format string that reaches an
  attribute the guard would refuse (``"{0.__class__}"``) is refused;
* writes only into lists, dicts, sets, deques, ``decimal.Context`` and objects
  of classes the program defined itself (a write into a tuple, string or number
  fails with Python's own error); ``operator.setitem`` is guarded the same way;
* ``import`` only from an allow-list, and each module exposes only members
  that cannot reach the interpreter (no ``operator.attrgetter``, no
  ``string.Formatter``, no module objects);
* no ``open``/``eval``/``exec``/``compile``/``vars``/``globals``/``locals``/
  ``dir``/``input``; ``getattr``/``setattr``/``hasattr``/``type``/``pow`` are
  the guarded versions (``type`` takes one argument and never returns a
  metaclass; ``**``/``pow`` refuse integer results too large to compute).

A refusal raises :class:`SandboxViolation` (a ``BaseException``, so
``except Exception`` in the program does not swallow it) *and* is recorded, so
the job reports ``forbidden`` even if the program catches it.
"""

from __future__ import annotations

import _string  # type: ignore[import-not-found]  # the parser str.format itself uses
import bisect
import builtins
import cmath
import codecs
import collections
import datetime
import decimal
import fractions
import functools
import heapq
import importlib
import itertools
import json
import math
import operator
import random
import re
import statistics
import string
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from RestrictedPython import safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from agentcore_sandbox.rules import ALLOWED_MODULES, MODULE_RULES


class SandboxViolation(BaseException):
    """The program tried something the sandbox does not allow."""


class OutputLimitExceeded(BaseException):
    """The program printed more than the output cap."""


# Attribute names refused on every object, on top of names starting with "_".
DENIED_ATTRIBUTES: frozenset[str] = frozenset(INSPECT_ATTRIBUTES) | {"mro"}


@dataclass
class JobState:
    """What the guards record while one program runs."""

    max_output_chars: int = 20_000
    max_int_bits: int = 1 << 24
    violations: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    output_size: int = 0
    output_exceeded: bool = False
    user_classes: set[type] = field(default_factory=set)

    def stdout(self) -> str:
        return "".join(self.output)


_state = JobState()


def begin_job(max_output_chars: int, max_int_bits: int) -> JobState:
    """Reset everything a previous program could have changed, and start recording."""
    global _state
    _state = JobState(max_output_chars=max_output_chars, max_int_bits=max_int_bits)
    decimal.setcontext(decimal.Context())
    random.seed()
    return _state


def violation(message: str) -> SandboxViolation:
    """Record a refusal and return the exception to raise."""
    _state.violations.append(message)
    return SandboxViolation(message)


# --- attributes ---------------------------------------------------------------------------


def check_attribute_name(name: str) -> None:
    """Refuse private and introspection attribute names."""
    if name.startswith("_"):
        raise violation(f"attribute {name!r} is not allowed (names starting with '_' are private)")
    if name in DENIED_ATTRIBUTES:
        raise violation(f"attribute {name!r} is not allowed (it exposes interpreter internals)")


def _is_str_type(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, str)


def _is_formatter(obj: Any) -> bool:
    return isinstance(obj, string.Formatter) or (
        isinstance(obj, type) and issubclass(obj, string.Formatter)
    )


def check_format_string(fmt: str, depth: int = 0) -> None:
    """Refuse a format string whose fields reach attributes the guard would refuse."""
    if depth > 3:
        raise ValueError("Max string recursion exceeded")
    for _literal, field_name, spec, _conversion in string.Formatter().parse(fmt):
        if field_name is not None:
            _first, rest = _string.formatter_field_name_split(field_name)
            for is_attribute, key in rest:
                if is_attribute:
                    check_attribute_name(key)
        if spec:
            check_format_string(spec, depth + 1)


def _safe_format(text: str) -> Callable[..., str]:
    def format(*args: Any, **kwargs: Any) -> str:
        check_format_string(text)
        return str.format(text, *args, **kwargs)

    return format


def _safe_format_map(text: str) -> Callable[[Any], str]:
    def format_map(mapping: Any) -> str:
        check_format_string(text)
        return str.format_map(text, mapping)

    return format_map


_MISSING = object()


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``_getattr_`` and the ``getattr`` builtin: every ``a.b`` in the program comes here."""
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    check_attribute_name(name)
    if name in ("format", "format_map"):
        if isinstance(obj, str):
            return _safe_format(obj) if name == "format" else _safe_format_map(obj)
        if _is_str_type(obj):
            raise violation(f"attribute 'str.{name}' is not allowed; call .{name}() on a string")
    if _is_formatter(obj):
        raise violation("string.Formatter is not allowed")
    if default is _MISSING:
        return getattr(obj, name)
    return getattr(obj, name, default)


def guarded_hasattr(obj: Any, name: str) -> bool:
    try:
        guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


_WRITABLE = (dict, list, set, bytearray, collections.deque, decimal.Context)
# Writing to these fails by itself with Python's usual TypeError/AttributeError.
_IMMUTABLE = frozenset({tuple, str, bytes, int, float, complex, bool, frozenset, range, type(None)})


def guarded_write(obj: Any) -> Any:
    """``_write_``: the target of ``a.b = v``, ``a[i] = v``, ``del a[i]``."""
    if isinstance(obj, _WRITABLE) and not isinstance(obj, type):
        return obj
    if type(obj) in _IMMUTABLE:
        return obj
    if type(obj) in _state.user_classes or (isinstance(obj, type) and obj in _state.user_classes):
        return obj
    kind = "module" if isinstance(obj, SafeModule) else type(obj).__name__
    raise violation(f"changing a {kind} object is not allowed")


def guarded_setattr(obj: Any, name: str, value: Any) -> None:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    check_attribute_name(name)
    setattr(guarded_write(obj), name, value)


def guarded_delattr(obj: Any, name: str) -> None:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    check_attribute_name(name)
    delattr(guarded_write(obj), name)


def _guarded_setitem(obj: Any, index: Any, value: Any) -> None:
    guarded_write(obj)[index] = value


def _guarded_delitem(obj: Any, index: Any) -> None:
    del guarded_write(obj)[index]


def guarded_getitem(obj: Any, index: Any) -> Any:
    return obj[index]


def guarded_apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


# --- arithmetic --------------------------------------------------------------------------


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    """``**`` and ``pow``: refuse integer powers too large to compute before computing them."""
    if (
        modulus is None
        and isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
    ):
        bits = (abs(base).bit_length() - 1) * exponent
        if bits > _state.max_int_bits:
            raise MemoryError(
                f"integer power too large: the result would need about {bits:,} bits "
                f"(limit {_state.max_int_bits:,})"
            )
    if modulus is None:
        return pow(base, exponent)
    return pow(base, exponent, modulus)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": guarded_pow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "@=": operator.imatmul,
}


def guarded_inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        function = _INPLACE[op]
    except KeyError:
        raise violation(f"augmented assignment {op!r} is not allowed") from None
    return function(target, value)


# --- builtins ----------------------------------------------------------------------------


def guarded_type(*args: Any) -> type:
    """One-argument ``type`` that never hands out a metaclass (no class creation)."""
    if len(args) != 1:
        raise violation("type() with 3 arguments (creating classes) is not allowed")
    result = type(args[0])
    if issubclass(result, type):
        raise violation("type() of a class is not allowed")
    return result


def _denied_builtin(name: str) -> Callable[..., Any]:
    def denied(*args: Any, **kwargs: Any) -> Any:
        raise violation(f"builtin {name!r} is not allowed")

    denied.__name__ = name
    return denied


DENIED_BUILTINS = (
    "open",
    "eval",
    "exec",
    "compile",
    "vars",
    "globals",
    "locals",
    "dir",
    "input",
    "help",
    "exit",
    "quit",
    "memoryview",
    "breakpoint",
)

_EXTRA_BUILTINS = (
    "all",
    "any",
    "ascii",
    "bin",
    "classmethod",
    "dict",
    "enumerate",
    "filter",
    "frozenset",
    "iter",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "property",
    "range",
    "reversed",
    "set",
    "sorted",
    "staticmethod",
    "sum",
    "super",
    "tuple",
    "zip",
    "NotImplemented",
    "RecursionError",
    "ModuleNotFoundError",
    "StopAsyncIteration",
)


def _build_builtins() -> dict[str, Any]:
    table: dict[str, Any] = {
        name: value
        for name, value in safe_builtins.items()
        if not name.startswith("_") or name == "__build_class__"
    }
    for name in _EXTRA_BUILTINS:
        table[name] = getattr(builtins, name)
    for name in DENIED_BUILTINS:
        table[name] = _denied_builtin(name)
    table.update(
        getattr=guarded_getattr,
        hasattr=guarded_hasattr,
        setattr=guarded_setattr,
        delattr=guarded_delattr,
        type=guarded_type,
        pow=guarded_pow,
        __import__=guarded_import,
    )
    return table


# --- modules -----------------------------------------------------------------------------


class SafeModule:
    """A read-only view of an allowed module exposing only its safe members."""

    __slots__ = ("_denied", "_members", "_name")

    def __init__(self, name: str, members: dict[str, Any], denied: dict[str, str]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", dict(members))
        object.__setattr__(self, "_denied", dict(denied))

    def __getattr__(self, attribute: str) -> Any:
        members = object.__getattribute__(self, "_members")
        if attribute in members:
            return members[attribute]
        name = object.__getattribute__(self, "_name")
        reason = object.__getattribute__(self, "_denied").get(attribute)
        if reason is not None:
            raise violation(f"{name}.{attribute} is not allowed ({reason})")
        raise AttributeError(f"module {name!r} has no attribute {attribute!r} in the sandbox")

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise violation("changing a module object is not allowed")

    def __delattr__(self, attribute: str) -> None:
        raise violation("changing a module object is not allowed")

    def __repr__(self) -> str:
        return f"<sandboxed module {object.__getattribute__(self, '_name')!r}>"


def _public_members(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return list(names)


def _build_modules() -> dict[str, SafeModule]:
    imported = {
        "math": math,
        "cmath": cmath,
        "fractions": fractions,
        "decimal": decimal,
        "statistics": statistics,
        "datetime": datetime,
        "itertools": itertools,
        "collections": collections,
        "functools": functools,
        "re": re,
        "random": random,
        "string": string,
        "heapq": heapq,
        "bisect": bisect,
        "operator": operator,
        "json": json,
        "typing": typing,
        "__future__": __import__("__future__"),
    }
    modules: dict[str, SafeModule] = {}
    for name, (allowed, denied) in MODULE_RULES.items():
        module = imported[name]
        names = _public_members(module) if allowed is None else list(allowed)
        members: dict[str, Any] = {}
        for member in names:
            if member in denied or member.startswith("_"):
                continue
            value = getattr(module, member)
            if isinstance(value, types.ModuleType):
                continue
            members[member] = value
        if name == "operator":  # the function forms of guarded operations stay guarded
            members["pow"] = members["ipow"] = guarded_pow
            members["setitem"] = _guarded_setitem
            members["delitem"] = _guarded_delitem
        modules[name] = SafeModule(name, members, denied)
    return modules


# Allowed modules' C code imports these itself through the program's __import__
# (datetime's strftime needs time, strptime needs _strptime). C code passes an empty
# *list* as fromlist; an import statement passes None or a tuple. They are imported
# now, while the worker can still read the standard library.
_C_LEVEL_IMPORTS: dict[str, types.ModuleType] = {
    name: importlib.import_module(name) for name in ("time", "_strptime")
}
# Codecs str.encode/bytes.decode may look up; others are "unknown encoding" later,
# because a worker that gave up root can no longer read the standard library.
PRELOADED_CODECS = (
    "ascii",
    "latin_1",
    "utf_8_sig",
    "utf_16",
    "utf_16_le",
    "utf_16_be",
    "utf_32",
    "cp1252",
    "cp437",
    "iso8859_15",
    "unicode_escape",
    "raw_unicode_escape",
    "idna",
    "punycode",
)
for _codec in PRELOADED_CODECS:
    codecs.lookup(_codec)


def guarded_import(
    name: str,
    globals: Any = None,
    locals: Any = None,
    fromlist: Any = (),
    level: int = 0,
) -> Any:
    """``__import__``: only allowed modules, each as a :class:`SafeModule`."""
    if type(fromlist) is list and not fromlist and level == 0 and name in _C_LEVEL_IMPORTS:
        return _C_LEVEL_IMPORTS[name]
    if level != 0:
        raise violation("relative imports are not allowed")
    module = MODULES.get(name)
    if module is None:
        raise violation(
            f"import of {name!r} is not allowed (allowed modules: {', '.join(ALLOWED_MODULES)})"
        )
    return module


MODULES: dict[str, SafeModule] = _build_modules()
BUILTINS: dict[str, Any] = _build_builtins()


# --- printing and classes ------------------------------------------------------------------


class Printer:
    """What ``_print_`` returns: every ``print`` in the program goes to the capped buffer."""

    def __init__(self, _getattr_: Any = None) -> None:
        self.state = _state

    def write(self, text: str) -> None:
        state = self.state
        if state.output_exceeded:
            raise OutputLimitExceeded(state.max_output_chars)
        room = state.max_output_chars - state.output_size
        if len(text) > room:
            state.output.append(text[:room])
            state.output_size = state.max_output_chars
            state.output_exceeded = True
            raise OutputLimitExceeded(state.max_output_chars)
        state.output.append(text)
        state.output_size += len(text)

    def flush(self) -> None:
        """``print(..., flush=True)`` calls this; nothing is buffered."""

    def __call__(self) -> str:
        return self.state.stdout()

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        target = kwargs.get("file")
        if target is None:
            kwargs["file"] = self
        else:
            guarded_getattr(target, "write")
        print(*objects, **kwargs)


def make_class(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """``__metaclass__``: classes the program defines are recorded so their objects are writable."""
    cls = type(name, bases, namespace)
    _state.user_classes.add(cls)
    return cls


def make_globals() -> dict[str, Any]:
    """A fresh namespace for one program."""
    return {
        "__builtins__": dict(BUILTINS),
        "__name__": "sandbox_program",
        "__metaclass__": make_class,
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": guarded_write,
        "_inplacevar_": guarded_inplacevar,
        "_apply_": guarded_apply,
        "_print_": Printer,
        "_print": Printer(),
        "_pow_": guarded_pow,
    }
