"""Launchers: where and how the jobs of a sweep run.

``_base.RunnerLauncher`` holds what all launchers share; each backend is one module.
"""

from __future__ import annotations

from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner import _compat
from hydra_runner.launchers._base import RunnerLauncher
from hydra_runner.launchers.inprocess import InProcessLauncher

__all__ = ["InProcessLauncher", "RunnerLauncher", "instantiate_launcher"]


def instantiate_launcher(*, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> Launcher:
    """The launcher ``config.hydra.launcher`` selects, with Hydra's BasicLauncher served in-process.

    Other launchers (joblib, submitit, ...) are instantiated by Hydra's plugin machinery.
    """
    if config.hydra.launcher is not None and config.hydra.launcher.get("_target_") == _compat.BASIC_LAUNCHER_TARGET:
        launcher: Launcher = InProcessLauncher()
        launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)
        return launcher
    return Plugins.instance().instantiate_launcher(
        hydra_context=hydra_context, task_function=task_function, config=config
    )
