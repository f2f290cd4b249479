"""Run options, each declared once: launchers' (``-j``, ``--launcher``, ``--timeout`` ...) and trackers' (``--mlflow``).

    _base      Options and option(): a dataclass field -> CLI flag, API keyword, Hydra config key
    launchers  LaunchOptions, PoolOptions, RayOptions, SlurmOptions; choose_launcher()
    tracking   MlflowOptions; choose_trackers()

Light to import (no Hydra, no click): the CLI's flags and Hydra's plugin scan read it.
"""

from __future__ import annotations

from hydra_runner.options._base import Options, option
from hydra_runner.options.launchers import (
    LAUNCHERS,
    LaunchOptions,
    PoolOptions,
    RayOptions,
    SlurmOptions,
    choose_launcher,
)
from hydra_runner.options.tracking import (
    TRACKERS,
    MlflowOptions,
    TrackingOptions,
    choose_trackers,
)

__all__ = [
    "LAUNCHERS",
    "TRACKERS",
    "LaunchOptions",
    "MlflowOptions",
    "Options",
    "PoolOptions",
    "RayOptions",
    "SlurmOptions",
    "TrackingOptions",
    "choose_launcher",
    "choose_trackers",
    "option",
]
