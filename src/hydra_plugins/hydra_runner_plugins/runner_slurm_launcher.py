"""``hydra/launcher=runner_slurm``: hydra-runner's Slurm launcher for any ``@hydra.main`` app.

Light on purpose (Hydra imports every plugin module at start-up): the config node is made
from :class:`hydra_runner.options.launchers.SlurmOptions`, and submitit and the real launcher,
:class:`hydra_runner.launchers.slurm.SlurmLauncher`, load only when used.
"""

from hydra.core.config_store import ConfigStore

from hydra_runner.options.launchers import SlurmConf, SlurmOptions
from hydra_runner.plugin_adapters import LauncherAdapter

ConfigStore.instance().store(group=SlurmOptions.group, name=SlurmOptions.name, node=SlurmConf,
                             provider="hydra-runner")


class RunnerSlurmLauncher(LauncherAdapter):
    launcher_path = "hydra_runner.launchers.slurm:SlurmLauncher"
