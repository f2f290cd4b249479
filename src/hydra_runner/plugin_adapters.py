"""The Hydra plugin face of hydra-runner's launchers and sweepers (used by ``hydra_plugins``).

Kept free of heavy imports: Hydra imports every plugin module at start-up, so each adapter
imports the class it stands for only when Hydra instantiates it.
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

__all__ = ["LauncherAdapter", "SweeperAdapter", "build_backend", "build_from_config", "own_class_path"]

PLUGIN_PACKAGE = "hydra_plugins.hydra_runner_plugins"


def build_backend(path: str, options: dict[str, Any]) -> Any:
    """The class at ``path`` from a plugin config's fields: through its options dataclass if it has one."""
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls.from_config(options) if hasattr(cls, "from_config") else cls(**options)


def own_class_path(target: Any) -> Optional[str]:
    """``module:Class`` of what one of hydra-runner's plugins (named by its ``_target_``) stands for."""
    if not isinstance(target, str) or not target.startswith(PLUGIN_PACKAGE + "."):
        return None
    module, _, name = target.rpartition(".")
    adapter = getattr(importlib.import_module(module), name, None)
    return getattr(adapter, "launcher_path", None) or getattr(adapter, "sweeper_path", None)


def build_from_config(path: str, config: DictConfig) -> Any:
    """The class at ``path``, built from a plugin config's fields (its ``_target_`` aside)."""
    options = OmegaConf.to_container(config, resolve=True)
    assert isinstance(options, dict)
    options.pop("_target_", None)
    return build_backend(path, options)


class SweeperAdapter(Sweeper):
    """A Hydra ``Sweeper`` that builds the hydra-runner sweeper it names and hands it the work."""

    @property
    @abstractmethod
    def sweeper_path(self) -> str:
        """``module:Class`` of the sweeper to build."""

    def __init__(self, **options: Any) -> None:
        self.sweeper = build_backend(self.sweeper_path, options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        return self.sweeper.sweep(arguments)


class LauncherAdapter(Launcher):
    """A Hydra ``Launcher`` that builds the hydra-runner launcher it names and hands it the work."""

    @property
    @abstractmethod
    def launcher_path(self) -> str:
        """``module:Class`` of the launcher to build."""

    def __init__(self, **options: Any) -> None:
        self.launcher = build_backend(self.launcher_path, options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        return self.launcher.launch(job_overrides, initial_job_idx)
