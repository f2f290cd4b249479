"""Launchers: where and how the jobs of a sweep run.

``_base.RunnerLauncher`` holds what all launchers share; each backend is one module.
"""

from __future__ import annotations

import importlib
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_runner import _compat
from hydra_runner.launchers._base import RunnerLauncher
from hydra_runner.launchers.inprocess import InProcessLauncher

__all__ = ["InProcessLauncher", "RunnerLauncher", "instantiate_launcher"]

_PLUGINS = "hydra_plugins.hydra_runner_plugins"
# Each hydra-runner launcher plugin's target, and the launcher it stands for.
_OWN_LAUNCHERS = {
    f"{_PLUGINS}.runner_pool_launcher.RunnerPoolLauncher": "hydra_runner.launchers.pool:ProcessPoolLauncher",
    f"{_PLUGINS}.runner_ray_launcher.RunnerRayLauncher": "hydra_runner.launchers.ray_tasks:RayLauncher",
}


def instantiate_launcher(*, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> Launcher:
    """The launcher ``config.hydra.launcher`` selects, with Hydra's BasicLauncher served in-process.

    ``runner_pool`` and ``runner_ray`` are built directly (not through their Hydra adapters). Other launchers
    (joblib, submitit, ...) are instantiated by Hydra's plugin machinery.
    """
    target = config.hydra.launcher.get("_target_") if config.hydra.launcher is not None else None
    launcher: Launcher
    if target == _compat.BASIC_LAUNCHER_TARGET:
        launcher = InProcessLauncher()
    elif target in _OWN_LAUNCHERS:
        module, _, name = _OWN_LAUNCHERS[target].partition(":")
        options = OmegaConf.to_container(config.hydra.launcher, resolve=True)
        assert isinstance(options, dict)
        options.pop("_target_")
        launcher = getattr(importlib.import_module(module), name)(**options)
    else:
        return Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )
    launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)
    return launcher
