"""Module attributes imported on first access (PEP 562), so a facade module stays cheap.

``agentcore`` and ``agentcore.plugin`` re-export names from many modules; importing them all
up front would load pydantic and every core module just to read ``hookimpl``. Instead each
name maps to the module that defines it and is imported, then cached, when first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    module_name: str, namespace: dict[str, Any], exports: Mapping[str, str], listed: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module re-exporting ``exports`` lazily.

    ``exports`` maps a public name to ``"package.module"`` (the same name there) or to
    ``"package.module:other_name"`` (re-exported under a clearer name). ``namespace`` is the
    module's ``globals()``: a resolved name is stored there, so later reads skip this hook.
    """
    names = sorted({*listed, *namespace})

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        source, _, attribute = target.partition(":")
        value = getattr(import_module(source), attribute or name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__
