"""Sweepers: which jobs a multirun launches.

Hydra's BasicSweeper is served by :class:`GridSweeper`; any other sweeper plugin
(Optuna, Nevergrad, a custom one in the ConfigStore) is instantiated by Hydra itself.
"""

from __future__ import annotations

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner import _compat
from hydra_runner.sweepers.grid import GridSweeper

__all__ = ["GridSweeper", "instantiate_sweeper"]


def instantiate_sweeper(*, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> Sweeper:
    sweeper_cfg = config.hydra.sweeper
    if sweeper_cfg is not None and sweeper_cfg.get("_target_") == _compat.BASIC_SWEEPER_TARGET:
        sweeper: Sweeper = GridSweeper(max_batch_size=sweeper_cfg.max_batch_size, params=sweeper_cfg.params)
        sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)
        return sweeper
    target = sweeper_cfg.get("_target_") if sweeper_cfg is not None else None
    if target and not Plugins.is_in_toplevel_plugins_module(target):
        # A sweeper the project registered in its own ConfigStore (hydra-zen's builds(...)):
        # Hydra 1.3.8+ only instantiates plugins from hydra_plugins; the project's own code is trusted here.
        sweeper = _compat.instantiate_project_plugin(sweeper_cfg, Sweeper)
        sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)
        return sweeper
    return Plugins.instance().instantiate_sweeper(hydra_context=hydra_context, task_function=task_function, config=config)
