"""What a sandboxed program can reach: builtins, guards and importable modules.

Imported only inside the worker process (it pulls in RestrictedPython and the
allowed modules). RestrictedPython rewrites every attribute access, item access,
iteration, augmented assignment and ``print`` in the program into calls of the
guard functions defined here; this module decides what those guards allow.

Policy, in short:

* no attribute whose name starts with ``_`` (no dunder walking), none of the
  frame/code/generator introspection attributes (``gi_frame``, ``f_back``,
  ``tb_frame``, ...) and no ``mro``;
* ``str.format``/``format_map`` work, but their fields are resolved through
  the same guards as program code (``"{0.__class__}"`` is refused), however
  the bound method was reached (a ``str`` subclass, ``super()``);
* the value screen: no module, frame, code object, traceback, real builtin
  function or module namespace crosses an attribute or item access, and the
  exception a handler binds (``except E as e``) carries none either — a
  refused object in its ``args``/``obj``/``value``... is replaced by a string
  naming its type;
* no attribute of a ``typing`` object (they forward to the ABCs behind them);
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
import builtins
import codecs
import collections
import decimal
import importlib
import operator
import random
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


# --- the value screen ----------------------------------------------------------------------

# Values that pass without a second look (containers are checked where they come
# from: exceptions are cleaned when a handler binds them).
_PLAIN_TYPES: frozenset[type] = frozenset(
    {
        int,
        float,
        complex,
        str,
        bytes,
        bool,
        type(None),
        list,
        tuple,
        set,
        frozenset,
        range,
        types.FunctionType,
        types.MethodType,
        types.GeneratorType,
    }
)
# Objects that are a way into the interpreter, whatever reaches them.
_REFUSED_INSTANCES: tuple[type, ...] = (
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.CellType,
    string.Formatter,
    collections.UserString,
    operator.attrgetter,
    operator.methodcaller,
)
_REAL_BUILTINS = (
    "open",
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "hasattr",
    "vars",
    "globals",
    "locals",
    "dir",
    "input",
    "breakpoint",
    "help",
    "exit",
    "quit",
    "memoryview",
    "type",
)
_REFUSED_IDS: dict[int, str] = {
    id(getattr(builtins, name)): f"the real builtin {name!r}"
    for name in _REAL_BUILTINS
    if hasattr(builtins, name)
}
_REFUSED_IDS[id(str.format)] = "the unbound str.format"
_REFUSED_IDS[id(str.format_map)] = "the unbound str.format_map"
_NAMESPACE_IDS: set[int] = set()  # every module's __dict__; filled once all modules are imported


def refusal(value: Any) -> str | None:
    """Why ``value`` must not reach a program, or ``None`` if it may."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return None
    reason = _REFUSED_IDS.get(id(value))
    if reason is not None:
        return reason
    if kind is dict:
        if (
            id(value) in _NAMESPACE_IDS
            or "__builtins__" in value
            or ("__spec__" in value and "__loader__" in value)
        ):
            return "a module's namespace"
        return None
    if isinstance(value, _REFUSED_INSTANCES):
        return f"a {kind.__name__} object"
    if isinstance(value, type) and (
        issubclass(value, type)
        or issubclass(value, _REFUSED_INSTANCES)
        or value in (types.FunctionType, types.LambdaType, types.MethodType)
    ):
        return f"the class {value.__name__!r}"
    return None


def screen(value: Any) -> Any:
    """Let ``value`` through to the program, refuse it, or hand out its guarded stand-in."""
    if type(value) is types.BuiltinMethodType:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and value.__name__ in _STR_FORMATTERS:
            # a str subclass's format reached some other way, e.g. super().format
            return _STR_FORMATTERS[value.__name__](owner)
    reason = refusal(value)
    if reason is not None:
        raise violation(f"{reason} is not reachable from the sandbox")
    return value


# Attributes through which exceptions raised by trusted code carry objects.
_CARRIER_ATTRIBUTES = ("obj", "name", "value", "object", "path", "filename", "filename2", "doc")
_MAX_CLEAN_DEPTH = 6


def guard_exception(exc: Any) -> Any:
    """``_exception_``: what ``except E as name`` binds passes through here first.

    An exception raised by trusted code (the format machinery, a library, the
    interpreter) can carry objects the program could never reach otherwise —
    ``AttributeError.obj`` is the object whose lookup failed. Every refused
    object it carries, in ``args``, in the attributes above or in its own
    ``__dict__``, and in nested exception groups, is replaced by a string that
    names its type. Catching an exception is not itself a violation.
    """
    if isinstance(exc, BaseException):
        _clean_exception(exc, 0)
    return exc


def _clean_exception(exc: BaseException, depth: int) -> None:
    if depth > _MAX_CLEAN_DEPTH:
        return
    args = exc.args
    cleaned = tuple(_clean(a, depth + 1) for a in args)
    if any(c is not a for c, a in zip(cleaned, args, strict=True)):
        exc.args = cleaned
    names = [*_CARRIER_ATTRIBUTES, *getattr(exc, "__dict__", {})]
    for name in names:
        if name.startswith("_"):
            continue
        try:
            value = getattr(exc, name)
        except AttributeError:
            continue
        replacement = _clean(value, depth + 1)
        if replacement is not value:
            try:
                setattr(exc, name, replacement)
            except (AttributeError, TypeError):  # read-only: hide the whole exception's payload
                exc.args = (f"{type(exc).__name__} (details hidden by the sandbox)",)
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            _clean_exception(inner, depth + 1)


