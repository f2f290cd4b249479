"""``hydra/launcher=runner_ray``: hydra-runner's Ray launcher for any ``@hydra.main`` app.

Light on purpose (Hydra imports every plugin module at start-up): the config node is made
from :class:`hydra_runner.options.launchers.RayOptions`, and Ray and the real launcher,
:class:`hydra_runner.launchers.ray.tasks.RayLauncher`, load only when used.
"""

from hydra.core.config_store import ConfigStore

from hydra_runner.options.launchers import RayConf, RayOptions
from hydra_runner.plugin_adapters import LauncherAdapter

ConfigStore.instance().store(group=RayOptions.group, name=RayOptions.name, node=RayConf,
                             provider="hydra-runner")


class RunnerRayLauncher(LauncherAdapter):
    launcher_path = "hydra_runner.launchers.ray.tasks:RayLauncher"
