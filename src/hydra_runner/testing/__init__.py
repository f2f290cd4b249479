"""Tests a backend must pass, for hydra-runner's own backends and yours (see :mod:`.contract`).

Needs pytest; the MLflow case needs mlflow and the pruning case optuna.
"""

from hydra_runner.testing.backends import (
    BACKENDS,
    IN_PROCESS,
    POOL,
    RAY,
    SLURM,
    Backend,
    backend_param,
    with_env,
)
from hydra_runner.testing.contract import BackendContract

__all__ = ["BACKENDS", "IN_PROCESS", "POOL", "RAY", "SLURM", "Backend", "BackendContract", "backend_param",
           "with_env"]
