"""What a tracking backend does, and how a launcher finds the sweep's tracker.

A tracker is driven from the process that schedules a sweep: the launcher tells it when
a job starts and ends and passes on the metrics a job reports, so a backend never relies
on a per-thread or per-process "active run" and works the same for every launcher.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional, Sequence

__all__ = ["INTERMEDIATE_VALUE", "Tracker", "tracker_of"]

#: The metric ``hydra_runner.report(value, step)`` logs (the job's return value is ``value``).
INTERMEDIATE_VALUE = "intermediate_value"


class Tracker(ABC):
    """Records one sweep (a parent) and its jobs (children), or a single run."""

    @abstractmethod
    def start_sweep(self, *, name: str, tags: dict[str, str], key: str) -> None:
        """Open the sweep's parent record; ``key`` finds it again when the sweep is resumed."""

    @abstractmethod
    def start_job(self, num: Optional[int], *, overrides: Sequence[str], config: Any) -> None:
        """Open job ``num``'s record (None: a single run, not part of a sweep) from its task config."""

    @abstractmethod
    def log_metrics(self, num: Optional[int], metrics: dict[str, float], step: Optional[int] = None) -> None:
        """Add metrics to job ``num``'s record."""

    @abstractmethod
    def end_job(self, num: Optional[int], *, status: str, value: Any = None, error: Optional[str] = None,
                directory: Optional[str] = None) -> None:
        """Close job ``num``'s record: its status (a journal status), value, error and files."""

    def log_event(self, num: Optional[int], kind: str, payload: Any) -> None:
        """A job's event (``log_metrics``, ``report``) as metrics of its record; other kinds are not tracked."""
        if kind == "metrics":
            self.log_metrics(num, payload["metrics"], payload.get("step"))
        elif kind == "report":
            self.log_metrics(num, {INTERMEDIATE_VALUE: payload["value"]}, payload.get("step"))

    @abstractmethod
    def end_sweep(self, *, status: str, metrics: dict[str, float], params: dict[str, str],
                  artifacts: list[str]) -> None:
        """Close the parent record with the sweep's summary."""


def tracker_of(callbacks: Any) -> Optional[Tracker]:
    """The tracker a tracking callback among Hydra's ``callbacks`` opened for the sweep, if any.

    The callback opens it in ``on_multirun_start``, before Hydra builds the sweeper and its
    launcher; the launcher asks here, at its set-up, and drives it from then on.
    """
    from hydra_runner import _compat

    for callback in _compat.callback_objects(callbacks):
        tracker = getattr(callback, "sweep_tracker", None)
        if isinstance(tracker, Tracker):
            return tracker
    return None
