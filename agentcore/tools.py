"""Tools from plain functions.

``@tool`` reads a function's signature and docstring once, builds a pydantic
model for its arguments (so the JSON schema shown to the model and the
validation applied before every call come from the same source), and wraps
calls with a time limit. Whatever goes wrong — bad arguments, an exception, a
timeout — comes back as a :class:`~agentcore.models.ToolResult` whose
observation tells the model what happened, never as an exception in the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import json
import re
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.errors import PydanticInvalidForJsonSchema, PydanticSchemaGenerationError

from agentcore.errors import ConfigError
from agentcore.models import ToolEffect, ToolResult, ToolSpec
from agentcore.options import format_validation_error
from agentcore.tool_workers import CallTimedOut, call_with_time_limit

DEFAULT_TIMEOUT_S = 30.0
TOOL_EFFECTS: tuple[ToolEffect, ...] = ("idempotent", "keyed", "side_effect")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ToolContext:
    """What a tool may know about the run calling it.

    ``settings`` holds user configuration (keyed by tool or plugin name, e.g.
    ``settings["wikipedia"]["mode"]``); ``state`` is scratch space shared by the
    tools of one agent for one run (e.g. the page ``lookup`` searches in).
    A function receives it by declaring a parameter annotated ``ToolContext``.
    """

    run_id: str = ""
    task: str = ""
    """The run's input (the question a ReAct run answers): context a tool may use, e.g. to
    rank search results for what the run is about."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    conversation: Any = None
    """The :class:`~agentcore.memory.Conversation` when a chat agent calls the tool."""
    call_key: str = ""
    """A key naming the current tool call, the same when a resumed run redoes it: a
    ``keyed`` tool sends it as the idempotency key of the effect it asks for."""

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        value = self.settings.get(section, {})
        return value.get(key, default) if isinstance(value, Mapping) else default


class ToolTimeoutError(Exception):
    """A tool call ran past its time limit."""


