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
from hydra_runner.plugin_adapters import build_from_config, own_class_path
from hydra_runner.run_context import RunContext

__all__ = ["InProcessLauncher", "RunnerLauncher", "instantiate_launcher"]


def instantiate_launcher(*, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig,
                         run: RunContext) -> Launcher:
    """The launcher ``config.hydra.launcher`` selects, with Hydra's BasicLauncher served in-process.

    ``runner_pool`` and ``runner_ray`` are built directly (not through their Hydra adapters), as
    part of ``run``. Other launchers (joblib, submitit, ...) are instantiated by Hydra's plugin
    machinery and recorded in the journal by :class:`~.foreign.RecordedLauncher`.
    """
    from hydra_runner.plugin_compat import plugin_errors, takeover_for

    launcher_cfg = config.hydra.launcher
    target = launcher_cfg.get("_target_") if isinstance(launcher_cfg, DictConfig) else None
    launcher: Launcher
    with plugin_errors("hydra.launcher", target):
        if target == _compat.BASIC_LAUNCHER_TARGET:
            launcher = InProcessLauncher()
        elif (own := own_class_path(target)) is not None:
            launcher = build_from_config(own, launcher_cfg)
        elif (takeover := takeover_for(target)) is not None:
            launcher = takeover.build("hydra.launcher", launcher_cfg)
        else:
            from hydra_runner.launchers.foreign import RecordedLauncher

            # Hydra builds and sets it up; recorded, its sweeps have results and resume too.
            foreign = Plugins.instance().instantiate_launcher(
                hydra_context=hydra_context, task_function=task_function, config=config
            )
            return RecordedLauncher(foreign, run, config)
        if isinstance(launcher, RunnerLauncher):
            launcher.use_run(run)
        launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)
    return launcher
