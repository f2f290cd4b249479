"""Runs jobs one after another in this process: Hydra's BasicLauncher, without its overhead."""

from __future__ import annotations

import functools
import time
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn

from hydra_runner.jobs.events import reporting_to
from hydra_runner.jobs.execute import reapply_logging, resolved_logging, run_sweep_job
from hydra_runner.jobs.model import JobSpec, Status
from hydra_runner.jobs.outcome import Ended, outcome_of
from hydra_runner.launchers._base import RunnerLauncher

__all__ = ["InProcessLauncher"]


class InProcessLauncher(RunnerLauncher):
    """The default launcher: same semantics as Hydra's ``BasicLauncher``.

    As a slot backend (asynchronous sweepers) it has one slot: :meth:`submit` runs the job
    to its end before returning, and :meth:`poll` hands back how it ended.
    """

    def __init__(self) -> None:
        super().__init__()
        self._ended: list[Ended] = []
        self._hydra_logging: Optional[Any] = None

    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        results: list[JobReturn] = []
        for job in jobs:
            self.announce(job)
            ret, directory = self._run(job)
            self.record_return(job[0], ret, directory)
            results.append(ret)
        return results

    def _run(self, job: JobSpec) -> tuple[JobReturn, str]:
        assert self.config is not None and self.task_function is not None and self.hydra_context is not None
        if self._hydra_logging is None:
            self._hydra_logging = resolved_logging(self.config.hydra.hydra_logging)
        composed = self.compose(job)
        self.record_start(job, composed=composed)
        try:
            with reporting_to(functools.partial(self.job_event, job[0])):
                ret = run_sweep_job(composed, task_function=self.task_function, hydra_context=self.hydra_context)
        except KeyboardInterrupt:
            # Ctrl-C reached the task itself: the job ends here, and the journal must not
            # keep it running (as the pool and Ray record the jobs they stop).
            self.record_end(job[0], Status.INTERRUPTED, directory=composed.output_dir, error="interrupted")
            raise
        reapply_logging(self._hydra_logging, self.config.hydra.verbose)
        return ret, composed.output_dir

    # -- one slot -----------------------------------------------------------------------------

    def can_submit(self) -> bool:
        return not self._ended

    def submit(self, job: JobSpec) -> None:
        start = time.monotonic()
        ret, directory = self._run(job)
        status, error = outcome_of(ret)
        self._ended.append(Ended(job[0], status, ret, time.monotonic() - start, directory, error))

    def poll(self, timeout: float) -> list[Ended]:
        ended, self._ended = self._ended, []
        return ended
