"""Building the plugin manager and the registry of what plugins provide.

Built-in plugins are discovered exactly like third-party ones, through the
``agentcore`` entry-point group. A plugin that fails to import, or that
implements a hook that does not exist, is reported (name, entry point, error)
and skipped; the others still load. ``AGENTCORE_PLUGINS`` (allow-list) and
``AGENTCORE_DISABLE_PLUGINS`` (deny-list), both comma-separated plugin names,
restrict which entry points load; the API takes the same lists.
``AGENTCORE_TRACE_PLUGINS=1`` writes every hook call to standard error
(:mod:`agentcore.hook_tracing`).
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pluggy

from agentcore import hookspecs
from agentcore.errors import ConfigError, NotFoundError
from agentcore.hook_tracing import trace_hook_calls, tracing_requested
from agentcore.plugin_selection import ALLOW_ENV, DENY_ENV, env_names, is_wanted, names

if TYPE_CHECKING:
    from pydantic import BaseModel

ENTRY_POINT_GROUP = "agentcore"

log = logging.getLogger(__name__)

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
    """A named factory registered by a plugin (a backend, retriever, executor or store)."""

    kind: str
    name: str
    factory: Callable[..., T]
    plugin: str
    description: str = ""
    options: type[BaseModel] | None = None
    """The pydantic model of the factory's keyword options (``None``: not declared)."""

    def check(self, **options: Any) -> dict[str, Any]:
        """``options`` validated and coerced by the declared model (only the keys given).

        For callers that must refuse a bad option early (the CLI, before a model loads);
        :class:`ConfigError` in one line. Undeclared options pass unchanged.
        """
        if self.options is None:
            return options
        from agentcore.options import validate_options  # pydantic: on first use

        validated = validate_options(self.options, options, where=f"{self.name} {self.kind}")
        return {name: getattr(validated, name) for name in validated.model_fields_set}

    def create(self, **options: Any) -> T:
        """``factory(**options)``, the options first validated (and coerced) by their model.

        A bad or unknown option fails here, as one :class:`ConfigError` line, before the
        factory imports or loads anything; the factory receives every declared option,
        defaults filled in. A provider that declares no model gets ``options`` unchanged.
        """
        if self.options is None:
            return self.factory(**options)
        from agentcore.options import as_keywords, validate_options  # pydantic: on first use

        validated = validate_options(self.options, options, where=f"{self.name} {self.kind}")
        return self.factory(**as_keywords(validated))


class Registry:
    """Everything the loaded plugins provide, by kind and name.

    Collected once from the provider hooks. A name registered twice is kept
    from the first plugin and the clash is reported as a failure, so which
    implementation runs never depends on silent import order.
    """

    KINDS = (
        "backend", "tool", "toolset", "retriever", "executor", "store", "run_store", "metric",
    )  # fmt: skip
    #: Settings sections (``--set SECTION.KEY=VALUE``): their "factory" is their model.
    SETTING = "setting"

    def __init__(self, pm: pluggy.PluginManager, failures: list[PluginFailure]) -> None:
        from pydantic import BaseModel

        from agentcore.tools import Tool

        self.failures = failures
        self.providers: dict[str, dict[str, Provider[Any]]] = {
            kind: {} for kind in (*self.KINDS, self.SETTING)
        }
        hook_for_kind = {
            "backend": pm.hook.register_backends,
            "tool": pm.hook.register_tools,
            "retriever": pm.hook.register_retrievers,
            "executor": pm.hook.register_executors,
            "store": pm.hook.register_stores,
            "run_store": pm.hook.register_run_stores,
            "metric": pm.hook.register_metrics,
            "toolset": pm.hook.register_toolsets,
            self.SETTING: pm.hook.register_settings,
        }
        for kind, hook in hook_for_kind.items():
            for impl in hook.get_hookimpls():  # registration order
                plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)

                def register(
                    name_or_tool: Any,
                    factory: Callable[..., Any] | None = None,
                    *,
                    description: str = "",
                    options: type[BaseModel] | None = None,
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
                    elif _kind == self.SETTING:
                        if not (isinstance(factory, type) and issubclass(factory, BaseModel)):
                            raise TypeError(
                                f"register_settings: register({name_or_tool!r}, Model) needs a "
                                "pydantic model (subclass agentcore.options.Options)"
                            )
                        name, made, options = str(name_or_tool), factory, factory
                    else:
                        if factory is None or not callable(factory):
                            raise TypeError(f"register({name_or_tool!r}) needs a factory callable")
                        if options is not None and not (
                            isinstance(options, type) and issubclass(options, BaseModel)
                        ):
                            raise TypeError(
                                f"register({name_or_tool!r}, options=...) needs a pydantic model "
                                "(subclass agentcore.options.Options)"
                            )
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
                    self.providers[_kind][name] = Provider(
                        _kind, name, made, _plugin, description, options
                    )

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
            failed = [f for f in self.failures if f.entry_point not in (*self.KINDS, self.SETTING)]
            if failed:  # the plugin that provides it may be one that did not load
                hint = "These plugins failed to load and may provide it: " + "; ".join(
                    f"{f.name} ({f.error})" for f in failed
                )
            else:
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
        if tracing_requested():
            trace_hook_calls(self.pm)
        self.failures: list[PluginFailure] = []
        self.infos: dict[str, PluginInfo] = {}
        self.allow = names(allow) if allow is not None else env_names(ALLOW_ENV)
        self.deny = names(deny) if deny is not None else (env_names(DENY_ENV) or set())
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
                log.warning("plugin %s (%s) failed to load: %s", ep.name, ep.value, exc)
                continue
            log.debug("loaded plugin %s from %s", ep.name, ep.value)
            self.register(
                plugin,
                name=ep.name,
                entry_point=ep.value,
                distribution=dist.metadata["Name"] if dist else None,
                version=dist.version if dist else None,
            )

    def _wanted(self, name: str) -> bool:
        return is_wanted(name, self.allow, self.deny)

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
        """Build the backend, executor, retriever or store registered under ``name``."""
        if kind not in Registry.KINDS:
            raise ConfigError(f"unknown provider kind {kind!r}; use one of {Registry.KINDS}")
        return self.registry.get(kind, name).create(**options)

    def tool(self, name: str) -> Any:
        return self.registry.get("tool", name).create()

    def validate_settings(
        self, settings: Mapping[str, Any] | None, *, keep_unknown_sections: bool = False
    ) -> dict[str, Any]:
        """``settings`` with every section a plugin declares validated by its model.

        Returns the sections with their values coerced (``"8192"`` → ``8192``), only the
        keys given. A bad key or value, or a section no plugin declares, is one
        :class:`ConfigError` line; ``keep_unknown_sections`` passes undeclared sections on
        as they are instead (an example's own section, read by its own code).
        """
        from agentcore.options import unknown_key_error, validated_section

        declared = self.registry.providers[Registry.SETTING]
        checked: dict[str, Any] = {}
        for section, values in (settings or {}).items():
            provider = declared.get(section)
            if provider is not None:
                checked[section] = validated_section(settings, section, provider.factory)
            elif keep_unknown_sections:
                checked[section] = values
            else:
                raise unknown_key_error(section, declared, where="settings", noun="section")
        return checked

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


def _all_hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "agentcore_spec"))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
