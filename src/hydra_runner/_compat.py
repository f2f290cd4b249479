"""The one place that touches Hydra's and OmegaConf's private API.

Everything version-sensitive lives here so that a Hydra upgrade touches one file.
"""

from __future__ import annotations

import contextlib
import copy
import os
from typing import Any, Iterator, Optional

from hydra import version as hydra_version
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.config_repository import (
    CachingConfigRepository,
    ConfigRepository,
    IConfigRepository,
)
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.defaults_list import DefaultsList
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_config_search_path
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobRuntime, setup_globals
from omegaconf import DictConfig, OmegaConf

__all__ = [
    "BasicSweeper",
    "CachingConfigRepository",
    "ConfigRepository",
    "IConfigRepository",
    "HYDRA_VERSION",
    "callbacks_for",
    "DefaultsList",
    "deprecation_warning",
    "override_dirname",
    "ConfigLoaderImpl",
    "Hydra",
    "HydraState",
    "configure_logging_dict",
    "enable_interpolation_parse_cache",
    "create_config_search_path",
    "attach_shared_node",
    "caching_repository",
    "callback_objects",
    "deepcopy_without",
    "root_sharing",
    "set_parent",
    "isolated_hydra_state",
    "plugins",
    "set_version_base",
    "setup_globals",
]

def _version_tuple(text: str) -> tuple[int, int, int]:
    import re

    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return (parts + [0, 0, 0])[0], (parts + [0, 0, 0])[1], (parts + [0, 0, 0])[2]


HYDRA_VERSION: str = hydra_version.__version__
#: Hydra 1.4 and later: override_dirname is a resolver, version_base < 1.3 is refused, ...
HYDRA_1_4 = _version_tuple(HYDRA_VERSION) >= (1, 4, 0)

UNSPECIFIED_VERSION_BASE: Any = hydra_version._UNSPECIFIED_
"""What ``@hydra.main()`` passes when no ``version_base`` is written (1.1 compatibility)."""

#: ``version_base`` for tasks that declare none (plain functions): 1.3 on Hydra 1.3; on 1.4,
#: where giving any version_base is deprecated (a warning), Hydra's own default.
DEFAULT_VERSION_BASE: Any = UNSPECIFIED_VERSION_BASE if HYDRA_1_4 else "1.3"

#: Hydra 1.3 composes the whole config to read ``hydra.mode``; Hydra 1.4 reads it from the
#: command line and the primary config only, and refuses a mode set by another config.
MODE_FROM_COMPOSED_CONFIG = not HYDRA_1_4

#: Hydra 1.3 adds ``hydra.mode=RUN`` to a run's overrides when nothing set the mode; 1.4 does not.
RUN_MODE_OVERRIDE = not HYDRA_1_4

BASIC_LAUNCHER_TARGET = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
BASIC_SWEEPER_TARGET = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


if HYDRA_1_4:

    class ConfigLoaderBase(ConfigLoaderImpl):
        """``ConfigLoaderImpl`` that parses (and alias-expands) overrides itself when Hydra does not.

        Hydra 1.4 hands the parsed overrides only to a loader whose type is exactly ConfigLoaderImpl.
        """

        def get_mode(self, config_name: Any, overrides: list[str], parsed_overrides: Any = None) -> Any:
            if parsed_overrides is None:
                parsed_overrides = self.parse_overrides(config_name, overrides)
            return super().get_mode(config_name, overrides, parsed_overrides)

else:
    ConfigLoaderBase = ConfigLoaderImpl  # type: ignore[misc]


def settle_mode(cfg: DictConfig, mode: Any) -> None:
    """What Hydra 1.4 does with ``hydra.mode`` once composed: set it, or refuse a config that changed it.

    Hydra 1.3 takes the composed config as it is.
    """
    if not HYDRA_1_4:
        return
    from hydra.errors import ConfigCompositionException

    if cfg.hydra.mode is None:
        cfg.hydra.mode = mode
    elif cfg.hydra.mode != mode:
        raise ConfigCompositionException(
            "hydra.mode changed during config composition; set it directly "
            "in the primary config or on the command line"
        )


def set_controller_hydra_config(cfg: DictConfig) -> None:
    """Hydra 1.4 makes the sweep's composed config HydraConfig's while the sweeper and callbacks run.

    (Callers run inside :func:`isolated_hydra_state`, which puts the previous one back.)
    """
    if HYDRA_1_4:
        HydraConfig.instance().set_config(cfg)


def set_version_base(base: Any) -> None:
    if not HYDRA_1_4 or base is UNSPECIFIED_VERSION_BASE:
        hydra_version.setbase(base)
        return
    # Hydra 1.4 warns that version_base is deprecated where @hydra.main is applied, which
    # importing the task did already; a version below 1.3 is still refused here.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hydra_version.setbase(base)


