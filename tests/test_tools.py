import asyncio
import time

import pytest

from agentcore.tools import Tool, ToolContext, parse_docstring, tool


@tool
def search(entity: str) -> str:
    """Search an encyclopedia for an entity.

    Args:
        entity: The exact title of the page,
            for example a person or a place.
    """
    return f"page about {entity}"


@tool(timeout_s=0.3)
def add(a: int, b: int = 2, ctx: ToolContext | None = None) -> int:
    """Add two numbers.

    :param a: the first number
    :param b: the second number
    """
    return a + b


def test_schema_comes_from_hints_and_docstring():
    spec = search.spec
    assert spec.name == "search"
    assert spec.description == "Search an encyclopedia for an entity."
    assert spec.string_argument == "entity"
    prop = spec.parameters["properties"]["entity"]
    assert prop == {
        "type": "string",
        "description": "The exact title of the page, for example a person or a place.",
    }
    assert spec.parameters["required"] == ["entity"]
    assert spec.usage() == "search[entity]"


def test_multi_argument_tool_schema_and_usage():
    spec = add.spec
    assert spec.string_argument is None
    assert spec.parameters["properties"]["a"]["description"] == "the first number"
    assert spec.parameters["properties"]["b"]["default"] == 2
    assert spec.parameters["required"] == ["a"]
    assert spec.usage() == 'add[{"a": ..., "b": ...}]'


def test_single_string_tool_takes_free_text_or_json():
    assert search.invoke("Paris").observation == "page about Paris"
    assert search.invoke('{"entity": "Rome"}').observation == "page about Rome"


def test_arguments_are_validated_before_the_call():
    calls = []

    @tool
    def record(n: int) -> str:
        """Record a number."""
        calls.append(n)
        return "ok"

    result = record.invoke({"n": "not a number"})
    assert not result.ok
    assert result.error_kind == "invalid_arguments"
    assert "n=" in result.observation and "record[" in result.observation
    assert calls == []
    extra = add.invoke({"a": 1, "c": 3})
    assert extra.error_kind == "invalid_arguments"
    assert "unknown argument c (known: a, b)" in extra.observation
    missing = add.invoke({})
    assert "argument a is required (the first number)" in missing.observation


def test_json_coercion_of_strings():
    assert add.invoke('{"a": "3", "b": 4}').observation == "7"
    bad = add.invoke("{not json")
    assert bad.error_kind == "invalid_arguments" and "not valid JSON" in bad.observation


def test_timeout_becomes_an_observation():
    @tool(timeout_s=0.2)
    def slow(seconds: float) -> str:
        """Sleep."""
        time.sleep(seconds)
        return "done"

    result = slow.invoke({"seconds": 5})
    assert not result.ok and result.error_kind == "timeout"
    assert "timed out after 0.2 s" in result.observation
    assert slow.invoke({"seconds": 0}).observation == "done"


def test_exception_becomes_an_observation():
    @tool
    def broken(x: str) -> str:
        """Always fails."""
        raise RuntimeError(f"cannot handle {x}")

    result = broken.invoke("y")
    assert not result.ok and result.error_kind == "exception"
    assert result.observation == "broken failed: RuntimeError: cannot handle y"


def test_context_is_injected_and_hidden_from_the_schema():
    @tool
    def remember(value: str, ctx: ToolContext) -> str:
        """Remember a value across calls of one run."""
        ctx.state.setdefault("seen", []).append(value)
        return ",".join(ctx.state["seen"]) + "|" + ctx.setting("memo", "prefix", "-")

    assert "ctx" not in remember.spec.parameters["properties"]
    context = ToolContext(settings={"memo": {"prefix": ">"}})
    remember.invoke("a", context)
    assert remember.invoke("b", context).observation == "a,b|>"


def test_definition_errors_are_clear():
    def no_hint(x):
        """Doc."""

    with pytest.raises(ValueError, match="needs a type hint"):
        Tool(no_hint)

    def no_doc(x: str) -> str:
        return x

    with pytest.raises(ValueError, match="needs a description"):
        Tool(no_doc)
    with pytest.raises(ValueError, match="must be an identifier"):
        Tool(search.fn, name="bad name")


def test_a_type_no_json_schema_can_describe_is_refused_at_tool_time():
    from collections.abc import Callable

    def callback(f: Callable[[int], int], n: int) -> str:
        """Apply f."""
        return str(f(n))

    with pytest.raises(ValueError, match=r"parameter 'f' has type .*Callable\[\[int\], int\]"):
        tool(callback)

    class Opaque:
        pass

    def opaque(thing: Opaque) -> str:
        """Use a thing."""
        return ""

    with pytest.raises(ValueError, match="parameter 'thing' has type Opaque"):
        tool(opaque)


def test_a_docstring_argument_that_names_no_parameter_is_reported():
    def misdocumented(city: str) -> str:
        """Weather for a city.

        Args:
            town: the city's name
        """
        return city

    with pytest.raises(ValueError, match=r"describes 'town', which is not a parameter.*city"):
        tool(misdocumented)


@tool(timeout_s=5)
async def slow_echo(text: str) -> str:
    """Echo after an await."""
    await asyncio.sleep(0.01)
    return f"awaited {text}"


@tool(timeout_s=None)
async def inline_echo(text: str) -> str:
    """Echo after an await, without a time limit (called on the caller's thread)."""
    await asyncio.sleep(0)
    return f"inline {text}"


def test_async_tools_are_awaited_with_or_without_a_time_limit():
    assert slow_echo.invoke({"text": "a"}).observation == "awaited a"
    assert inline_echo.invoke({"text": "b"}).observation == "inline b"


def test_an_async_tool_called_from_inside_a_running_loop_still_runs():
    async def caller() -> str:  # e.g. an application calling agent.run from a coroutine
        return inline_echo.invoke({"text": "c"}).observation

    assert asyncio.run(caller()) == "inline c"


def test_parse_docstring_google_and_sphinx():
    summary, args = parse_docstring(
        "Do a thing.\n\nMore detail.\n\nArgs:\n    x (int): the x\n"
        "    y: the y\n        continued\nReturns:\n    nothing"
    )
    assert summary == "Do a thing."
    assert args == {"x": "the x", "y": "the y continued"}
