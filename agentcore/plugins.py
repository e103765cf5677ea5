"""Building the plugin manager and the registry of what plugins provide.

Built-in plugins are discovered exactly like third-party ones, through the
``agentcore`` entry-point group. A plugin that fails to import, or that
implements a hook that does not exist, is reported (name, entry point, error)
and skipped; the others still load. ``AGENTCORE_PLUGINS`` (allow-list) and
``AGENTCORE_DISABLE_PLUGINS`` (deny-list), both comma-separated plugin names,
restrict which entry points load; the API takes the same lists.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pluggy

from agentcore import hookspecs
from agentcore.errors import ConfigError, NotFoundError

ENTRY_POINT_GROUP = "agentcore"
ALLOW_ENV = "AGENTCORE_PLUGINS"
DENY_ENV = "AGENTCORE_DISABLE_PLUGINS"

T = TypeVar("T")


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why."""

    name: str
    entry_point: str
    error: str


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: where it came from and what it provides."""

    name: str
    entry_point: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    provides: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider(Generic[T]):
    """A named factory registered by a plugin (a backend, retriever or executor)."""

    kind: str
    name: str
    factory: Callable[..., T]
    plugin: str
    description: str = ""

    def create(self, **options: Any) -> T:
        return self.factory(**options)


class Registry:
    """Everything the loaded plugins provide, by kind and name.

    Collected once from the provider hooks. A name registered twice is kept
    from the first plugin and the clash is reported as a failure, so which
    implementation runs never depends on silent import order.
    """

    KINDS = ("backend", "tool", "retriever", "executor")

    def __init__(self, pm: pluggy.PluginManager, failures: list[PluginFailure]) -> None:
        from agentcore.tools import Tool

        self.providers: dict[str, dict[str, Provider[Any]]] = {kind: {} for kind in self.KINDS}
        hook_for_kind = {
            "backend": pm.hook.register_backends,
            "tool": pm.hook.register_tools,
            "retriever": pm.hook.register_retrievers,
            "executor": pm.hook.register_executors,
        }
        for kind, hook in hook_for_kind.items():
            for impl in hook.get_hookimpls():  # registration order
                plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)

                def register(
                    name_or_tool: Any,
                    factory: Callable[..., Any] | None = None,
                    *,
                    description: str = "",
                    _kind: str = kind,
                    _plugin: str = plugin_name,
                ) -> None:
                    if _kind == "tool":
                        if not isinstance(name_or_tool, Tool):
                            raise TypeError(
                                "register_tools: call register(tool) with an agentcore Tool "
                                "(use the @tool decorator)"
                            )
                        tool_obj = name_or_tool
                        name, made = tool_obj.name, (lambda t=tool_obj: t)
                        description = description or tool_obj.description
                    else:
                        if factory is None or not callable(factory):
                            raise TypeError(f"register({name_or_tool!r}) needs a factory callable")
                        name, made = str(name_or_tool), factory
                    existing = self.providers[_kind].get(name)
                    if existing is not None:
                        failures.append(
                            PluginFailure(
                                _plugin,
                                _kind,
                                f"{_kind} {name!r} is already provided by plugin "
                                f"{existing.plugin!r}; this one is ignored",
                            )
                        )
                        return
                    self.providers[_kind][name] = Provider(_kind, name, made, _plugin, description)

                try:
                    impl.function(register=register)
                except Exception as exc:
                    failures.append(
                        PluginFailure(plugin_name, f"{impl.function.__name__}", _describe(exc))
                    )

    def names(self, kind: str) -> list[str]:
        return sorted(self.providers[kind])

    def get(self, kind: str, name: str) -> Provider[Any]:
        try:
            return self.providers[kind][name]
        except KeyError:
            hint = (
                "Install the plugin that provides it, or check AGENTCORE_PLUGINS / "
                "AGENTCORE_DISABLE_PLUGINS; `agentcore plugins` lists what is loaded"
            )
            raise NotFoundError(kind, name, self.names(kind), hint) from None

    def by_plugin(self) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for kind, providers in self.providers.items():
            for provider in providers.values():
                out.setdefault(provider.plugin, {}).setdefault(kind, []).append(provider.name)
        return out


class AgentcorePluginManager:
    """A pluggy manager plus what it loaded, what failed, and the provider registry."""

    def __init__(
        self,
        *,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] | None = None,
        load_entry_points: bool = True,
        plugins: Iterable[Any] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.infos: dict[str, PluginInfo] = {}
        self.allow = _name_set(allow) if allow is not None else _env_set(ALLOW_ENV)
        self.deny = _name_set(deny) if deny is not None else (_env_set(DENY_ENV) or set())
        if load_entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self.register(plugin)
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    # -- loading ------------------------------------------------------------------------

    def _load_entry_points(self) -> None:
        seen: set[str] = set()
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in seen:
                continue
            seen.add(ep.name)
            if not self._wanted(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            try:
                plugin = ep.load()
            except Exception as exc:  # report and go on: one bad plugin must not stop the rest
                self.failures.append(PluginFailure(ep.name, ep.value, _describe(exc)))
                continue
            self.register(
                plugin,
                name=ep.name,
                entry_point=ep.value,
                distribution=dist.metadata["Name"] if dist else None,
                version=dist.version if dist else None,
            )

    def _wanted(self, name: str) -> bool:
        if name in self.deny:
            return False
        return self.allow is None or name in self.allow

    def register(
        self,
        plugin: Any,
        *,
        name: str | None = None,
        entry_point: str = "(registered in code)",
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register a plugin object; validate its hooks; report and skip it if invalid."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        unknown = [
            attr
            for attr in dir(plugin)
            if self.pm.parse_hookimpl_opts(plugin, attr) is not None
            and not hasattr(self.pm.hook, attr)
        ]
        if unknown:
            self.failures.append(
                PluginFailure(
                    name,
                    entry_point,
                    f"implements unknown hook(s) {', '.join(unknown)}; "
                    f"valid hooks: {', '.join(_all_hook_names())}",
                )
            )
            return False
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self.failures.append(PluginFailure(name, entry_point, _describe(exc)))
            return False
        hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
        self.infos[name] = PluginInfo(name, entry_point, distribution, version, hooks)
        self._registry = None
        return True

    # -- what plugins provide ----------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        with self._lock:
            if self._registry is None:
                self._registry = Registry(self.pm, self.failures)
            return self._registry

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def plugins(self) -> list[PluginInfo]:
        """Loaded plugins with what each provides."""
        provides = self.registry.by_plugin()
        return [
            PluginInfo(
                info.name,
                info.entry_point,
                info.distribution,
                info.version,
                info.hooks,
                provides.get(info.name, {}),
            )
            for info in sorted(self.infos.values(), key=lambda i: i.name)
        ]

    def create(self, kind: str, name: str, **options: Any) -> Any:
        """Build the backend, executor or retriever registered under ``name``."""
        if kind not in Registry.KINDS:
            raise ConfigError(f"unknown provider kind {kind!r}; use one of {Registry.KINDS}")
        return self.registry.get(kind, name).create(**options)

    def tool(self, name: str) -> Any:
        return self.registry.get("tool", name).create()

    def emit(self, event: str, **kwargs: Any) -> list[PluginFailure]:
        """Call an event hook through pluggy; return the failures of this call.

        pluggy calls the implementations itself, in its documented order (the plugin
        registered last first, ``tryfirst``/``trylast`` honoured) and runs hook wrappers
        around them. Each plain implementation is guarded on its first call, so one that
        raises is recorded (here, in :attr:`failures`, and by the caller in the run's
        warnings) while the others still run; a wrapper that raises is recorded too. The
        arguments are checked against the spec before any plugin runs: a mismatch is the
        engine's bug, not a plugin's, and raises ``TypeError``.
        """
        caller = getattr(self.pm.hook, event)
        expected = tuple(caller.spec.argnames) if caller.spec else ()
        if set(kwargs) != set(expected):
            raise TypeError(
                f"engine bug: event {event!r} takes ({', '.join(expected)}), "
                f"was called with ({', '.join(sorted(kwargs))})"
            )
        for impl in caller.get_hookimpls():
            if not (impl.hookwrapper or impl.wrapper) and not hasattr(impl.function, _GUARDED):
                impl.function = _guarded(impl.function, impl.plugin_name, event)
        outer = getattr(_event_failures, "sink", None)
        _event_failures.sink = failures = []
        try:
            caller(**kwargs)
        except Exception as exc:  # a hook wrapper failed: pluggy stopped that call
            failures.append(PluginFailure(_culprit(exc, self.pm), f"hook {event}", _describe(exc)))
        finally:
            _event_failures.sink = outer
        for failure in failures:
            if failure not in self.failures:
                self.failures.append(failure)
        return failures


# Where guarded event implementations report, for the emit() in progress on this thread.
_event_failures = threading.local()
_GUARDED = "__agentcore_guarded__"


def _guarded(function: Callable[..., Any], plugin: str, event: str) -> Callable[..., Any]:
    """``function`` reporting its exception to the current emit() instead of raising it."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            sink = getattr(_event_failures, "sink", None)
            if sink is not None:
                sink.append(PluginFailure(plugin, f"hook {event}", _describe(exc)))
            return None

    setattr(guarded, _GUARDED, True)
    return guarded


def _culprit(exc: BaseException, pm: pluggy.PluginManager) -> str:
    """The plugin whose code raised ``exc`` (the innermost frame in a registered module)."""
    modules = {getattr(plugin, "__name__", None): name for name, plugin in pm.list_name_plugin()}
    found = "?"
    tb = exc.__traceback__
    while tb is not None:
        name = modules.get(tb.tb_frame.f_globals.get("__name__"))
        found = name or found
        tb = tb.tb_next
    return found


_default: AgentcorePluginManager | None = None
_default_lock = threading.Lock()


def get_plugin_manager() -> AgentcorePluginManager:
    """The process-wide plugin manager, built on first use from entry points and env."""
    global _default
    with _default_lock:
        if _default is None:
            _default = AgentcorePluginManager()
        return _default


def reset_plugin_manager() -> None:
    """Forget the process-wide manager (tests, or after changing the env lists)."""
    global _default
    with _default_lock:
        _default = None


def _env_set(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None or not value.strip():
        return None
    return _name_set(value.split(","))


def _name_set(names: Iterable[str]) -> set[str]:
    return {n.strip() for n in names if n.strip()}


def _all_hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "agentcore_spec"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
