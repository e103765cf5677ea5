"""Typed options: one pydantic model per provider, one way to validate, one error line.

A backend, executor or retriever declares the keyword options its factory takes, and a
plugin declares each settings section its tools read, as a subclass of :class:`Options`
(unknown keys are refused). Values from the command line (``-o n_ctx=8192``, ``--set
wikipedia.mode=online``) are strings; pydantic's lax mode turns ``"8192"`` into ``8192`` and
``"true"`` into ``True``, and refuses ``"abc"``. Validation happens before the factory runs,
so a typo is one line naming the option, the bad value and what would be valid, before any
model loads. The same model feeds ``agentcore plugins --options``.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticUndefined

from agentcore.errors import ConfigError, redact

#: Longest bad value quoted in an error line.
MAX_VALUE_CHARS = 60
# Type tags pydantic adds to the location of an error inside a union member.
_TYPE_TAGS = frozenset({"bool", "int", "float", "str", "bytes", "list", "dict", "set", "none"})

OptionsModel = TypeVar("OptionsModel", bound=BaseModel)


class Options(BaseModel):
    """Base of every provider's options and every settings section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def _fspath(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


#: A file path option: a ``str`` from the CLI or a :class:`~pathlib.Path` from Python, kept as text.
PathText = Annotated[str, BeforeValidator(_fspath)]


def format_validation_error(
    exc: ValidationError,
    *,
    where: str,
    model: type[BaseModel] | None = None,
    noun: str = "option",
    label: Callable[[str], str] = str,
) -> str:
    """One line for a pydantic error: ``where: key='bad': what is wrong; unknown option x (...)``.

    Every boundary uses it: provider options, settings sections, tool arguments, generation
    settings, prompt and constitution files (an empty ``where`` leaves the prefix out).

    ``label`` renders a key the way the user wrote it (``wikipedia.mode``, ``--top-p``);
    ``model`` lists the known keys after an unknown one. Choices of a ``Literal`` or enum
    appear in pydantic's own message (``input should be 'offline' or 'online'``).
    """
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        key = _key(error["loc"])
        name = label(key) if key else ""
        message = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        message = message[:1].lower() + message[1:]
        if error["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields) if model is not None else ""
            problems[name] = f"unknown {noun} {name}" + (f" (known: {known})" if known else "")
        elif error["type"] == "missing":
            problems[name] = f"{noun} {name} is required" + _described(model, key)
        elif name in problems:  # another member of a union failed too: "... or ..."
            problems[name] += " or " + message.removeprefix("input should be ")
        else:
            problems[name] = f"{name}={_shown(error.get('input'))}: {message}" if name else message
    line = "; ".join(problems.values())
    return f"{where}: {line}" if where else line


def parse_key_values(pairs: tuple[str, ...] | list[str], what: str) -> dict[str, str]:
    """``KEY=VALUE`` texts (``-o n_ctx=4096``) as a dict of strings, for an options model to
    coerce; a text without ``=`` or a key is a :class:`ConfigError` naming ``what``."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what}: {pair!r} is not KEY=VALUE")
        values[key.strip()] = value
    return values


def validate_options(
    model: type[OptionsModel],
    raw: Mapping[str, Any] | None,
    *,
    where: str,
    noun: str = "option",
    label: Callable[[str], str] = str,
) -> OptionsModel:
    """``raw`` validated as ``model``; otherwise a :class:`ConfigError` in one line."""
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping of {noun}s, got {type(raw).__name__}")
    try:
        return model.model_validate(dict(raw or {}))
    except ValidationError as exc:
        message = format_validation_error(exc, where=where, model=model, noun=noun, label=label)
        raise ConfigError(message) from None


def read_settings_section(
    settings: Mapping[str, Any] | None, section: str, model: type[OptionsModel]
) -> OptionsModel:
    """``settings[section]`` validated as ``model`` (absent: all defaults).

    The one way a tool reads its section, and the way ``--set`` values are checked before a
    run: an error reads ``settings: wikipedia.mode='offlin': input should be 'offline' or
    'online'`` or ``settings: unknown setting sql.rowlimit (known: ...)``.
    """
    raw = (settings or {}).get(section) or {}
    return validate_options(
        model, raw, where="settings", noun="setting", label=lambda key: f"{section}.{key}"
    )


def validated_section(
    settings: Mapping[str, Any] | None, section: str, model: type[BaseModel]
) -> dict[str, Any]:
    """The keys given in ``settings[section]``, validated and coerced by ``model``."""
    checked = read_settings_section(settings, section, model)
    return {name: getattr(checked, name) for name in checked.model_fields_set}


def as_keywords(options: BaseModel) -> dict[str, Any]:
    """Every field's validated value, by name, for ``factory(**...)`` (nested values kept as is)."""
    return {name: getattr(options, name) for name in type(options).model_fields}


def unknown_key_error(
    key: str, known: typing.Iterable[str], *, where: str, noun: str
) -> ConfigError:
    """The error for a key no model declares (a settings section nobody provides)."""
    listing = ", ".join(sorted(known)) or "none"
    return ConfigError(f"{where}: unknown {noun} {key} (known: {listing})")


@dataclass(frozen=True)
class OptionRow:
    """One option as ``agentcore plugins --options`` shows it."""

    name: str
    type: str
    default: str
    description: str


def describe_options(model: type[BaseModel]) -> list[OptionRow]:
    """The fields of ``model`` as rows: name, type, default (``required`` if none), description."""
    rows = []
    for name, info in model.model_fields.items():
        if info.is_required():
            default = "required"
        elif info.default_factory is not None:
            default = repr(info.default_factory())  # type: ignore[call-arg]
        else:
            default = repr(info.default) if info.default is not PydanticUndefined else ""
        rows.append(OptionRow(name, _type_name(info.annotation), default, info.description or ""))
    return rows


# --- helpers -----------------------------------------------------------------------------


def _key(loc: tuple[int | str, ...]) -> str:
    parts = [
        str(p)
        for i, p in enumerate(loc)
        if isinstance(p, int) or i == 0 or (p.isidentifier() and p not in _TYPE_TAGS)
    ]
    return ".".join(parts)


def _shown(value: Any) -> str:
    text = redact(repr(value))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _described(model: type[BaseModel] | None, key: str) -> str:
    field = model.model_fields.get(key) if model is not None else None
    return f" ({field.description})" if field is not None and field.description else ""


def _type_name(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "none"
    if isinstance(annotation, list):  # the parameter list of a Callable
        return "[" + ", ".join(_type_name(a) for a in annotation) + "]"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else _type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))
