"""Hydra's BasicSweeper (Cartesian product, batches), on hydra-runner's launchers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_runner._compat import BasicSweeper
from hydra_runner.composition.loader import check_jobs
from hydra_runner.errors import JobNotStarted, SweepFailed
from hydra_runner.launchers import RunnerLauncher, instantiate_launcher
from hydra_runner.launchers._schedule import not_started
from hydra_runner.run_context import RunContext
from hydra_runner.sweepers._product import Grid, GridFeed, GridSlice

__all__ = ["GridSweeper"]


class GridSweeper(BasicSweeper):
    """``BasicSweeper``, with its launcher chosen by hydra-runner, cheap validation and a journal.

    The grid is never listed whole (:mod:`._product`): on a launcher with slots, a batch's
    jobs are entered in the sweep journal and validated a chunk at a time as they are
    scheduled, so the first job starts at once, however large the grid. BasicSweeper
    composes every job of a batch before any runs; here, before the sweep dir exists, the
    grid's probes (every value of every swept key, :meth:`Grid.probes`) are composed, so a
    config error stops the sweep (exit 2) with nothing written. An error only a pairing of
    values makes still stops it before any job of the chunk that has it. With the caching
    loader each check is the composition the job then uses. The
    journal knows how many jobs the sweep has, so ``resume`` runs the ones never entered
    too. With a launcher that isolates failures (the process pool), a failed job does not
    stop later batches: the sweep ends with :class:`SweepFailed`.
    """

    def __init__(self, max_batch_size: Optional[int], params: Optional[dict[str, str]] = None) -> None:
        # BasicSweeper's own __init__ calls super(BasicSweeper, self), which fails once Hydra's
        # plugin scan re-executes its module (a rescan after Hydra's singletons were reset):
        # the name then means a new class. The same fields, set without it.
        Sweeper.__init__(self)
        self.overrides: Optional[Sequence[Sequence[Sequence[str]]]] = None
        self.batch_index = 0
        self.max_batch_size = max_batch_size
        self.params = params or {}
        self.hydra_context: Optional[HydraContext] = None
        self.config: Optional[DictConfig] = None
        self.launcher: Optional[Launcher] = None
        #: The run this sweep belongs to (the app hands it over; see :meth:`use_run`).
        self.run = RunContext()

    def use_run(self, run: RunContext) -> None:
        self.run = run

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.hydra_context = hydra_context
        self.config = config
        self.launcher = instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config,
                                             run=self.run)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        assert self.hydra_context is not None and self.config is not None
        check_jobs(self.hydra_context.config_loader, self.config, batch, keep=True)

    def sweep(self, arguments: list[str]) -> Any:
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        launcher = self.launcher
        if not isinstance(launcher, RunnerLauncher):
            return super().sweep(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        grid = Grid.of(parser.parse_overrides([*self._parse_config(), *arguments]))
        # Before the sweep dir and its journal exist: a config error leaves nothing behind.
        self.validate_batch_is_legal(grid.probes())
        self.overrides = grid.batches(self.max_batch_size)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        journal = launcher.open_journal()
        if journal is not None:
            journal.plan_jobs(len(grid))
        isolates = launcher.isolates_failures
        launcher.keep_workers = len(self.overrides) > 1
        returns: list[Sequence[JobReturn]] = []
        initial_job_idx = unlisted = 0
        try:
            while not self.is_done():
                batch = self.get_job_batch()
                if launcher.runs_feeds():
                    results, missing = self._stream(launcher, batch)
                    unlisted += missing
                else:
                    self.validate_batch_is_legal(batch)
                    results = launcher.launch(list(batch), initial_job_idx=initial_job_idx)
                initial_job_idx += len(batch)
                returns.append(results)
                if not isolates:
                    for r in results:
                        _ = r.return_value  # raises the job's exception, as BasicSweeper does
                if launcher.fail_fast and any(r.status == JobStatus.FAILED for r in results):
                    break  # later batches do not start either
        finally:
            launcher.close()
        # UNKNOWN: handed to a cluster that runs it later (--no-wait), not a failure.
        failed = [r for batch in returns for r in batch if r.status == JobStatus.FAILED]
        if failed:
            ran = [r for r in failed if not isinstance(r._return_value, JobNotStarted)]
            not_started = len(failed) - len(ran) + unlisted + len(grid) - initial_job_idx
            raise SweepFailed(ran, total=len(grid), sweep_dir=str(sweep_dir), not_started=not_started)
        return returns

    def _stream(self, launcher: RunnerLauncher, batch: GridSlice) -> tuple[list[JobReturn], int]:
        """Run ``batch`` on the launcher's slots, its jobs entered and validated a chunk at a time.

        When this run resumes the sweep, jobs the journal holds as done are answered from it.
        Returns the batch's results, and how many jobs fail-fast left not started that they
        leave out (without the run's ``keep_returns``, only failed jobs' results are kept).
        """
        journal = launcher.open_journal()
        resumed = journal is not None and launcher.resuming
        feed = GridFeed(batch, journal=journal, validate=self.validate_batch_is_legal,
                        done=launcher.recorder.answered if resumed else None, quiet=not launcher.runs_tasks_elsewhere,
                        keep=self.run.keep_returns)
        todo = len(batch) - (journal.count_finished_well(batch.start, batch.stop) if journal and resumed else 0)
        feed.total = todo  # the progress line counts the jobs this session runs
        launcher.job_log.info(f"Launching {todo} job{'' if todo == 1 else 's'} {launcher.where(todo)}")
        launcher.run_feed(feed)
        if not self.run.keep_returns:
            return [feed.returns[num] for num in sorted(feed.returns)], feed.not_started
        nums = range(batch.start, batch.stop)
        return [feed.returns.get(num) or not_started(num, job) for num, job in zip(nums, batch)], 0
