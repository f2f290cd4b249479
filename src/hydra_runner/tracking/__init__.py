"""Tracking: every run and sweep recorded in MLflow, with no code in the task.

    _base.Tracker        what a backend does; tracker_of finds the sweep's tracker
    mlflow.MlflowTracker MLflow through its client API, with explicit run ids
    _background.InOrder  a tracker's requests, in order, on a thread of their own
    callback             the Hydra callback that turns tracking on (--mlflow, or in a config)
    params               a config flattened to MLflow params

Importing this package imports no tracking backend.
"""

from __future__ import annotations

from hydra_runner.tracking._base import INTERMEDIATE_VALUE, Tracker, tracker_of

__all__ = ["INTERMEDIATE_VALUE", "Tracker", "tracker_of"]
