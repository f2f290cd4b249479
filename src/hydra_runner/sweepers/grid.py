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
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.errors import JobNotStarted, SweepFailed

__all__ = ["GridSweeper"]


class GridSweeper(BasicSweeper):
    """``BasicSweeper``, with its launcher chosen by hydra-runner, cheap validation and a journal.

    BasicSweeper composes every job of a batch up front to fail early; with the caching
    loader that check reuses the templates the launcher composes from. Every job of every
    batch is entered in the sweep journal before the first runs, so ``resume`` knows about
    jobs that never started. With a launcher that isolates failures (the process pool), a
    failed job does not stop later batches: the sweep ends with :class:`SweepFailed`.
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

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra_runner.launchers import instantiate_launcher

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        assert self.hydra_context is not None and self.config is not None
        loader = self.hydra_context.config_loader
        if not isinstance(loader, CachingConfigLoader):
            super().validate_batch_is_legal(batch)
            return
        for overrides in batch:
            loader.validate_job(self.config, list(overrides))

    def sweep(self, arguments: list[str]) -> Any:
        from hydra_runner.launchers import RunnerLauncher

        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        launcher = self.launcher
        if not isinstance(launcher, RunnerLauncher):
            return super().sweep(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        self.overrides = self.split_arguments(parser.parse_overrides([*self._parse_config(), *arguments]),
                                              self.max_batch_size)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        numbered = [job for batch in self.overrides for job in batch]
        journal = launcher.open_journal()
        if journal is not None:
            journal.add_jobs(enumerate(numbered))
        isolates = launcher.isolates_failures
        launcher.keep_workers = len(self.overrides) > 1
        returns: list[Sequence[JobReturn]] = []
        initial_job_idx = 0
        try:
            while not self.is_done():
                batch = self.get_job_batch()
                self.validate_batch_is_legal(batch)
                results = launcher.launch(batch, initial_job_idx=initial_job_idx)
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
            not_started = len(failed) - len(ran) + len(numbered) - initial_job_idx
            raise SweepFailed(ran, total=len(numbered), sweep_dir=str(sweep_dir), not_started=not_started)
        return returns
