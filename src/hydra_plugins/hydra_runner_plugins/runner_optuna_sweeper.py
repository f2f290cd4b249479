"""``hydra/sweeper=runner_optuna``: hydra-runner's Optuna sweeper for any ``@hydra.main`` app.

The config takes hydra-optuna-sweeper's fields, so a config written for it moves over by
renaming the sweeper; samplers (``hydra/sweeper/sampler=tpe|random|cmaes|nsgaii|qmc|gp``)
and pruners (``hydra/sweeper/pruner=median|percentile|successive_halving|hyperband|nop``)
are config groups. The real sweeper, :class:`hydra_runner.sweepers.OptunaSweeper`, is
imported only when used. Inside the ``hydra-runner`` command the same config is also
``hydra/sweeper=optuna``.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from hydra_runner.plugin_adapters import SweeperAdapter

# No `from __future__ import annotations`: Hydra executes plugin modules without registering
# them in sys.modules, where dataclasses look string annotations up.
TARGET = "hydra_plugins.hydra_runner_plugins.runner_optuna_sweeper.RunnerOptunaSweeper"


@dataclass
class TPESamplerConf:
    _target_: str = "optuna.samplers.TPESampler"
    seed: Optional[int] = None
    n_startup_trials: int = 10
    multivariate: bool = False
    constant_liar: bool = False


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: Optional[int] = None


@dataclass
class CmaEsSamplerConf:
    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: Optional[int] = None
    sigma0: Optional[float] = None
    n_startup_trials: int = 1


@dataclass
class NSGAIISamplerConf:
    _target_: str = "optuna.samplers.NSGAIISampler"
    seed: Optional[int] = None
    population_size: int = 50


@dataclass
class QMCSamplerConf:
    _target_: str = "optuna.samplers.QMCSampler"
    seed: Optional[int] = None
    qmc_type: str = "sobol"


@dataclass
class GPSamplerConf:
    _target_: str = "optuna.samplers.GPSampler"
    seed: Optional[int] = None


@dataclass
class MedianPrunerConf:
    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1


@dataclass
class PercentilePrunerConf:
    _target_: str = "optuna.pruners.PercentilePruner"
    percentile: float = 25.0
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1


@dataclass
class SuccessiveHalvingPrunerConf:
    _target_: str = "optuna.pruners.SuccessiveHalvingPruner"
    min_resource: Any = "auto"
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0


@dataclass
class HyperbandPrunerConf:
    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"
    reduction_factor: int = 3


@dataclass
class NopPrunerConf:
    _target_: str = "optuna.pruners.NopPruner"


@dataclass
class RunnerOptunaSweeperConf:
    _target_: str = TARGET
    defaults: List[Any] = field(default_factory=lambda: [{"sampler": "tpe"}])
    #: An Optuna sampler (``_target_`` and its arguments), chosen with hydra/sweeper/sampler=NAME.
    sampler: Any = MISSING
    #: "minimize", "maximize", or a list of them for a multi-objective study.
    direction: Any = "minimize"
    study_name: Optional[str] = None
    #: Any Optuna storage URL, or a file path for an Optuna journal file; default: a journal in the sweep dir.
    storage: Optional[Any] = None
    n_trials: int = 20
    #: Trials running at once (at most the launcher's slots; default: all of them).
    n_jobs: Optional[int] = None
    #: Seconds after which no new trial starts.
    timeout: Optional[float] = None
    #: An Optuna pruner (``_target_`` and its arguments); default: no pruning.
    pruner: Any = None
    #: The key (or keys, one per direction) of the value to optimise in a returned dict.
    objective: Any = None
    #: Trials to run first, each a dict of param name to value.
    enqueue: Optional[List[Dict[str, Any]]] = None
    #: The search space, as overrides by key (``lr: interval(1e-4, 1e-1)``); the command line wins.
    params: Optional[Dict[str, str]] = None
    #: A function ``(cfg, trial) -> None`` suggesting more params with Optuna's define-by-run API.
    custom_search_space: Optional[str] = None
    #: Accepted for hydra-optuna-sweeper configs; ignored (a failed trial never stops the study).
    max_failure_rate: Optional[float] = None


_store = ConfigStore.instance()
for _name, _node in [("tpe", TPESamplerConf), ("random", RandomSamplerConf), ("cmaes", CmaEsSamplerConf),
                     ("nsgaii", NSGAIISamplerConf), ("qmc", QMCSamplerConf), ("gp", GPSamplerConf)]:
    _store.store(group="hydra/sweeper/sampler", name=_name, node=_node, provider="hydra-runner")
for _name, _node in [("median", MedianPrunerConf), ("percentile", PercentilePrunerConf),
                     ("successive_halving", SuccessiveHalvingPrunerConf), ("hyperband", HyperbandPrunerConf),
                     ("nop", NopPrunerConf)]:
    _store.store(group="hydra/sweeper/pruner", name=_name, node=_node, provider="hydra-runner")
_store.store(group="hydra/sweeper", name="runner_optuna", node=RunnerOptunaSweeperConf, provider="hydra-runner")


class RunnerOptunaSweeper(SweeperAdapter):
    sweeper_path = "hydra_runner.sweepers.optuna_search:OptunaSweeper"
