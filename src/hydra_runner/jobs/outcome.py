"""How a job ended: as its process tells it (:class:`JobOutcome`) and as a backend reports it (:class:`Ended`).

A job that ran in another process sends back a :class:`JobOutcome` (plain, picklable); a
backend turns it, or the loss of the process, into an :class:`Ended` for the schedule,
which carries Hydra's ``JobReturn`` on to the sweeper.
"""

from __future__ import annotations

import pickle
import traceback
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus

from hydra_runner import _compat
from hydra_runner.errors import JobCrashed, JobInterrupted, JobTimedOut
from hydra_runner.jobs.events import is_pruned
from hydra_runner.jobs.model import Status
from hydra_runner.jobs.result import JobResult

__all__ = ["Ended", "JobOutcome", "RemoteError", "ended_job", "outcome_of", "outcome_report"]


class RemoteError(Exception):
    """A job's exception that could not be sent back as itself."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


@dataclass
class JobOutcome:
    num: int
    completed: bool
    return_value: Any = None
    #: The exception, pickled when it pickles, else a RemoteError naming it.
    exception: Optional[BaseException] = None
    traceback: Optional[str] = None
    task_name: Optional[str] = None
    working_dir: Optional[str] = None
    output_dir: Optional[str] = None
    #: Hydra 1.4's pickling form of the exception's traceback (see _compat.keep_remote_traceback).
    remote_traceback: Optional[dict[str, Any]] = None

    @classmethod
    def failed(cls, num: int, exc: BaseException, **fields: Any) -> JobOutcome:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(num=num, completed=False, exception=_sendable(exc), traceback=text, **fields)

    def value_not_sendable(self, error: Exception) -> JobOutcome:
        """This outcome as a failure: its return value could not be pickled."""
        err = RemoteError(
            type(error).__name__,
            f"the job's return value ({type(self.return_value).__name__}) cannot be sent back: {error}",
        )
        return JobOutcome(
            num=self.num,
            completed=False,
            exception=err,
            traceback=str(err),
            task_name=self.task_name,
            working_dir=self.working_dir,
            output_dir=self.output_dir,
        )


def outcome_report(outcome: JobOutcome) -> dict[str, Any]:
    """The outcome as JSON-able data, for a job whose launcher reads it later (a cluster's job).

    The value as JSON where it is, else its repr; the error as its traceback.
    """
    import json

    from hydra_runner.journal.sqlite import encode_value

    value_json, _ = encode_value(outcome.return_value) if outcome.completed else (None, None)
    return {
        "completed": outcome.completed,
        "value": json.loads(value_json) if value_json is not None else (
            None if outcome.return_value is None else repr(outcome.return_value)),
        "error": outcome.traceback,
        "output_dir": outcome.output_dir,
    }


def _sendable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RemoteError(type(exc).__name__, str(exc))


@dataclass
class Ended:
    """A job that ended, as a backend reports it."""

    num: int
    status: Status
    ret: JobReturn
    duration: float
    directory: Optional[str]
    #: For a job that did not succeed: its traceback, or what happened to its process.
    error: Optional[str] = None


_LOST = {Status.CRASHED: JobCrashed, Status.TIMEOUT: JobTimedOut, Status.INTERRUPTED: JobInterrupted}


def ended_job(num: int, overrides: Sequence[str], status: Status, duration: float, directory: Optional[str],
              outcome: Any = None, message: str = "") -> Ended:
    """A job that ran in another process: from its ``JobOutcome``, or, lost without one, from ``message``."""
    ret = JobResult(overrides=list(overrides), status=JobStatus.FAILED)
    if outcome is not None:
        ret.task_name, ret.working_dir = outcome.task_name, outcome.working_dir
        if outcome.completed:
            ret.status, ret.return_value = JobStatus.COMPLETED, outcome.return_value
        else:
            ret.return_value = outcome.exception
            _compat.set_remote_traceback(ret, outcome.remote_traceback)
    else:
        ret.return_value = _LOST[status](f"job #{num}: {message}")
    error = None
    if status is not Status.SUCCEEDED:
        error = (outcome.traceback if outcome is not None else None) or message
    return Ended(num, status, ret, duration, directory, error)


def outcome_of(ret: JobReturn) -> tuple[Status, Optional[str]]:
    """A finished job's journal status and, unless it succeeded, its traceback."""
    if ret.status == JobStatus.COMPLETED:
        return Status.SUCCEEDED, None
    exc = ret._return_value
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc is not None else None
    return (Status.PRUNED if is_pruned(exc) else Status.FAILED), text
