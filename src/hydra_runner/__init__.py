"""hydra-runner: run, sweep and track Hydra apps from one fast CLI and Python API.

Names are imported on first use, so ``import hydra_runner`` (and the CLI's start-up)
does not pay for Hydra until it is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "HydraRunnerError",
    "JobResult",
    "SearchResult",
    "SweepResult",
    "TargetError",
    "TrialPruned",
    "UsageError",
    "__version__",
    "apply_task_env",
    "compose",
    "hydra_multirun",
    "hydra_run",
    "hydra_sweep",
    "log_metrics",
    "on_requeue",
    "report",
    "restarts",
]

_LOCATIONS = {
    "compose": "hydra_runner.composition.notebook",
    "hydra_multirun": "hydra_runner.api",
    "hydra_run": "hydra_runner.api",
    "hydra_sweep": "hydra_runner.api",
    "report": "hydra_runner.jobs.events",
    "apply_task_env": "hydra_runner.launchers.ray.resources",
    "log_metrics": "hydra_runner.jobs.events",
    "on_requeue": "hydra_runner.jobs.checkpoint",
    "restarts": "hydra_runner.jobs.checkpoint",
    "TrialPruned": "hydra_runner.jobs.events",
    "JobResult": "hydra_runner.jobs.result",
    "SearchResult": "hydra_runner.sweepers._search",
    "SweepResult": "hydra_runner.jobs.result",
    "ConfigError": "hydra_runner.errors",
    "HydraRunnerError": "hydra_runner.errors",
    "TargetError": "hydra_runner.errors",
    "UsageError": "hydra_runner.errors",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'hydra_runner' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