def override_dirname(overrides: Any, hydra_job: DictConfig) -> str:
    """The value ``hydra.job.override_dirname`` has in a job composed with ``overrides``.

    Hydra 1.3 computes it while composing (``get_overrides_dirname``). Hydra 1.4 leaves the
    composed node as ``${hydra_override_dirname:}``, a resolver that reads the job's task
    overrides when accessed, so the node stays as it was composed.
    """
    if HYDRA_1_4:
        return str(hydra_job._get_node("override_dirname")._value())  # type: ignore[union-attr]
    from hydra._internal.config_loader_impl import get_overrides_dirname  # type: ignore[attr-defined]

    dirname_cfg = hydra_job.config.override_dirname
    return get_overrides_dirname(  # type: ignore[no-any-return]
        overrides=overrides,
        kv_sep=dirname_cfg.kv_sep,
        item_sep=dirname_cfg.item_sep,
        exclude_keys=dirname_cfg.exclude_keys,
    )


def keep_remote_traceback(ret: Any, error: BaseException) -> None:
    """Hydra 1.4: a failed JobReturn carries its exception's traceback and chain in a form that pickles.

    So the task's frames survive the way back from a worker process (``return_value`` re-raises
    with them). Hydra 1.3 has no such fields.
    """
    if not HYDRA_1_4:
        return
    from hydra.core import utils as core_utils

    with contextlib.suppress(Exception):
        ret._remote_traceback = core_utils._serialize_traceback(error.__traceback__)  # type: ignore[attr-defined]
        ret._remote_exception_chain = core_utils._serialize_exception_chain(error)  # type: ignore[attr-defined]
        ret._remote_exception_group = core_utils._serialize_exception_group(error)  # type: ignore[attr-defined]


_REMOTE_FIELDS = ("_remote_traceback", "_remote_exception_chain", "_remote_exception_group")


def remote_traceback_of(ret: Any) -> Optional[dict[str, Any]]:
    """What :func:`keep_remote_traceback` stored on ``ret``, to send to another process (None on Hydra 1.3)."""
    fields = {name: getattr(ret, name, None) for name in _REMOTE_FIELDS}
    return fields if any(v is not None for v in fields.values()) else None


def set_remote_traceback(ret: Any, fields: Optional[dict[str, Any]]) -> None:
    for name, value in (fields or {}).items():
        setattr(ret, name, value)


def log_job_error() -> None:
    """Inside ``except``: what Hydra 1.4 does with a failed job's exception, log it to the job's log file.

    Hydra 1.3 leaves the job's log file without it.
    """
    if HYDRA_1_4:
        from hydra.core.utils import _log_job_error_to_file  # type: ignore[attr-defined]

        _log_job_error_to_file()


def callbacks_for(cfg: DictConfig) -> Any:
    """Hydra's ``Callbacks`` registry for ``cfg`` (``hydra.callbacks`` instantiated)."""
    from hydra._internal.callbacks import Callbacks

    try:
        return Callbacks(cfg)
    except Exception as e:
        from hydra_runner.errors import HydraRunnerError
        from hydra_runner.plugin_compat import callback_error

        if isinstance(e, HydraRunnerError):
            raise
        raise callback_error(cfg, e) from e


def is_plugin_module(target: str) -> bool:
    """Whether ``target`` is where Hydra looks plugins up (Hydra 1.4 no longer has this check)."""
    return target.startswith("hydra_plugins.") or target.startswith("hydra._internal.core_plugins.")


def deprecation_warning(message: str, stacklevel: int = 1) -> None:
    """Hydra's deprecation warning (an error when HYDRA_DEPRECATION_WARNINGS_AS_ERRORS is set)."""
    from hydra._internal.deprecation_warning import deprecation_warning as warn

    warn(message=message, stacklevel=stacklevel + 1)


def caching_repository(repository: Any) -> CachingConfigRepository:
    """``CachingConfigRepository(repository)`` without its deep copy of ``repository``.

    Hydra copies the repository so that ``initialize_sources`` (run for ``hydra.searchpath``)
    leaves it as it was. That method replaces the list of sources rather than changing it,
    so a shallow copy does as well, and it does not copy the ConfigStore the structured
    source holds (every composition did, some 5 ms a time). The store deep-copies each
    config it loads, so compositions still never share its nodes.
    """
    repo = CachingConfigRepository.__new__(CachingConfigRepository)
    repo.delegate = copy.copy(repository)
    repo.cache = {}
    return repo


