"""What the pool's parent and a worker send each other over their pipes, one type per kind of message.

After the :class:`~hydra_runner.jobs.runner.Bootstrap` and the pickled
:class:`~hydra_runner.jobs.runner.WorkerSetup`, the parent sends :class:`RunJob`,
:class:`Template` and :class:`Stop`; a worker sends :class:`Ready` (or :class:`SetupFailed`),
then per job :class:`Started`, any number of :class:`Event` (each answered with
:class:`Answer`) and :class:`Done`.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence

from hydra_runner.jobs.outcome import JobOutcome

__all__ = ["Answer", "Done", "Event", "Ready", "RunJob", "SetupFailed", "Started", "Stop", "Template"]


# -- parent to worker -------------------------------------------------------------------------------


class RunJob(NamedTuple):
    num: int
    overrides: Sequence[str]
    #: The job's template, pickled, when this worker does not have it yet.
    template: Optional[bytes]
    #: Hydra's parse of the overrides, pickled, when the parent made it already.
    parsed: Optional[bytes]


class Template(NamedTuple):
    """The template of jobs to come, for an idle worker to prepare."""

    data: bytes


class Stop(NamedTuple):
    pass


class Answer(NamedTuple):
    """The parent's answer to an :class:`Event`; ``error`` when handling it failed."""

    value: Any
    error: Optional[str] = None


# -- worker to parent -------------------------------------------------------------------------------


class Ready(NamedTuple):
    pid: int


class SetupFailed(NamedTuple):
    traceback: str
    #: A name the task needs from ``__main__`` that the worker did not find there.
    missing_from_main: Optional[str]


class Started(NamedTuple):
    num: int
    output_dir: str


class Event(NamedTuple):
    """``hydra_runner.report`` and the like from a running job; the job waits for the :class:`Answer`."""

    kind: str
    payload: Any


class Done(NamedTuple):
    outcome: JobOutcome
