"""The module allow-lists, reviewed as object graphs, and the value screen behind them.

These run the policy in the test process (it is plain Python that imports
RestrictedPython); no program runs here.
"""

from __future__ import annotations

import builtins
import importlib
import os
import sys
import types

import pytest
from agentcore_sandbox import policy
from agentcore_sandbox.rules import MODULE_RULES


def _public(module: types.ModuleType) -> set[str]:
    names = getattr(module, "__all__", None) or dir(module)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("name", sorted(MODULE_RULES))
def test_every_public_member_is_allowed_or_denied_by_name(name):
    """Nothing is let in by default: a member Python adds must be reviewed first."""
    rule = MODULE_RULES[name]
    module = importlib.import_module(name)
    missing = set(rule.members) - set(dir(module))
    assert not missing, f"{name}: allowed members that do not exist: {sorted(missing)}"
    assert not set(rule.members) & set(rule.denied), name
    unreviewed = _public(module) - set(rule.members) - set(rule.denied)
    if rule.unlisted:
        return
    assert not unreviewed, (
        f"{name}: public members neither allowed nor denied: {sorted(unreviewed)}"
    )
    assert rule.why, f"{name} has no review note"


def test_nothing_refused_is_reachable_from_an_allowed_member():
    """Walk three attribute levels from every member a program can import.

    Through names the guards allow (no leading underscore, no introspection
    attribute), nothing on the way may be a module, frame, code object, real
    builtin or module namespace — so the allow-lists do not depend on the value
    screen, which stays a second line.
    """
    frontier = [
        (f"{module}.{member}", value)
        for module, view in policy.MODULES.items()
        for member, value in object.__getattribute__(view, "_members").items()
    ]
    seen: set[int] = set()
    reached: list[str] = []
    for _depth in range(3):
        following = []
        for path, obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            for attribute in dir(obj):
                if attribute.startswith("_") or attribute in policy.DENIED_ATTRIBUTES:
                    continue
                try:
                    value = getattr(obj, attribute)
                except Exception:
                    continue
                if policy.refusal(value) is not None or isinstance(value, types.ModuleType):
                    reached.append(f"{path}.{attribute}: {policy.refusal(value)}")
                else:
                    following.append((f"{path}.{attribute}", value))
        frontier = following
    assert len(seen) > 1000  # the walk really covered the graph
    assert reached == []


@pytest.mark.parametrize(
    "value",
    [
        os,
        sys,
        builtins,
        vars(os),
        vars(builtins),
        sys.modules,
        builtins.open,
        builtins.eval,
        builtins.exec,
        builtins.__import__,
        builtins.getattr,
        type,
        types.FunctionType,
        types.CodeType,
        sys._getframe(),
        (lambda: 0).__code__,
        str.format,
        str.format_map,
    ],
    ids=lambda v: type(v).__name__,
)
def test_the_value_screen_refuses_ways_into_the_interpreter(value):
    assert policy.refusal(value) is not None
    with pytest.raises(policy.SandboxViolation):
        policy.screen(value)


def test_the_value_screen_passes_ordinary_values_and_guards_bound_format():
    for value in (1, 2.5, "s", [1], (1,), {"a": 1}, {1}, None, len, policy.MODULES["math"]):
        assert policy.screen(value) is value

    class Text(str):
        pass

    guarded = policy.screen(super(Text, Text("{0.__class__}")).format)
    assert guarded is not None
    with pytest.raises(policy.SandboxViolation):
        guarded(1)


def test_exceptions_lose_every_refused_object_they_carry():
    error = AttributeError("no such attribute", os, [builtins.open, 1])
    error.obj = vars(builtins)
    error.name = "x"
    stop = StopIteration(sys)
    nested = ValueError(KeyError(os))
    group = ExceptionGroup("g", [TypeError(type), nested])
    for exc in (error, stop, nested, group):
        policy.guard_exception(exc)
    assert error.name == "x"
    assert error.args[0] == "no such attribute"
    assert isinstance(error.args[1], str) and "module" in error.args[1]
    assert error.args[2][1] == 1 and isinstance(error.args[2][0], str)
    assert isinstance(error.obj, str)
    assert isinstance(stop.value, str) and isinstance(stop.args[0], str)
    assert isinstance(nested.args[0].args[0], str)
    assert isinstance(group.exceptions[0].args[0], str)


def test_exceptions_keep_the_programs_own_values():
    box = object()
    error = KeyError(box, [1, "two"], {"k": 3})
    policy.guard_exception(error)
    assert error.args[0] is box
    assert error.args[1] == [1, "two"] and error.args[2] == {"k": 3}