def deepcopy_without(cfg: DictConfig, key: str) -> DictConfig:
    """``copy.deepcopy(cfg)`` minus ``cfg[key]``, without copying that child first."""
    content = cfg.__dict__["_content"]
    node = content.pop(key)
    try:
        return copy.deepcopy(cfg)
    finally:
        cfg.__dict__["_content"] = {key: node, **content}


def attach_shared_node(parent: DictConfig, key: str, node: DictConfig) -> None:
    """Put ``node`` first under ``parent[key]`` without copying it; ``node`` now has that parent.

    Composed configs have ``hydra`` as their first key; the node is shared between the
    jobs of one template and re-parented to each job's config while that job runs.
    """
    content = parent.__dict__["_content"]
    parent.__dict__["_content"] = {key: node, **content}
    node._set_parent(parent)


def root_sharing(node: DictConfig, key: str = "hydra") -> DictConfig:
    """A root ``{key: node}`` sharing ``node`` (what HydraConfig stores, without the copy)."""
    root = DictConfig(content={})
    root.__dict__["_content"] = {key: node}
    return root


def set_parent(node: DictConfig, parent: DictConfig) -> None:
    node._set_parent(parent)


def set_existing_value(parent: DictConfig, key: str, value: Any) -> None:
    """``parent[key] = value`` for an existing child, allowed even under a read-only parent.

    Toggling ``readonly`` on the whole ``hydra`` node invalidates OmegaConf's flag cache for
    its every descendant; toggling it on the one child written touches only that child.
    The child converts and validates ``value`` as an assignment would.
    """
    child = parent._get_node(key)
    own_flag = child._get_node_flag("readonly")  # type: ignore[union-attr]
    child._set_flag("readonly", False)  # type: ignore[union-attr]
    try:
        child._set_value(value)  # type: ignore[union-attr]
    finally:
        child._set_flag("readonly", own_flag)  # type: ignore[union-attr]


def enable_interpolation_parse_cache(maxsize: int = 8192) -> None:
    """Memoise OmegaConf's parse of interpolation strings.

    OmegaConf re-parses ``${...}`` with ANTLR on every access; a sweep resolves the same
    strings (output dirs, log file names) for every job. Parse trees are only read by
    OmegaConf's resolver, so sharing them is safe.
    """
    import functools

    import omegaconf.base as oc_base

    if getattr(oc_base.parse, "cache_info", None) is not None:
        return
    oc_base.parse = functools.lru_cache(maxsize=maxsize)(oc_base.parse)


def configure_logging_dict(conf: dict[str, Any], verbose_config: Any) -> None:
    """The tail of ``hydra.core.utils.configure_log`` for an already resolved dict."""
    import logging

    if conf["root"] is not None:
        try:
            from hydra._internal.logging_config import configure_logging
        except ImportError:  # hydra-core < 1.3.3
            import logging.config as _lc

            configure_logging = _lc.dictConfig  # type: ignore[assignment]
        configure_logging(conf)
    if isinstance(verbose_config, bool):
        if verbose_config:
            logging.getLogger().setLevel(logging.DEBUG)
    else:
        if isinstance(verbose_config, str):
            verbose_config = OmegaConf.create([verbose_config])
        for logger in verbose_config:
            logging.getLogger(logger).setLevel(logging.DEBUG)


class HydraState:
    """A snapshot of Hydra's process-global state (singletons, version base, job name, cwd)."""

    def __init__(self) -> None:
        gh = GlobalHydra.instance()
        self.global_hydra = gh.hydra
        self.hydra_config = HydraConfig.instance().cfg
        self.job_runtime = copy.copy(JobRuntime.instance().conf)
        self.version_base = hydra_version.VersionBase.instance().version_base
        self.cwd = os.getcwd()

    def restore(self) -> None:
        GlobalHydra.instance().hydra = self.global_hydra
        HydraConfig.instance().cfg = self.hydra_config
        JobRuntime.instance().conf = self.job_runtime
        hydra_version.VersionBase.instance().version_base = self.version_base
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)


@contextlib.contextmanager
def fresh_version_base() -> Iterator[None]:
    """Hydra's version base as a fresh process has it, put back afterwards (Hydra 1.4 has no set_instance)."""
    from hydra.core.singleton import Singleton

    VersionBase = hydra_version.VersionBase
    previous = Singleton._instances.get(VersionBase)
    fresh = object.__new__(VersionBase)  # VersionBase() would return the singleton itself
    fresh.__init__()  # type: ignore[misc]
    Singleton._instances[VersionBase] = fresh
    try:
        yield
    finally:
        if previous is None:
            Singleton._instances.pop(VersionBase, None)
        else:
            Singleton._instances[VersionBase] = previous


