"""``hydra/launcher=runner_pool``: hydra-runner's process pool for any ``@hydra.main`` app.

Hydra imports every module under ``hydra_plugins`` at start-up, so this adapter stays
light: it registers the config and builds the real launcher,
:class:`hydra_runner.launchers.pool.ProcessPoolLauncher`, only when it is used.
"""

from dataclasses import dataclass
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

from hydra_runner.plugin_adapters import LauncherAdapter

# No `from __future__ import annotations`: Hydra executes plugin modules without registering
# them in sys.modules, where dataclasses look string annotations up.
TARGET = "hydra_plugins.hydra_runner_plugins.runner_pool_launcher.RunnerPoolLauncher"


@dataclass
class RunnerPoolLauncherConf:
    _target_: str = TARGET
    #: Parallel jobs: a number, or "auto" for as many as the CPU/GPU slots allow.
    n_jobs: Any = "auto"
    #: GPUs to use ("0,1,3"); default: CUDA_VISIBLE_DEVICES, else nvidia-smi, else none.
    gpus: Optional[str] = None
    #: GPUs and CPU cores each job needs; default: the config's task_env resources, else 0 and 1.
    gpus_per_job: Optional[int] = None
    cpus_per_job: Optional[int] = None
    #: Seconds after which a job is killed and recorded as timed out.
    timeout: Optional[float] = None
    #: How many times a crashed or timed-out job is run again.
    retries: int = 0
    fail_fast: bool = False
    #: Also print each job's output, prefixed with its number.
    stream: bool = False


ConfigStore.instance().store(
    group="hydra/launcher", name="runner_pool", node=RunnerPoolLauncherConf, provider="hydra-runner"
)


class RunnerPoolLauncher(LauncherAdapter):
    launcher_path = "hydra_runner.launchers.pool:ProcessPoolLauncher"
