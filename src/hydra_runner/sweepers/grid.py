"""Hydra's BasicSweeper (Cartesian product, batches), on hydra-runner's launchers."""

from __future__ import annotations

from typing import Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner.composition.loader import CachingConfigLoader

__all__ = ["GridSweeper"]


class GridSweeper(BasicSweeper):
    """``BasicSweeper`` itself, with its launcher chosen by hydra-runner and cheap validation.

    BasicSweeper composes every job of a batch up front to fail early; with the caching
    loader that check reuses the templates the launcher composes from.
    """

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra_runner.launchers import instantiate_launcher

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        assert self.hydra_context is not None and self.config is not None
        loader = self.hydra_context.config_loader
        if not isinstance(loader, CachingConfigLoader):
            super().validate_batch_is_legal(batch)
            return
        for overrides in batch:
            loader.validate_job(self.config, list(overrides))