@contextlib.contextmanager
def isolated_hydra_state() -> Iterator[None]:
    """Run Hydra re-entrantly: whatever Hydra sets globally is put back afterwards."""
    state = HydraState()
    GlobalHydra.instance().hydra = None
    try:
        yield
    finally:
        state.restore()


def instantiate_project_plugin(config: DictConfig, base: type) -> Any:
    """Instantiate a Sweeper/Launcher class the project registered under its own module."""
    from hydra.utils import get_class, instantiate

    cls = get_class(config._target_)
    if not issubclass(cls, base):
        from hydra_runner.errors import ConfigError

        raise ConfigError(f"'{config._target_}' is not a {base.__name__}", fix=f"subclass hydra.plugins.{base.__module__.split('.')[-1]}.{base.__name__}")
    return instantiate(config, _recursive_=False)


def singleton_instances() -> dict[Any, Any]:
    """Hydra's singletons (ConfigStore, JobRuntime, VersionBase, ...) as ``Singleton.get_state`` copies them.

    Without OmegaConf's resolvers: they are closures that do not pickle, and a process that
    imports the task registers the task's resolvers again (Hydra's own come from setup_globals).
    """
    from hydra.core.singleton import Singleton

    return Singleton.get_state()["instances"]  # type: ignore[no-any-return]


def shippable_singleton_instances() -> dict[Any, Any]:
    """Hydra's singletons to send to another process, which rebuilds the process-local ones.

    Not ``Plugins``, ``GlobalHydra`` (its Hydra and config loader) or ``SourcesRegistry``:
    the receiver builds its own, and after ``Singleton.set_state`` ran in this process
    (Hydra's ``hydra_restore_singletons`` fixture runs it) the latter two cannot be pickled:
    the plugin rescan it triggers re-executes Hydra's core plugin modules, so the config
    source classes they hold are no longer the ones those modules export. Not copied:
    the caller pickles them at once.
    """
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    local = (Plugins, GlobalHydra, SourcesRegistry)
    return {cls: instance for cls, instance in Singleton._instances.items() if cls not in local}


# The ``hydra_plugins`` directories the Plugins registry in this process was made from.
_plugins_scanned: tuple[Any, tuple[str, ...]] = (None, ())


def _plugin_dirs() -> tuple[str, ...]:
    import importlib

    try:
        return tuple(importlib.import_module("hydra_plugins").__path__)
    except ImportError:
        return ()


def plugins() -> Any:
    """Hydra's Plugins registry, scanned again if ``hydra_plugins`` now spans other directories.

    The pool scans before it forks its workers, so they inherit the scan; that is before the
    task's import puts the project on sys.path, and a project can keep its own plugins there.
    A registry made by someone else (Hydra itself) is taken to be current.
    """
    from hydra.core.plugins import Plugins

    global _plugins_scanned
    registry = Plugins.instance()
    scanned_by, scanned_dirs = _plugins_scanned
    dirs = _plugin_dirs()
    if scanned_by is registry and scanned_dirs != dirs:
        registry._initialize()
    _plugins_scanned = (registry, dirs)
    return registry


def restore_singleton_instances(instances: dict[Any, Any]) -> None:
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    # Plugin discovery scans every hydra_plugins module (and fills the config source
    # registry): keep what this process's scan found, if it made one.
    local = {cls: Singleton._instances[cls] for cls in (Plugins, SourcesRegistry) if cls in Singleton._instances}
    Singleton._instances = dict(instances)
    if Plugins in local:
        for cls, instance in local.items():
            Singleton._instances.setdefault(cls, instance)
    Plugins.instance()


def config_being_merged(exc: BaseException) -> tuple[Any, Any]:
    """What Hydra was merging when ``exc`` was raised: the defaults-list entry and the config loaded for it.

    A ``(ResultDefault, ConfigResult)`` pair (the entry's package, the config's source), or
    ``(None, None)``. Hydra's message names only the config; the entry and what was loaded for
    it are local variables of the config loader's frame that merged them, which the traceback keeps.
    """
    from hydra.core.default_element import ResultDefault
    from hydra.plugins.config_source import ConfigResult

    found: tuple[Any, Any] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        values = list(tb.tb_frame.f_locals.values())
        default = next((v for v in values if isinstance(v, ResultDefault)), None)
        loaded = next((v for v in values if isinstance(v, ConfigResult)), None)
        if default is not None and loaded is not None:
            found = (default, loaded)
        tb = tb.tb_next
    return found


def callback_objects(callbacks: Any) -> list[Any]:
    """The callback objects Hydra's ``Callbacks`` built from ``hydra.callbacks``."""
    return list(getattr(callbacks, "callbacks", None) or [])
