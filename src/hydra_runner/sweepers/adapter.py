"""The Hydra plugin face of hydra-runner's sweepers (used by ``hydra_plugins``).

Kept free of heavy imports: Hydra imports every plugin module at start-up.
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

__all__ = ["SweeperAdapter"]


class SweeperAdapter(Sweeper):
    """A Hydra ``Sweeper`` that builds the hydra-runner sweeper it names and hands it the work."""

    @property
    @abstractmethod
    def sweeper_path(self) -> str:
        """``module:Class`` of the sweeper to build (imported only when the plugin is used)."""

    def __init__(self, **options: Any) -> None:
        module, _, name = self.sweeper_path.partition(":")
        self.sweeper = getattr(importlib.import_module(module), name)(**options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        return self.sweeper.sweep(arguments)