class Tool:
    """A callable the model can use, with a schema, validation and a time limit."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout_s: float | None = DEFAULT_TIMEOUT_S,
        effect: ToolEffect = "idempotent",
        requires_approval: bool = False,
    ) -> None:
        if effect not in TOOL_EFFECTS:
            choices = ", ".join(TOOL_EFFECTS)
            label = name or fn.__name__
            raise ValueError(f"tool {label!r}: effect must be {choices}, not {effect!r}")
        self.fn = fn
        self.effect: ToolEffect = effect
        self.requires_approval = requires_approval
        self.name = name or fn.__name__
        if not _NAME_RE.match(self.name):
            raise ValueError(
                f"tool name {self.name!r} must be an identifier (letters, digits, underscore)"
            )
        summary, arg_docs = parse_docstring(inspect.getdoc(fn) or "")
        self.description = (description or summary).strip()
        if not self.description:
            raise ValueError(
                f"tool {self.name!r} needs a description: give the function a docstring "
                "or pass description=..."
            )
        self.timeout_s = timeout_s
        self._context_param, self.arguments_model = _arguments_model(fn, self.name, arg_docs)
        self._target = _awaiting(fn) if inspect.iscoroutinefunction(fn) else fn
        fields = self.arguments_model.model_fields
        only = next(iter(fields)) if len(fields) == 1 else None
        self._string_argument = (
            only if only is not None and fields[only].annotation is str else None
        )

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    @property
    def spec(self) -> ToolSpec:
        schema = self.arguments_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=schema,
            string_argument=self._string_argument,
            timeout_s=self.timeout_s,
            effect=self.effect,
            requires_approval=self.requires_approval,
        )

    def coerce_arguments(self, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
        """Turn what the model wrote into keyword arguments (not yet validated).

        A single-string tool accepts free text; any tool accepts a JSON object.
        """
        if isinstance(arguments, Mapping):
            return dict(arguments)
        text = arguments.strip()
        if text.startswith("{"):
            try:
                decoded = json.loads(text)
            except json.JSONDecodeError as exc:
                if self._string_argument is None:
                    raise ValueError(f"arguments are not valid JSON ({exc.msg})") from exc
            else:
                if isinstance(decoded, dict):
                    return decoded
        if self._string_argument is not None:
            return {self._string_argument: text}
        raise ValueError(f"{self.name} takes a JSON object of arguments, got {text[:60]!r}")

    def validate(self, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
        """Validated keyword arguments, or ``ValueError`` saying what is wrong."""
        raw = self.coerce_arguments(arguments)
        try:
            model = self.arguments_model.model_validate(raw)
        except ValidationError as exc:
            raise ValueError(
                format_validation_error(exc, where="", model=self.arguments_model, noun="argument")
            ) from exc
        return {name: getattr(model, name) for name in self.arguments_model.model_fields}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (no validation, no limit)."""
        return self.fn(*args, **kwargs)

    def invoke(
        self, arguments: Mapping[str, Any] | str, context: ToolContext | None = None
    ) -> ToolResult:
        """Validate, call under the time limit, and describe the outcome."""
        started = time.perf_counter()

        def result(ok: bool, observation: str, kind: str | None = None, data: Any = None):
            return ToolResult(
                tool=self.name,
                ok=ok,
                observation=observation,
                error_kind=kind,
                duration_s=time.perf_counter() - started,
                data=data,
            )

        try:
            kwargs = self.validate(arguments)
        except ValueError as exc:
            return result(
                False,
                f"Invalid arguments for {self.name}: {exc}. Expected {self.spec.usage()}.",
                "invalid_arguments",
            )
        if self._context_param:
            kwargs[self._context_param] = context or ToolContext()
        try:
            value = _call_with_timeout(self._target, kwargs, self.timeout_s)
        except ToolTimeoutError:
            return result(False, f"{self.name} timed out after {self.timeout_s:g} s.", "timeout")
        except ConfigError as exc:  # the tool's settings are wrong: the user must fix them
            return result(False, f"{self.name} is not configured correctly: {exc}", "config")
        except Exception as exc:  # a tool failure is information for the model
            return result(False, f"{self.name} failed: {type(exc).__name__}: {exc}", "exception")
        if isinstance(value, ToolResult):
            return value.model_copy(update={"duration_s": time.perf_counter() - started})
        return result(True, _as_observation(value), data=value)


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    effect: ToolEffect = "idempotent",
    requires_approval: bool = False,
) -> Any:
    """Make a :class:`Tool` from a function: ``@tool`` or ``@tool(name=..., timeout_s=...)``.

    The JSON schema comes from the type hints; the description from the
    docstring's first paragraph; per-argument descriptions from an ``Args:``
    section (Google style) or ``:param name:`` lines.

    ``effect`` says what redoing a call does (:data:`~agentcore.models.ToolEffect`: a
    resumed run redoes an ``idempotent`` or ``keyed`` call whose outcome was lost, and asks
    before redoing a ``side_effect``); ``requires_approval`` makes every call wait for a
    person (the run pauses with the call pending).
    """

    def wrap(function: Callable[..., Any]) -> Tool:
        return Tool(
            function,
            name=name,
            description=description,
            timeout_s=timeout_s,
            effect=effect,
            requires_approval=requires_approval,
        )

    return wrap(fn) if fn is not None else wrap


