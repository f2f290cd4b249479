"""Configs written for Hydra's old sweeper/launcher plugins, run on hydra-runner's backends.

hydra-optuna-sweeper pins an Optuna older than 3 and hydra-ray-launcher an old Ray, so neither
installs beside current versions, yet many projects' configs name their classes. When such a
plugin is not installed, the config it was written for is taken over by hydra-runner's
equivalent: every setting is mapped, ignored with a warning, or refused with an error naming
the key (docs/guides/plugin-compat.md lists them). Where the plugin is installed, Hydra
instantiates it as before.

Also here: plugin instantiation failures (an unknown class, no ``_target_``, a bad
parameter) turned into :class:`~hydra_runner.errors.ConfigError` naming the config key.
Nothing heavy is imported: the backends load only when a config is taken over.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Iterator, Optional

from omegaconf import DictConfig, OmegaConf

from hydra_runner.errors import ConfigError

__all__ = [
    "OPTUNA_PLUGIN_TARGET",
    "RAY_PLUGIN_TARGET",
    "Takeover",
    "plugin_errors",
    "takeover_for",
]

log = logging.getLogger(__name__)

OPTUNA_PLUGIN_TARGET = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
RAY_PLUGIN_TARGET = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"


@dataclass(frozen=True)
class Takeover:
    """A plugin class whose configs one of hydra-runner's backends runs when the plugin is absent."""

    plugin: str  # the distribution's name, as users install it
    module: str  # its hydra_plugins package
    backend: str  # ``module:Class`` of hydra-runner's backend
    backend_name: str
    options: Callable[[str, dict[str, Any]], dict[str, Any]]  # (config key, plugin options) -> backend options

    def installed(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def build(self, key: str, config: DictConfig) -> Any:
        """The backend, built from the plugin's config at ``key`` (``hydra.sweeper``, ``hydra.launcher``)."""
        raw = OmegaConf.to_container(config, resolve=True, enum_to_str=True)
        assert isinstance(raw, dict)
        raw.pop("_target_", None)
        options = self.options(key, raw)
        print(f"hydra-runner: {key} names {self.plugin}, which is not installed; "
              f"{self.backend_name} runs this config", file=sys.stderr, flush=True)
        from hydra_runner.plugin_adapters import build_backend

        return build_backend(self.backend, options)


def _ignored(key: str, name: str, why: str) -> None:
    log.warning(f"{key}.{name} is ignored: {why}")


def _refused(key: str, name: str, fix: str) -> ConfigError:
    return ConfigError(f"{key}.{name} is not supported by hydra-runner's takeover of this plugin", fix=fix)


# -- hydra-optuna-sweeper --------------------------------------------------------------------

# Settings hydra-runner's Optuna sweeper reads as hydra-optuna-sweeper does.
_OPTUNA_SAME = {"sampler", "pruner", "direction", "storage", "study_name", "n_trials", "n_jobs", "params",
                "custom_search_space"}
# hydra-runner's own additions (present when hydra/sweeper=optuna selected hydra-runner's schema).
_OPTUNA_OWN = {"timeout", "objective", "enqueue"}


def _optuna_options(key: str, raw: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _OPTUNA_SAME or name in _OPTUNA_OWN:
            options[name] = value
        elif name == "max_failure_rate":
            if value:
                _ignored(key, name, "a failed trial never stops the study; failed trials are listed at the end")
        elif name == "search_space":
            if value:
                raise _refused(key, name, f"give the space in {key}.params (Hydra's override grammar), "
                                          "as hydra-optuna-sweeper 1.2 and later read it")
        else:
            raise ConfigError(f"{key}.{name} is not a setting of hydra-optuna-sweeper",
                              fix=f"remove {key}.{name}, or see docs/guides/plugin-compat.md for the settings")
    direction = options.get("direction")
    if isinstance(direction, Enum):
        options["direction"] = direction.name
    sampler = options.get("sampler")
    if isinstance(sampler, dict) and sampler.get("_target_") == "hydra_plugins.hydra_optuna_sweeper.config.raise_motpe_removed":
        raise _refused(key, "sampler", "Optuna 4 removed MOTPESampler: use hydra/sweeper/sampler=tpe")
    return options


# -- hydra-ray-launcher ----------------------------------------------------------------------

# ray.remote options with a meaning for hydra-runner's Ray launcher: the resources of a job
# whose config has no task_env of its own, and retries.
_REMOTE_RESOURCES = {"num_cpus": "cpu", "num_gpus": "gpu", "memory": "memory"}


def _ray_options(key: str, raw: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    unknown = set(raw) - {"ray"}
    if unknown:
        name = sorted(unknown)[0]
        raise ConfigError(f"{key}.{name} is not a setting of hydra-ray-launcher's RayLauncher",
                          fix=f"remove {key}.{name}; RayLauncher takes {key}.ray.init and {key}.ray.remote")
    ray = raw.get("ray") or {}
    init = dict(ray.get("init") or {})
    remote = dict(ray.get("remote") or {})
    address = init.pop("address", None)
    if address is not None:
        options["address"] = str(address)
    for name in sorted(init):
        _ignored(f"{key}.ray.init", name, "hydra-runner starts (or joins, with address) Ray itself")
    resources: dict[str, Any] = {}
    for name in sorted(remote):
        value = remote[name]
        if name in _REMOTE_RESOURCES:
            if value is not None:
                resources[_REMOTE_RESOURCES[name]] = value
        elif name == "resources":
            resources.update(value or {})
        elif name == "max_retries":
            options["retries"] = int(value or 0)
        else:
            _ignored(f"{key}.ray.remote", name, "give it per job in the task_env node (docs/guides/ray.md)")
    if resources:
        options["default_resources"] = resources
    return options


_TAKEOVERS = {
    OPTUNA_PLUGIN_TARGET: Takeover(
        plugin="hydra-optuna-sweeper",
        module="hydra_plugins.hydra_optuna_sweeper",
        backend="hydra_runner.sweepers.optuna_search:OptunaSweeper",
        backend_name="hydra-runner's Optuna sweeper",
        options=_optuna_options,
    ),
    RAY_PLUGIN_TARGET: Takeover(
        plugin="hydra-ray-launcher",
        module="hydra_plugins.hydra_ray_launcher",
        backend="hydra_runner.launchers.ray.tasks:RayLauncher",
        backend_name="hydra-runner's Ray launcher",
        options=_ray_options,
    ),
}


def taken_over_plugins() -> list[str]:
    """The distributions whose configs hydra-runner runs without them."""
    return [t.plugin for t in _TAKEOVERS.values()]


def register_taken_over_options(store: Any) -> None:
    """``hydra/launcher=ray`` for configs written for hydra-ray-launcher, when it is not installed.

    (``hydra/sweeper=optuna`` is hydra-runner's own Optuna sweeper inside hydra-runner already.)
    A plain dict, not a schema: every setting reaches the takeover, which maps or refuses it.
    """
    takeover = _TAKEOVERS[RAY_PLUGIN_TARGET]
    if not takeover.installed():
        store.store(group="hydra/launcher", name="ray", provider="hydra-runner",
                    node={"_target_": RAY_PLUGIN_TARGET, "ray": {"init": {"address": None}, "remote": {}}})


def takeover_for(target: Any) -> Optional[Takeover]:
    """The takeover for a plugin ``_target_``, when that plugin is not installed."""
    takeover = _TAKEOVERS.get(target) if isinstance(target, str) else None
    if takeover is None or takeover.installed():
        return None
    return takeover


# -- readable instantiation errors ---------------------------------------------------------

_KIND = {"hydra.sweeper": "sweeper", "hydra.launcher": "launcher", "hydra.callbacks": "callback"}
_GROUP = {"hydra.sweeper": "hydra/sweeper", "hydra.launcher": "hydra/launcher"}


def _known_names(key: str) -> str:
    """The options of a plugin group, as a user would select them."""
    group = _GROUP.get(key)
    if group is None:
        return ""
    try:
        from hydra.core.global_hydra import GlobalHydra

        loader = GlobalHydra.instance().config_loader()
        names = loader.get_group_options(group)
    except Exception:  # no Hydra initialised: the hint is only a hint
        return ""
    return f" (installed: {', '.join(names)})" if names else ""


def plugin_error(key: str, target: Any, exc: BaseException) -> ConfigError:
    """What went wrong building the plugin configured at ``key``, as a ConfigError naming the key."""
    kind = _KIND.get(key.rsplit(".", 1)[0] if key.startswith("hydra.callbacks.") else key, "plugin")
    detail = f"{type(exc).__name__}: {exc}".strip()
    if not target:
        return ConfigError(f"{key} has no _target_: Hydra cannot tell which {kind} to build",
                           fix=f"set {key}._target_ to the {kind}'s class"
                           + (f", or select one with {_GROUP[key]}=NAME" if key in _GROUP else ""),
                           detail=detail)
    text = str(exc)
    if "Unknown plugin class" in text or "IS THE PLUGIN INSTALLED" in text or _not_importable(target):
        plugin = _distribution_hint(target)
        install = f"pip install {plugin}" if plugin else "install the package that provides it"
        if key in _GROUP:
            fix = f"{install}, or select an installed {kind} with {_GROUP[key]}=NAME{_known_names(key)}"
        else:
            fix = f"{install}, or correct or remove {key}"
        return ConfigError(f"{key}._target_ names {target!r}, a {kind} class that is not installed",
                           fix=fix, detail=detail)
    return ConfigError(f"{key} ({target}) could not be built: {_first_line(exc)}",
                       fix=f"check the settings under {key} against the {kind}'s parameters", detail=detail)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _not_importable(target: str) -> bool:
    module = target.rpartition(".")[0]
    try:
        return not module or importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def _distribution_hint(target: str) -> Optional[str]:
    """The PyPI name of the plugin a ``hydra_plugins.NAME...`` class comes from (its usual spelling)."""
    parts = target.split(".")
    if len(parts) > 2 and parts[0] == "hydra_plugins" and parts[1].startswith("hydra_"):
        return parts[1].replace("_", "-")
    return None


class plugin_errors:
    """``with plugin_errors("hydra.sweeper", target):`` turns a failure to build the plugin into a ConfigError.

    hydra-runner's own errors and the task's exceptions pass unchanged.
    """

    def __init__(self, key: str, target: Any) -> None:
        self.key = key
        self.target = target

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        from hydra.errors import ConfigCompositionException

        from hydra_runner.errors import HydraRunnerError

        # Composition errors (a sweeper composing its first jobs) have their own explanations.
        if exc is None or isinstance(exc, (HydraRunnerError, ConfigCompositionException)) \
                or not isinstance(exc, Exception):
            return False
        raise plugin_error(self.key, self.target, exc) from exc


def callback_error(cfg: DictConfig, exc: BaseException) -> ConfigError:
    """A failure to build ``hydra.callbacks``, naming the callback it came from where that shows."""
    text = str(exc)
    candidates = list(callback_targets(cfg))
    for key, target in candidates:
        if not target:
            return plugin_error(key, target, exc)
    for key, target in candidates:
        # Hydra 1.3 names the target; 1.4 passes on the class's own error, which names the class.
        if isinstance(target, str) and (target in text or f"{target.rsplit('.', 1)[-1]}." in text):
            return plugin_error(key, target, exc)
    if len(candidates) == 1:
        return plugin_error(*candidates[0], exc)
    return ConfigError(f"a callback under hydra.callbacks could not be built: {_first_line(exc)}",
                       fix="check each callback's _target_ and settings (--verbose shows which one failed)",
                       detail=f"{type(exc).__name__}: {exc}")


def callback_targets(cfg: DictConfig) -> Iterator[tuple[str, Any]]:
    """``(config key, _target_)`` of each callback under ``hydra.callbacks``."""
    callbacks = OmegaConf.select(cfg, "hydra.callbacks")
    if not isinstance(callbacks, DictConfig):
        return
    for name in callbacks:
        node = callbacks._get_node(name)
        target = node.get("_target_") if isinstance(node, DictConfig) else None
        yield f"hydra.callbacks.{name}", target
