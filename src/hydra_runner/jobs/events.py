"""What a running job tells the sweep: intermediate values, and whether it should stop.

Inside a job, :func:`report` sends ``(value, step)`` to whatever runs the sweep: the
launcher passes it on to the sweeper (Optuna's pruner) and returns its answer. The job
may run in this process, in a pool worker or on another machine; each launcher installs
a *channel* around the job (:func:`reporting_to`) that carries the event to the parent and
brings the answer back. Outside a sweep there is no channel and reporting does nothing.

The channel is the one piece of a run kept in module state, on purpose: the task calls
``report()`` with no handle to pass, from any of its threads, and a job's process runs
one job at a time. Only the code that runs a job sets it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any, Callable, Iterator, Optional

__all__ = ["TrialPruned", "in_launched_job", "is_pruned", "job_event", "log_metrics", "report", "reporting_to",
           "swap_channel"]

Channel = Callable[[str, Any], Any]
"""Carries one event (kind, payload) from a job to its sweep and returns the answer."""

_channel: Optional[Channel] = None
_lock = threading.Lock()


class TrialPruned(Exception):
    """Raised by :func:`report` when the sweep's pruner stops the trial; the trial ends PRUNED."""


def report(value: float, step: int, *, prune: bool = True) -> bool:
    """Record ``value`` at ``step`` for the running job; True if the sweep wants it stopped.

    With ``prune=True`` (the default) a stop is raised as :class:`TrialPruned`, which ends the
    job as a pruned trial; with ``prune=False`` the job reads the flag and stops itself.
    """
    should_prune = bool(job_event("report", {"value": float(value), "step": int(step)}))
    if should_prune and prune:
        raise TrialPruned(f"pruned at step {int(step)} (value {float(value):g})")
    return should_prune


def log_metrics(metrics: Mapping[str, float], step: Optional[int] = None) -> None:
    """Log ``metrics`` (at ``step``) to the running job's tracking run, from any process.

    Does nothing when tracking is off.
    """
    values = {str(k): float(v) for k, v in metrics.items()}
    job_event("metrics", {"metrics": values, "step": step})


def in_launched_job() -> bool:
    """Whether this code runs inside a job a hydra-runner launcher started (it tracks the job)."""
    return _channel is not None


def job_event(kind: str, payload: Any) -> Any:
    """Send an event to the sweep running this job; None when the job runs outside one."""
    channel = _channel
    if channel is None:
        return None
    # A job's threads share the job's channel; one event crosses it at a time.
    with _lock:
        return channel(kind, payload)


@contextlib.contextmanager
def reporting_to(channel: Channel) -> Iterator[None]:
    """Route the events of the job run inside this block through ``channel``."""
    previous = swap_channel(channel)
    try:
        yield
    finally:
        swap_channel(previous)


def swap_channel(channel: Optional[Channel]) -> Optional[Channel]:
    """Make ``channel`` the running job's (None: no job); returns the one it replaces.

    For code that sees a job start and end as two calls (a Hydra callback), where
    :func:`reporting_to` cannot wrap the job.
    """
    global _channel
    previous, _channel = _channel, channel
    return previous


def is_pruned(error: Any) -> bool:
    """Whether a job's exception means "pruned": ours, Optuna's, or either sent back by name."""
    if isinstance(error, TrialPruned):
        return True
    name = getattr(error, "type_name", None) or type(error).__name__
    module = type(error).__module__
    return name == "TrialPruned" and (module.startswith(("optuna", "hydra_runner")) or hasattr(error, "type_name"))
