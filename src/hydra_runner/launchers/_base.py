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
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner import _compat, tracking
from hydra_runner.composition.job import ComposedJob
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.outcome import Ended, outcome_of
from hydra_runner.jobs.result import JobResult
from hydra_runner.journal import (
    JOURNAL_FILE,
    Status,
    SweepBusy,
    SweepJournal,
    describe_sweep,
    register_sweep,
)
from hydra_runner.journal.resume import resuming
from hydra_runner.launchers._schedule import JobFeed, run_schedule

__all__ = ["RunnerLauncher"]


# Job announcements are logged under BasicLauncher's logger name, because the in-process
# launcher stands in for it and log formats that show %(name)s must read the same.
_BASIC_LAUNCHER_LOG = logging.getLogger("hydra._internal.core_plugins.basic_launcher")

#: The metric ``hydra_runner.report(value, step)`` logs (the job's return value is ``value``).
INTERMEDIATE_VALUE = "intermediate_value"

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
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def __init__(self) -> None:
        super().__init__()
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None
        self.loader: Optional[CachingConfigLoader] = None
        self.journal: Optional[SweepJournal] = None
        # Sweep dirs this launcher already started a journal in (a reopened one is not reset).
        self._journal_dirs: set[Path] = set()
        #: Handlers of the events jobs send (``report``, ...), by kind; each gets (job number, payload).
        self.event_handlers: dict[str, Callable[[int, Any], Any]] = {}

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        loader = hydra_context.config_loader
        if not isinstance(loader, CachingConfigLoader):
            loader = CachingConfigLoader(config_search_path=loader.get_search_path())
        self.loader = loader

    # -- Hydra's Launcher API -------------------------------------------------------------

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        assert self.config is not None, "setup() must be called before launch()"
        _compat.setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        jobs = [(initial_job_idx + i, list(overrides)) for i, overrides in enumerate(job_overrides)]
        journal = self.open_journal()
        if journal is not None:
            journal.add_jobs(jobs)
        done = self._already_succeeded(jobs) if journal is not None and resuming(journal.sweep_dir) else {}
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
        tracker = tracking.active()
        if tracker is not None and kind in ("metrics", "report"):
            metrics = payload["metrics"] if kind == "metrics" else {INTERMEDIATE_VALUE: payload["value"]}
            tracker.log_metrics(num, metrics, payload.get("step"))
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
        """The journal in this sweep's dir, created (and listed in the project) on first use.

        None for a sweep started from inside a job of a sweep using the same dir: that
        journal is the outer sweep's, and the inner sweep is not recorded.
        """
        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir)).absolute()
        if self.journal is not None and self.journal.sweep_dir == sweep_dir:
            return self.journal
        existed = (sweep_dir / JOURNAL_FILE).exists()
        first_open = sweep_dir not in self._journal_dirs
        # Reopened for a later batch: the sweep was described when it started (git is slow).
        meta = self._describe_sweep() if first_open else {}
        journal = SweepJournal.create(sweep_dir, meta)
        try:
            journal.acquire()
        except SweepBusy as busy:
            journal.close()
            if busy.here:
                return None
            raise UsageError(
                f"the sweep in {sweep_dir} is being run by another process",
                fix="wait for it to finish, or give this sweep its own hydra.sweep.dir",
            ) from None
        if not existed:
            register_sweep(Path.cwd(), sweep_dir)
        elif first_open and not resuming(sweep_dir):
            journal.reset(meta)
        self._journal_dirs.add(sweep_dir)
        self.journal = journal
        return journal

    def _describe_sweep(self) -> dict[str, Any]:
        assert self.config is not None
        sweeper = self.config.hydra.sweeper.get("_target_", "") if self.config.hydra.sweeper else ""
        return describe_sweep(sweeper=str(sweeper), launcher=type(self).__name__)

    def record_start(self, job: JobSpec, *, worker: Optional[str] = None, slot: Optional[str] = None,
                     composed: Optional[ComposedJob] = None) -> None:
        """A job starts: in the journal, and in the tracker (with its config as params)."""
        if self.journal is not None:
            self.journal.job_started(job[0], job[1], worker=worker, slot=slot)
        tracker = tracking.active()
        if tracker is not None:
            tracker.start_job(job[0], overrides=job[1], config=(composed or self.compose(job)).task_config())

    def record_end(self, num: int, status: Status, *, directory: Optional[str], value: Any = None,
                   error: Optional[str] = None) -> None:
        if self.journal is not None:
            self.journal.job_finished(num, status, directory=directory, value=value, error=error)
        tracker = tracking.active()
        if tracker is not None:
            tracker.end_job(num, status=status.value, value=value, error=error, directory=directory)

    def record_return(self, num: int, ret: JobReturn, directory: Optional[str]) -> None:
        """Record a finished job from its ``JobReturn``."""
        status, error = outcome_of(ret)
        self.record_end(num, status, directory=directory, value=ret._return_value if error is None else None,
                        error=error)

    def _already_succeeded(self, jobs: list[JobSpec]) -> dict[int, JobReturn]:
        """Results of jobs that succeeded before this resume, read back from the journal."""
        assert self.journal is not None
        nums = [num for num, _ in jobs]
        records = {record.num: record for record in self.journal.jobs_between(min(nums), max(nums) + 1)} if nums else {}
        done: dict[int, JobReturn] = {}
        for num, overrides in jobs:
            record = records.get(num)
            if record is None or not record.status.finished_well:
                continue
            if list(record.overrides) != list(overrides):
                raise UsageError(
                    f"job #{num} of the resumed sweep has overrides {list(overrides)}, "
                    f"but the journal recorded {record.overrides}",
                    fix="resume with the original command and config files, or start a new sweep",
                )
            done[num] = JobResult(
                overrides=list(overrides),
                working_dir=record.directory,
                status=JobStatus.COMPLETED,
                _return_value=record.value,
            )
        return done

    @abstractmethod
    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        """Run ``jobs`` and return their results in the same order."""