# --- helpers -----------------------------------------------------------------------------


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a docstring into its summary (first paragraph) and argument descriptions.

    Understands Google style (an ``Args:`` section) and Sphinx style (``:param x:``).
    """
    summary: list[str] = []
    arg_docs: dict[str, str] = {}
    section: str | None = None  # None: summary, "args": Args section, "other": elsewhere
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        sphinx = re.match(r":param\s+(?:[\w\[\], |]+\s+)?(\w+):\s*(.*)", stripped)
        header = re.match(r"^(\w+):\s*$", stripped)
        if sphinx:
            section, current = "other", sphinx.group(1)
            arg_docs[current] = sphinx.group(2)
        elif header:
            section, current = ("args" if header.group(1) in _ARG_HEADERS else "other"), None
        elif section is None:
            if not stripped and summary:
                section = "other"
            elif stripped:
                summary.append(stripped)
        elif section == "args" and (
            entry := re.match(r"^(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$", stripped)
        ):
            current = entry.group(1)
            arg_docs[current] = entry.group(3)
        elif stripped and current and (section == "args" or line.startswith((" ", "\t"))):
            arg_docs[current] += " " + stripped
    return " ".join(summary), {k: " ".join(v.split()) for k, v in arg_docs.items()}


_ARG_HEADERS = {"Args", "Arguments", "Parameters"}


def _arguments_model(
    fn: Callable[..., Any], tool_name: str, arg_docs: dict[str, str]
) -> tuple[str | None, type[BaseModel]]:
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    context_param: str | None = None
    for param in signature.parameters.values():
        annotation = hints.get(param.name, Any)
        if _is_context(annotation):
            context_param = param.name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"tool {tool_name!r}: *args/**kwargs cannot be described to a model")
        if param.name not in hints:
            raise ValueError(
                f"tool {tool_name!r}: parameter {param.name!r} needs a type hint "
                "so its JSON schema can be derived"
            )
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (
            annotation,
            Field(default, description=arg_docs.get(param.name) or None),
        )
    unknown = sorted(set(arg_docs) - set(signature.parameters))
    if unknown:
        raise ValueError(
            f"tool {tool_name!r}: the docstring describes {', '.join(map(repr, unknown))}, "
            f"which {'is not a parameter' if len(unknown) == 1 else 'are not parameters'} "
            f"(parameters: {', '.join(signature.parameters) or 'none'}); fix the name in Args:"
        )
    try:
        model = create_model(  # type: ignore[call-overload]
            f"{tool_name}_arguments",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        model.model_json_schema()  # what the model is shown: it must exist, now
    except (PydanticSchemaGenerationError, PydanticInvalidForJsonSchema):
        raise _unschemable(tool_name, fields) from None
    return context_param, model


def _unschemable(tool_name: str, fields: dict[str, Any]) -> ValueError:
    """The error naming the parameter whose type no JSON schema can describe to a model."""
    for name, (annotation, info) in fields.items():
        try:
            create_model("probe", **{name: (annotation, info)}).model_json_schema()
        except (PydanticSchemaGenerationError, PydanticInvalidForJsonSchema):
            shown = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
            return ValueError(
                f"tool {tool_name!r}: parameter {name!r} has type {shown}, which a JSON "
                "schema cannot describe to the model; use str, int, float, bool, a Literal, "
                "a list or dict of those, or a pydantic model"
            )
    return ValueError(f"tool {tool_name!r}: its parameters have no JSON schema")


def _awaiting(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``async def`` tools run to completion on an event loop of their own.

    A tool call runs on a worker thread (or inline with no time limit), where no loop runs,
    so ``asyncio.run`` gives the coroutine one; a caller already inside a running loop on
    this thread gets the call on a worker thread instead of a "loop is running" error.
    """

    @functools.wraps(fn)
    def run(**kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(fn(**kwargs))
        with concurrent.futures.ThreadPoolExecutor(1) as own_thread:
            return own_thread.submit(asyncio.run, fn(**kwargs)).result()

    return run


def _is_context(annotation: Any) -> bool:
    """``ToolContext`` or ``ToolContext | None``."""
    if annotation is ToolContext:
        return True
    args = typing.get_args(annotation)
    return bool(args) and ToolContext in args and all(a in (ToolContext, type(None)) for a in args)


def _call_with_timeout(fn: Callable[..., Any], kwargs: dict[str, Any], timeout_s: float | None):
    """Run ``fn`` on a pooled worker thread and stop waiting after ``timeout_s``.

    Python cannot kill a thread; a timed-out in-process tool is abandoned with its
    worker (see :mod:`agentcore.tool_workers`) and the run moves on. Tools that run
    untrusted work (the sandbox, SQL) enforce hard limits in their own process or engine.
    """
    if timeout_s is None:
        return fn(**kwargs)
    try:
        return call_with_time_limit(fn, kwargs, timeout_s)
    except CallTimedOut:
        raise ToolTimeoutError from None


def _as_observation(value: Any) -> str:
    if value is None:
        return "(no output)"
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)
