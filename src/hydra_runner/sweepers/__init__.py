"""Sweepers: which jobs a multirun launches.

    grid.GridSweeper               Hydra's BasicSweeper (Cartesian product, batches)
    optuna_search.OptunaSweeper    hydra/sweeper=optuna: Optuna studies, asynchronous, resumable
    optuna_study                   a sweep's Optuna study, asked and told by job number
    _study_process                 the process holding that study for CLI sweeps
    random_search.RandomSweeper    hydra/sweeper=random: random search
    search_space                   the override grammar read as a search space
    _search                        what the searching sweepers share (trials as a feed of jobs)

Any other sweeper plugin (Nevergrad, a custom one in the ConfigStore) is instantiated by
Hydra itself. Importing this package stays light (it does not import Hydra): the CLI reaches
the study process through it before anything else is loaded, and the sweepers load when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hydra.plugins.sweeper import Sweeper
    from hydra.types import HydraContext, TaskFunction
    from omegaconf import DictConfig

    from hydra_runner.run_context import RunContext

__all__ = ["instantiate_sweeper", "is_optuna_sweeper", "register_short_names"]


def is_optuna_sweeper(target: Any) -> bool:
    """Whether a sweeper config's ``_target_`` runs on hydra-runner's Optuna sweeper."""
    from hydra_runner.plugin_adapters import own_class_path
    from hydra_runner.plugin_compat import takeover_for

    takeover = takeover_for(target)
    return (own_class_path(target) or (takeover.backend if takeover else "")).endswith(":OptunaSweeper")


def instantiate_sweeper(*, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig,
                        run: RunContext) -> Sweeper:
    """The sweeper ``config.hydra.sweeper`` selects, part of ``run`` where it is one of hydra-runner's."""
    from hydra.core.plugins import Plugins
    from hydra.plugins.sweeper import Sweeper
    from omegaconf import DictConfig

    from hydra_runner import _compat
    from hydra_runner.plugin_adapters import build_from_config, own_class_path
    from hydra_runner.plugin_compat import plugin_errors, takeover_for

    sweeper_cfg = config.hydra.sweeper
    target = sweeper_cfg.get("_target_") if isinstance(sweeper_cfg, DictConfig) else None
    sweeper: Sweeper
    with plugin_errors("hydra.sweeper", target):
        if target == _compat.BASIC_SWEEPER_TARGET:
            from hydra_runner.sweepers.grid import GridSweeper

            sweeper = GridSweeper(max_batch_size=sweeper_cfg.max_batch_size, params=sweeper_cfg.params)
        elif (own := own_class_path(target)) is not None:
            sweeper = build_from_config(own, sweeper_cfg)
        elif (takeover := takeover_for(target)) is not None:
            sweeper = takeover.build("hydra.sweeper", sweeper_cfg)
        elif target and not _compat.is_plugin_module(target):
            # A sweeper the project registered in its own ConfigStore (hydra-zen's builds(...)):
            # Hydra 1.3.8+ only instantiates plugins from hydra_plugins; the project's own code is trusted here.
            sweeper = _compat.instantiate_project_plugin(sweeper_cfg, Sweeper)
        else:
            return Plugins.instance().instantiate_sweeper(hydra_context=hydra_context, task_function=task_function,
                                                          config=config)
        if hasattr(sweeper, "use_run"):
            sweeper.use_run(run)
        sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)
    return sweeper


def register_short_names() -> None:
    """Inside hydra-runner, ``hydra/sweeper=optuna`` and ``=random`` select hydra-runner's sweepers.

    Plain ``@hydra.main`` apps see only ``runner_optuna`` / ``runner_random``, so an installed
    hydra-optuna-sweeper keeps its name there. Registered after Hydra's plugin scan, so these win.
    """
    from hydra.core.config_store import ConfigStore

    from hydra_runner import _compat
    from hydra_runner.plugin_adapters import PLUGIN_PACKAGE

    _compat.plugins()
    optuna_plugin: Any = importlib.import_module(f"{PLUGIN_PACKAGE}.runner_optuna_sweeper")
    random_plugin: Any = importlib.import_module(f"{PLUGIN_PACKAGE}.runner_random_sweeper")
    store = ConfigStore.instance()
    store.store(group="hydra/sweeper", name="optuna", node=optuna_plugin.RunnerOptunaSweeperConf,
                provider="hydra-runner")
    store.store(group="hydra/sweeper", name="random", node=random_plugin.RunnerRandomSweeperConf,
                provider="hydra-runner")
    from hydra_runner.plugin_compat import register_taken_over_options

    register_taken_over_options(store)
