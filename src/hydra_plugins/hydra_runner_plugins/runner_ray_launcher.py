"""``hydra/launcher=runner_ray``: hydra-runner's Ray launcher for any ``@hydra.main`` app.

Light on purpose (Hydra imports every plugin module at start-up): Ray and the real
launcher, :class:`hydra_runner.launchers.ray_tasks.RayLauncher`, load only when used.
"""

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

# No `from __future__ import annotations` (see runner_pool_launcher).
TARGET = "hydra_plugins.hydra_runner_plugins.runner_ray_launcher.RunnerRayLauncher"


@dataclass
class RunnerRayLauncherConf:
    _target_: str = TARGET
    #: None: an embedded local Ray, started for the sweep; "auto", "host:port" or "ray://host:port": a cluster.
    address: Optional[str] = None
    #: Seconds after which a job is cancelled and recorded as timed out.
    timeout: Optional[float] = None
    #: How many times a job lost with its worker or node is run again.
    retries: int = 0
    fail_fast: bool = False
    #: The config node holding each job's resources, env_vars and runtime_env.
    task_env_key: str = "task_env"
    #: Jobs submitted at once (default: all; Ray runs them as resources allow).
    max_running: Optional[int] = None


ConfigStore.instance().store(group="hydra/launcher", name="runner_ray", node=RunnerRayLauncherConf,
                             provider="hydra-runner")


class RunnerRayLauncher(Launcher):
    def __init__(self, **options: Any) -> None:
        from hydra_runner.launchers.ray_tasks import RayLauncher

        self.launcher = RayLauncher(**options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        return self.launcher.launch(job_overrides, initial_job_idx)
