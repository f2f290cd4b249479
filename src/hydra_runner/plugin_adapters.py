"""The Hydra plugin face of hydra-runner's launchers and sweepers (used by ``hydra_plugins``).

Kept free of heavy imports: Hydra imports every plugin module at start-up, so each adapter
imports the class it stands for only when Hydra instantiates it.
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Any, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

__all__ = ["LauncherAdapter", "SweeperAdapter"]


def _build(path: str, options: dict[str, Any]) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)(**options)


class SweeperAdapter(Sweeper):
    """A Hydra ``Sweeper`` that builds the hydra-runner sweeper it names and hands it the work."""

    @property
    @abstractmethod
    def sweeper_path(self) -> str:
        """``module:Class`` of the sweeper to build."""

    def __init__(self, **options: Any) -> None:
        self.sweeper = _build(self.sweeper_path, options)

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
        self.launcher = _build(self.launcher_path, options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        return self.launcher.launch(job_overrides, initial_job_idx)
