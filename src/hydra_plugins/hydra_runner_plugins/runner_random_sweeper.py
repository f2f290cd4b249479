"""``hydra/sweeper=runner_random``: hydra-runner's random search for any ``@hydra.main`` app.

The real sweeper, :class:`hydra_runner.sweepers.RandomSweeper`, is imported only when
used. Inside the ``hydra-runner`` command the same config is also ``hydra/sweeper=random``.
"""

from dataclasses import dataclass
from typing import Dict, Optional

from hydra.core.config_store import ConfigStore

from hydra_runner.plugin_adapters import SweeperAdapter

# No `from __future__ import annotations` (see runner_pool_launcher).
TARGET = "hydra_plugins.hydra_runner_plugins.runner_random_sweeper.RunnerRandomSweeper"


@dataclass
class RunnerRandomSweeperConf:
    _target_: str = TARGET
    #: How many trials to run.
    max_iter: int = 10
    #: Seed of the draws (default: a random one, recorded so that resume draws the same).
    seed: Optional[int] = None
    maximize: bool = False
    #: The key of the value to optimise in a returned dict.
    objective: Optional[str] = None
    #: Trials running at once (at most the launcher's slots; default: all of them).
    n_jobs: Optional[int] = None
    #: The search space, as overrides by key; the command line wins.
    params: Optional[Dict[str, str]] = None


ConfigStore.instance().store(
    group="hydra/sweeper", name="runner_random", node=RunnerRandomSweeperConf, provider="hydra-runner"
)


class RunnerRandomSweeper(SweeperAdapter):
    sweeper_path = "hydra_runner.sweepers.random_search:RandomSweeper"