def _clean(value: Any, depth: int) -> Any:
    if depth > _MAX_CLEAN_DEPTH:
        return value if type(value) in (int, float, str, bool, type(None)) else "<hidden>"
    if isinstance(value, BaseException):
        _clean_exception(value, depth)
        return value
    if type(value) in (tuple, list):
        items = [_clean(v, depth + 1) for v in value]
        if any(c is not v for c, v in zip(items, value, strict=True)):
            return type(value)(items)
        return value
    if type(value) is dict:
        if refusal(value) is None:
            pairs = [(k, _clean(v, depth + 1)) for k, v in value.items()]
            if any(c is not value[k] for k, c in pairs):
                return dict(pairs)
            return value
    elif type(value) in (set, frozenset):
        items = [_clean(v, depth + 1) for v in value]
        if any(c is not v for c, v in zip(items, value, strict=True)):
            return type(value)(i for i in items if refusal(i) is None)
        return value
    reason = refusal(value)
    if reason is None:
        return value
    return f"<{type(value).__name__} hidden by the sandbox>"


# --- attributes ---------------------------------------------------------------------------


def check_attribute_name(name: str) -> None:
    """Refuse private and introspection attribute names."""
    if name.startswith("_"):
        raise violation(f"attribute {name!r} is not allowed (names starting with '_' are private)")
    if name in DENIED_ATTRIBUTES:
        raise violation(f"attribute {name!r} is not allowed (it exposes interpreter internals)")


def _is_str_type(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, str)


class GuardedFormatter(string.Formatter):
    """``str.format`` semantics with every field resolved through the guards.

    ``"{0.attr[key]}"`` walks ``attr`` with :func:`guarded_getattr` and ``key``
    with :func:`guarded_getitem`, exactly as the same expression in program
    code would, so a format string can reach nothing the program could not.
    """

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        first, rest = _string.formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            obj = guarded_getattr(obj, key) if is_attribute else guarded_getitem(obj, key)
        return obj, first


_FORMATTER = GuardedFormatter()


def _safe_format(text: str) -> Callable[..., str]:
    def format(*args: Any, **kwargs: Any) -> str:
        return _FORMATTER.vformat(str(text), args, kwargs)

    return format


def _safe_format_map(text: str) -> Callable[[Any], str]:
    def format_map(mapping: Any) -> str:
        return _FORMATTER.vformat(str(text), (), mapping)

    return format_map


_STR_FORMATTERS = {"format": _safe_format, "format_map": _safe_format_map}


_MISSING = object()


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``_getattr_`` and the ``getattr`` builtin: every ``a.b`` in the program comes here."""
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    check_attribute_name(name)
    if name in _STR_FORMATTERS:
        if isinstance(obj, str):
            return _STR_FORMATTERS[name](obj)
        if _is_str_type(obj):
            raise violation(f"attribute 'str.{name}' is not allowed; call .{name}() on a string")
    if type(obj).__module__ == "typing" or isinstance(obj, typing.TypeVar):
        raise violation(f"attribute {name!r} of a typing object is not allowed")
    if default is _MISSING:
        return screen(getattr(obj, name))
    return screen(getattr(obj, name, default))


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
    """``_getitem_``: every ``a[i]`` in the program; the item passes the value screen."""
    return screen(obj[index])


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

    __slots__ = ("_denied", "_members", "_name", "_unlisted")

    def __init__(
        self, name: str, members: dict[str, Any], denied: dict[str, str], unlisted: str = ""
    ) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", dict(members))
        object.__setattr__(self, "_denied", dict(denied))
        object.__setattr__(self, "_unlisted", unlisted)

    def __getattr__(self, attribute: str) -> Any:
        members = object.__getattribute__(self, "_members")
        if attribute in members:
            return members[attribute]
        name = object.__getattribute__(self, "_name")
        reason = object.__getattribute__(self, "_denied").get(attribute)
        if reason is None and not attribute.startswith("_"):
            reason = object.__getattribute__(self, "_unlisted") or None
        if reason is not None:
            raise violation(f"{name}.{attribute} is not allowed ({reason})")
        raise AttributeError(f"module {name!r} has no attribute {attribute!r} in the sandbox")

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise violation("changing a module object is not allowed")

    def __delattr__(self, attribute: str) -> None:
        raise violation("changing a module object is not allowed")

    def __repr__(self) -> str:
        return f"<sandboxed module {object.__getattribute__(self, '_name')!r}>"


def _build_modules() -> dict[str, SafeModule]:
    """A :class:`SafeModule` per rule: exactly the members the rule allows."""
    modules: dict[str, SafeModule] = {}
    for name, rule in MODULE_RULES.items():
        module = importlib.import_module(name)
        members: dict[str, Any] = {}
        for member in rule.members:
            value = getattr(module, member)
            if isinstance(value, types.ModuleType) or refusal(value) is not None:
                raise RuntimeError(f"sandbox rule for {name} allows {member}, a refused object")
            members[member] = value
        if name == "operator":  # the function forms of guarded operations stay guarded
            members["pow"] = members["ipow"] = guarded_pow
            members["getitem"] = guarded_getitem
            members["setitem"] = _guarded_setitem
            members["delitem"] = _guarded_delitem
        denied = dict(rule.denied)
        modules[name] = SafeModule(name, members, denied, rule.unlisted)
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


def remember_namespaces() -> None:
    """Record every imported module's namespace for the value screen (call after imports)."""
    import sys

    _NAMESPACE_IDS.update(id(vars(m)) for m in list(sys.modules.values()) if m is not None)
    _NAMESPACE_IDS.add(id(sys.modules))


remember_namespaces()


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
        "_exception_": guard_exception,
    }
