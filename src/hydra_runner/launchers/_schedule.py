"""The loop a launcher runs to keep its slots busy: take jobs from a feed, collect them as they end.

A *feed* is a fixed list of jobs (a grid batch) or a sweeper that asks for its next trial
the moment a slot frees up (asynchronous search: no batch barrier). The loop owns what is
the same for every backend: the journal, retries of lost jobs, fail-fast, Ctrl-C, the
progress line and the summary of failures. A backend only says whether it can take a job,
takes one, and reports the jobs that ended (:class:`SlotBackend`).
"""

from __future__ import annotations

import signal
import sys
import threading
from abc import ABC, abstractmethod
from collections import Counter, deque
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus

from hydra_runner.errors import JobNotStarted
from hydra_runner.jobs.events import is_pruned
from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.outcome import Ended
from hydra_runner.jobs.result import JobResult
from hydra_runner.journal import Status
from hydra_runner.launchers._progress import FailedJob, Progress, format_summary

if TYPE_CHECKING:
    from hydra_runner.launchers._base import RunnerLauncher

__all__ = ["JobFeed", "JobList", "SweepTerminated", "launch_scheduled", "not_started", "run_schedule"]


class JobFeed(ABC):
    """Where a schedule's jobs come from."""

    #: How many jobs the feed expects to give, and whether larger values are better (for the progress line).
    total: int = 0
    maximize: bool = False
    #: No progress lines and no summary of failures: jobs that log as Hydra's BasicLauncher's do.
    quiet: bool = False
    #: Whether the schedule returns every job's result (a feed may keep what it needs in job_ended).
    keep_results: bool = True

    @abstractmethod
    def next_job(self) -> Optional[JobSpec]:
        """The next job to start, or None when the feed has no more jobs, ever."""

    def job_ended(self, num: int, status: Status, ret: JobReturn) -> None:
        """Called once per job, when it ended for good (after any retries)."""


class JobList(JobFeed):
    def __init__(self, jobs: Iterable[JobSpec]) -> None:
        self.jobs = deque(jobs)
        self.total = len(self.jobs)

    def next_job(self) -> Optional[JobSpec]:
        return self.jobs.popleft() if self.jobs else None


def launch_scheduled(launcher: RunnerLauncher, jobs: list[JobSpec]) -> list[JobReturn]:
    """Hydra's ``launch`` on a slot backend: ``jobs`` through :func:`run_schedule`, results in order."""
    results = run_schedule(launcher, JobList(jobs)) if jobs else {}
    return [results.get(num) or not_started(num, overrides) for num, overrides in jobs]


def not_started(num: int, overrides: Sequence[str]) -> JobReturn:
    """The result of a job fail-fast left unscheduled (it stays pending in the journal: resume runs it)."""
    return JobResult(overrides=list(overrides), status=JobStatus.FAILED,
                     _return_value=JobNotStarted(f"job #{num} was not started (--fail-fast)"))


