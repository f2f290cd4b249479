"""Tracking backends' options: ``--mlflow`` and its settings, declared once.

Tracking is a Hydra callback, so a config can switch it on as well as a flag: the flag's
overrides add the callback to ``hydra.callbacks``, and the callback is built from the
same fields (:meth:`Options.from_config`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional

from hydra_runner.errors import UsageError
from hydra_runner.options._base import Options, option

__all__ = ["TRACKERS", "MlflowOptions", "TrackingOptions", "choose_trackers"]


@dataclass
class TrackingOptions(Options):
    """Options of a tracking callback; ``switch`` is the flag (and keyword) that turns it on."""

    switch: ClassVar[str] = ""
    switch_help: ClassVar[str] = ""

    def override_prefix(self) -> str:
        return f"hydra.callbacks.{self.switch}"

    def overrides(self) -> list[str]:
        # ++: the callback may be in the config already; then the flags' values win.
        prefix = self.override_prefix()
        return [f"++{prefix}._target_={self.target}", *("++" + arg for arg in super().overrides())]


@dataclass
class MlflowOptions(TrackingOptions):
    switch = "mlflow"
    switch_help = "Record the run (a sweep: a parent run, a nested run per job) in MLflow."
    target = "hydra_runner.tracking.callback.MlflowCallback"

    experiment: Optional[str] = option(None, help="MLflow experiment (default: the task's name).",
                                       flags=("--mlflow-experiment",), metavar="NAME")
    tracking_uri: Optional[str] = option(None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else "
                                         "sqlite:///mlflow.db at the project root).", flags=("--mlflow-uri",),
                                         metavar="URI")


TRACKERS: dict[str, type[TrackingOptions]] = {"mlflow": MlflowOptions}


def choose_trackers(given: Mapping[str, Any]) -> list[TrackingOptions]:
    """The trackers that flags (or API keywords) switch on, each with its settings."""
    chosen = []
    for switch, cls in TRACKERS.items():
        settings = {key: given[key] for key in cls.keywords() if given.get(key) is not None}
        if given.get(switch):
            chosen.append(cls.from_keywords(settings))
        elif settings:
            flags = " and ".join(spec.info.long_flag(spec.name) for spec in cls.fields() if spec.keyword in settings)
            raise UsageError(f"{flags} configure --{switch}", fix=f"add --{switch}")
    return chosen
