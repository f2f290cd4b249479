"""What every hydra-runner launcher shares; backends implement :meth:`RunnerLauncher._launch`.

The base class keeps the sweep journal: jobs are recorded when launched, each backend
reports when a job starts and ends, and when a sweep is resumed the jobs that already
succeeded are answered from the journal instead of being run again.

Besides Hydra's batch API (``launch``), a launcher runs a *feed* of jobs as slots free up
(:meth:`RunnerLauncher.run_feed`, used by the asynchronous sweepers) through three slot
methods: :meth:`~RunnerLauncher.can_submit`, :meth:`~RunnerLauncher.submit` and
:meth:`~RunnerLauncher.poll`. Jobs talk back to the sweep (``hydra_runner.report``)
through :meth:`~RunnerLauncher.job_event`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Callable, Optional, Sequence

from hydra.core.utils import JobReturn, configure_log, filter_overrides
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner import _compat
from hydra_runner.composition.job import ComposedJob
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.jobs.model import JobSpec, Status
from hydra_runner.jobs.outcome import Ended, outcome_of
from hydra_runner.journal.recorder import SweepRecorder
from hydra_runner.journal.sqlite import SweepJournal
from hydra_runner.launchers._schedule import JobFeed, run_schedule
from hydra_runner.run_context import RunContext
from hydra_runner.tracking import Tracker, tracker_of

__all__ = ["RunnerLauncher"]


# Job announcements are logged under BasicLauncher's logger name, because the in-process
# launcher stands in for it and log formats that show %(name)s must read the same.
_BASIC_LAUNCHER_LOG = logging.getLogger("hydra._internal.core_plugins.basic_launcher")

class RunnerLauncher(Launcher, ABC):
    """A Hydra ``Launcher`` whose jobs are composed by the template-caching loader.

    Inside a plain ``@hydra.main`` app the context's loader is Hydra's own; the launcher
    then builds a caching loader over the same search path, so composition is fast there too.
    """

    #: The logger announcing launches and jobs.
    job_log = _BASIC_LAUNCHER_LOG

    #: Whether a failed job leaves the launcher able to go on (then a sweep does not stop).
    isolates_failures = False

    #: Whether tasks run in processes of their own, never in the one that launches them.
    runs_tasks_elsewhere = False

    #: Keep resources (worker processes) between launches; the sweeper sets this.
    keep_workers = False

    #: Whether Ctrl-C is counted (first: stop scheduling, second: stop jobs) instead of raised.
    counts_interrupts = False

    #: How often a crashed or timed-out job is run again; whether the first failure stops the sweep.
    retries = 0
    fail_fast = False

    def close(self) -> None:
        """Release what the launcher holds between launches (the journal's lock, workers)."""
        self.recorder.close()

    def __init__(self) -> None:
        super().__init__()
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None
        self.loader: Optional[CachingConfigLoader] = None
        #: What the run asked for; the sweeper hands it over (:meth:`use_run`), else a run of its own.
        self.run = RunContext()
        self.recorder = SweepRecorder(self.run, type(self).__name__)
        #: The sweep's tracker, when a tracking callback is configured (found at setup).
        self.tracker: Optional[Tracker] = None
        #: Handlers of the events jobs send (``report``, ...), by kind; each gets (job number, payload).
        self.event_handlers: dict[str, Callable[[int, Any], Any]] = {}

    def use_run(self, run: RunContext) -> None:
        """Run this launcher's jobs as part of ``run`` (its head start, its command)."""
        self.run = run
        self.recorder = SweepRecorder(run, type(self).__name__)

    @property
    def journal(self) -> Optional[SweepJournal]:
        return self.recorder.journal

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        self.tracker = tracker_of(hydra_context.callbacks)
        loader = hydra_context.config_loader
        if not isinstance(loader, CachingConfigLoader):
            loader = CachingConfigLoader(config_search_path=loader.get_search_path())
        self.loader = loader

    # -- Hydra's Launcher API -------------------------------------------------------------

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        assert self.config is not None, "setup() must be called before launch()"
        _compat.setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        jobs = [JobSpec(initial_job_idx + i, list(overrides)) for i, overrides in enumerate(job_overrides)]
        self.open_journal()
        done = self.recorder.enter(jobs)
        todo = [job for job in jobs if job[0] not in done]
        self.job_log.info(f"Launching {len(todo)} job{'' if len(todo) == 1 else 's'} {self.where(len(todo))}")
        try:
            ran = dict(zip((num for num, _ in todo), self._launch(todo)))
        except KeyboardInterrupt:
            self.close()  # interrupted: nothing more runs, whatever the sweeper planned
            raise
        finally:
            assert self.loader is not None
            self.loader.forget_validated()
            if not self.keep_workers:
                self.close()
        return [done[num] if num in done else ran[num] for num, _ in jobs]

    def run_feed(self, feed: JobFeed, *, max_running: Optional[int] = None) -> dict[int, JobReturn]:
        """Run jobs from ``feed`` as slots free up, until it has no more; their results by number.

        The feed enters its jobs in the journal (:meth:`open_journal`) before giving them.
        """
        assert self.config is not None and self.loader is not None, "setup() must be called before run_feed()"
        _compat.setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        try:
            return run_schedule(self, feed, max_running=max_running)
        except KeyboardInterrupt:
            self.close()
            raise
        finally:
            self.loader.forget_validated()
            if not self.keep_workers:
                self.close()

    def job_event(self, num: int, kind: str, payload: Any) -> Any:
        """Answer an event job ``num`` sent (``hydra_runner.report``); None when nobody listens.

        Metrics and reported values also go to the tracker, when tracking is on.
        """
        if self.tracker is not None:
            self.tracker.log_event(num, kind, payload)
        handler = self.event_handlers.get(kind)
        return handler(num, payload) if handler is not None else None

    # -- slots, for run_feed ---------------------------------------------------------------

    def runs_feeds(self) -> bool:
        """Whether :meth:`run_feed` works here (a grid sweep then streams its jobs through it)."""
        return type(self).can_submit is not RunnerLauncher.can_submit

    def slot_count(self) -> int:
        """How many jobs this launcher runs at once."""
        return 1

    def can_submit(self) -> bool:
        """Whether a slot is free for :meth:`submit` now."""
        raise NotImplementedError(f"{type(self).__name__} does not run jobs as slots free up")

    def submit(self, job: JobSpec) -> None:
        """Start ``job`` in a free slot (and record its start in the journal)."""
        raise NotImplementedError(f"{type(self).__name__} does not run jobs as slots free up")

    def poll(self, timeout: float) -> list[Ended]:
        """Wait up to ``timeout`` seconds for running jobs to end; those that did."""
        raise NotImplementedError(f"{type(self).__name__} does not run jobs as slots free up")

    def kill_running(self) -> list[Ended]:
        """Stop every running job now (second Ctrl-C)."""
        return []

    def withdraw_queued(self) -> list[int]:
        """The sweep stops (Ctrl-C, --fail-fast): take back the submitted jobs that have not started.

        For a backend whose jobs wait in a queue of their own (Slurm's); they stay pending in
        the journal and ``resume`` runs them. Returns their numbers; by default none.
        """
        return []

    def reserve(self, n_jobs: int) -> None:
        """``n_jobs`` jobs are about to run: hold the slots for that many and no more. By default, nothing."""

    def expect(self, overrides: Sequence[str]) -> None:
        """Jobs much like ``overrides`` are coming: prepare for them where that costs the caller nothing.

        A hint for slots that would otherwise wait idle (the pool composes the template these
        jobs share and sends it to its workers while the sweeper opens its study). By default,
        nothing.
        """

    # -- for backends ----------------------------------------------------------------------

    def where(self, n_jobs: int) -> str:
        """How the launch is described in the log line Hydra prints ("locally" for Hydra's own)."""
        return "locally"

    def announce(self, job: JobSpec) -> None:
        num, overrides = job
        self.job_log.info(f"\t#{num} : {' '.join(filter_overrides(overrides))}")

    def compose(self, job: JobSpec) -> ComposedJob:
        assert self.loader is not None and self.config is not None
        num, overrides = job
        return self.loader.compose_job(self.config, list(overrides), job_num=num)

    def open_journal(self) -> Optional[SweepJournal]:
        """The journal in this sweep's dir (see :class:`~hydra_runner.journal.recorder.SweepRecorder`)."""
        assert self.config is not None
        return self.recorder.open(self.config)

    @property
    def resuming(self) -> bool:
        """Whether this sweep continues one the journal recorded (``hydra-runner resume``)."""
        return self.recorder.resuming

    def record_start(self, job: JobSpec, *, worker: Optional[str] = None, slot: Optional[str] = None,
                     composed: Optional[ComposedJob] = None) -> None:
        """A job starts: in the journal, and in the tracker (with its config as params)."""
        self.recorder.started(job, worker=worker, slot=slot)
        if self.tracker is not None:
            self.tracker.start_job(job[0], overrides=job[1], config=(composed or self.compose(job)).task_config())

    def record_end(self, num: int, status: Status, *, directory: Optional[str], value: Any = None,
                   error: Optional[str] = None) -> None:
        self.recorder.ended(num, status, directory=directory, value=value, error=error)
        if self.tracker is not None:
            self.tracker.end_job(num, status=status.value, value=value, error=error, directory=directory)

    def record_return(self, num: int, ret: JobReturn, directory: Optional[str]) -> None:
        """Record a finished job from its ``JobReturn``."""
        status, error = outcome_of(ret)
        self.record_end(num, status, directory=directory, value=ret._return_value if error is None else None,
                        error=error)

    @abstractmethod
    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        """Run ``jobs`` and return their results in the same order."""
