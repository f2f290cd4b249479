"""Runs jobs one after another in this process: Hydra's BasicLauncher, without its overhead."""

from __future__ import annotations

from typing import Sequence

from hydra.core.utils import JobReturn

from hydra_runner.launchers._base import JobSpec, RunnerLauncher
from hydra_runner.launchers._run_job import reapply_logging, resolved_logging, run_sweep_job

__all__ = ["InProcessLauncher"]


class InProcessLauncher(RunnerLauncher):
    """The default launcher: same semantics as Hydra's ``BasicLauncher``."""

    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        assert self.config is not None and self.task_function is not None and self.hydra_context is not None
        hydra_logging = resolved_logging(self.config.hydra.hydra_logging)
        verbose = self.config.hydra.verbose
        results: list[JobReturn] = []
        for job in jobs:
            self.announce(job)
            composed = self.compose(job)
            self.record_start(job)
            ret = run_sweep_job(composed, task_function=self.task_function, hydra_context=self.hydra_context)
            self.record_return(job[0], ret, composed.output_dir)
            results.append(ret)
            reapply_logging(hydra_logging, verbose)
        return results
