"""``hydra/launcher=runner_ray``: hydra-runner's Ray launcher for any ``@hydra.main`` app.

Light on purpose (Hydra imports every plugin module at start-up): Ray and the real
launcher, :class:`hydra_runner.launchers.ray.tasks.RayLauncher`, load only when used.
"""

from dataclasses import dataclass, field
from typing import List, Optional

from hydra.core.config_store import ConfigStore

from hydra_runner.plugin_adapters import LauncherAdapter

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
    #: False: submit each job as a Ray job to the cluster at ``address`` (its dashboard) and return.
    wait: bool = True
    #: Names of environment variables of the submitting shell every job gets (e.g. WANDB_API_KEY).
    forward_env: List[str] = field(default_factory=list)
    #: On a cluster, send the project's directory as the jobs' working_dir (not outputs or venvs);
    #: turn off where every node sees the project at the same path already.
    ship_project: bool = True


ConfigStore.instance().store(group="hydra/launcher", name="runner_ray", node=RunnerRayLauncherConf,
                             provider="hydra-runner")


class RunnerRayLauncher(LauncherAdapter):
    launcher_path = "hydra_runner.launchers.ray.tasks:RayLauncher"
