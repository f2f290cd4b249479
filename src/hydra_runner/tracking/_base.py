"""What a tracking backend does, and which tracker is active in this process.

A tracker is driven from the process that schedules a sweep: the launcher tells it when
a job starts and ends and passes on the metrics a job reports, so a backend never relies
on a per-thread or per-process "active run" and works the same for every launcher.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional, Sequence

__all__ = ["Tracker", "activate", "active", "current_job", "deactivate", "set_current_job"]


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

    @abstractmethod
    def end_sweep(self, *, status: str, metrics: dict[str, float], params: dict[str, str],
                  artifacts: list[str]) -> None:
        """Close the parent record with the sweep's summary."""


_active: Optional[Tracker] = None
# The job this process is running, when jobs run here without a hydra-runner launcher.
_current_job: Optional[int] = None


def activate(tracker: Tracker) -> None:
    global _active
    _active = tracker


def deactivate() -> None:
    global _active
    _active = None


def active() -> Optional[Tracker]:
    """The tracker of the sweep (or run) this process is scheduling, if tracking is on."""
    return _active


def set_current_job(num: Optional[int]) -> None:
    global _current_job
    _current_job = num


def current_job() -> Optional[int]:
    return _current_job