def run_schedule(launcher: RunnerLauncher, feed: JobFeed, *, max_running: Optional[int] = None) -> dict[int, JobReturn]:
    """Run the feed's jobs on ``launcher``'s slots until the feed is done; their results by number.

    A crashed or timed-out job is run again up to ``launcher.retries`` times. A job that
    did not succeed is summarised at the end; it never stops the others unless
    ``launcher.fail_fast``. With the launcher's Ctrl-C handling, the first press stops
    scheduling, the second stops running jobs, and then KeyboardInterrupt is raised.
    """
    results: dict[int, JobReturn] = {}
    failed: list[FailedJob] = []
    overrides: dict[int, list[str]] = {}
    attempts: Counter[int] = Counter()
    retry: deque[JobSpec] = deque()
    running = 0
    stopping = exhausted = withdrawn = False
    limit = max_running or sys.maxsize
    interrupts = _InterruptCounter(enabled=launcher.counts_interrupts)
    if feed.total:
        launcher.reserve(min(feed.total, limit))

    def finish(ended: Ended, progress: Progress) -> None:
        status = Status.PRUNED if ended.status is Status.FAILED and is_pruned(ended.ret._return_value) else ended.status
        succeeded = status is Status.SUCCEEDED
        value = ended.ret._return_value if succeeded else None
        if not status.finished_well:
            failed.append(FailedJob(ended.num, overrides[ended.num], status, ended.directory, ended.error or ""))
        launcher.record_end(ended.num, status, directory=ended.directory, value=value,
                            error=None if succeeded else ended.error)
        if feed.keep_results:
            results[ended.num] = ended.ret
        # A job that ended for good needs no bookkeeping: a long sweep's memory stays flat.
        progress.finished(ended.num, status, ended.duration, value, overrides.pop(ended.num))
        attempts.pop(ended.num, None)
        feed.job_ended(ended.num, status, ended.ret)

    with interrupts, Progress(feed.total, maximize=feed.maximize, quiet=feed.quiet) as progress:
        while True:
            if interrupts.count >= 2:
                for ended in launcher.kill_running():
                    running -= 1
                    finish(ended, progress)
                break
            stopping = stopping or interrupts.count >= 1
            if stopping and not withdrawn:
                # Jobs a backend holds in a queue of its own have not started: they stay pending.
                withdrawn = True
                for num in launcher.withdraw_queued():
                    running -= 1
                    overrides.pop(num, None)
                    attempts.pop(num, None)
            while not stopping and running < limit and launcher.can_submit():
                job = retry.popleft() if retry else (None if exhausted else feed.next_job())
                if job is None:
                    exhausted = True
                    break
                num, job_overrides = job
                overrides[num] = list(job_overrides)
                attempts[num] += 1
                launcher.announce(job)
                running += 1
                launcher.submit(job)
            if running == 0 and (stopping or (exhausted and not retry)):
                break
            progress.update(running=running)
            for ended in launcher.poll(timeout=0.2 if stopping else 1.0):
                running -= 1
                if ended.status in (Status.CRASHED, Status.TIMEOUT) and attempts[ended.num] <= launcher.retries:
                    launcher.job_log.warning(f"#{ended.num} {ended.error}; retrying")
                    retry.append((ended.num, overrides[ended.num]))
                    continue
                finish(ended, progress)
                if launcher.fail_fast and ended.num in {f.num for f in failed}:
                    stopping = True
    if failed and not feed.quiet:
        print(format_summary(failed, max(feed.total, len(results))), file=sys.stderr, flush=True)
    if interrupts.count:
        interrupts.pass_on_sigterm()
        raise KeyboardInterrupt
    return results


class SweepTerminated(KeyboardInterrupt):
    """The sweep stopped because the process got SIGTERM (its running jobs are recorded as interrupted)."""


class _InterruptCounter:
    """Counts Ctrl-C presses while a schedule runs, instead of raising at an arbitrary point.

    SIGTERM (Slurm's notice before it kills a job, or preempts it) counts as a second
    press: running jobs are stopped and recorded as interrupted, and then the signal goes
    on to whatever handled it before the schedule (:meth:`pass_on_sigterm`).
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.count = 0
        self.terminated = False
        self._previous: Any = None
        self._previous_term: Any = None
        self._took_term = False

    def __enter__(self) -> _InterruptCounter:
        if self.enabled and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_signal)
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN:
                self._previous_term = signal.signal(signal.SIGTERM, self._on_sigterm)
                self._took_term = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        if self._took_term:
            # None: a handler installed from C, which Python cannot put back; SIGTERM then ends the process.
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self._previous_term is None else self._previous_term)

    def pass_on_sigterm(self) -> None:
        """After a SIGTERM, once the running jobs are stopped: end as SIGTERM ends this process.

        By default that ends it at once; where the process handles SIGTERM itself (the CLI,
        Ray's driver), the schedule raises :class:`SweepTerminated` for it to handle.
        """
        if not self.terminated:
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.raise_signal(signal.SIGTERM)
        raise SweepTerminated

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.terminated = True
        self.count = max(self.count, 2)
        print("\nTerminated: stopping running jobs (resume finishes them).", file=sys.stderr, flush=True)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1:
            print("\nInterrupted: no new jobs will start; running jobs finish (Ctrl-C again to stop them).",
                  file=sys.stderr, flush=True)
