"""``hydra/launcher=runner_pool``: hydra-runner's process pool for any ``@hydra.main`` app.

Hydra imports every module under ``hydra_plugins`` at start-up, so this adapter stays
light: its config node is made from :class:`hydra_runner.options.launchers.PoolOptions`
(where each option is declared), and the real launcher,
:class:`hydra_runner.launchers.pool.ProcessPoolLauncher`, is built only when it is used.
"""

from hydra.core.config_store import ConfigStore

from hydra_runner.options.launchers import PoolConf, PoolOptions
from hydra_runner.plugin_adapters import LauncherAdapter

ConfigStore.instance().store(group=PoolOptions.group, name=PoolOptions.name, node=PoolConf,
                             provider="hydra-runner")


class RunnerPoolLauncher(LauncherAdapter):
    launcher_path = "hydra_runner.launchers.pool:ProcessPoolLauncher"
