"""Another plugin's launcher (joblib, submitit, ...), its sweeps recorded in the journal all the same.

Such a launcher runs a batch and returns; it says nothing while jobs run. :class:`RecordedLauncher`
enters the batch's jobs before it launches them, records each one's end from its
``JobReturn``, and, when the sweep is resumed, launches only the jobs that did not
succeed, each with its own number (``hydra.job.num``, and so its output dir).
"""

from __future__ import annotations

from typing import Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner.jobs.model import JobSpec, Status
from hydra_runner.jobs.outcome import outcome_of
from hydra_runner.journal.recorder import SweepRecorder
from hydra_runner.run_context import RunContext

__all__ = ["RecordedLauncher"]


class RecordedLauncher(Launcher):
    """``launcher``, with every job it runs entered in the sweep's journal."""

    def __init__(self, launcher: Launcher, run: RunContext, config: DictConfig | None = None) -> None:
        self.launcher = launcher
        self.recorder = SweepRecorder(run, type(launcher).__name__)
        #: The sweep's config (given when ``launcher`` is set up already).
        self.config = config

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        assert self.config is not None, "setup() must be called before launch()"
        jobs = [JobSpec(initial_job_idx + i, list(overrides)) for i, overrides in enumerate(job_overrides)]
        self.recorder.open(self.config)
        done = self.recorder.enter(jobs)
        results: dict[int, JobReturn] = dict(done)
        for run in _consecutive([job for job in jobs if job.num not in done]):
            for job in run:
                self.recorder.started(job, worker=type(self.launcher).__name__)
            for job, ret in zip(run, self.launcher.launch([job.overrides for job in run], run[0].num)):
                status, error = outcome_of(ret)
                self.recorder.ended(job.num, status, directory=_output_dir(ret),
                                    value=ret._return_value if status is Status.SUCCEEDED else None, error=error)
                results[job.num] = ret
        return [results[job.num] for job in jobs]


def _consecutive(jobs: list[JobSpec]) -> list[list[JobSpec]]:
    """``jobs`` in runs of consecutive numbers: a launcher numbers a batch's jobs from its first."""
    runs: list[list[JobSpec]] = []
    for job in jobs:
        if runs and runs[-1][-1].num + 1 == job.num:
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs


def _output_dir(ret: JobReturn) -> str | None:
    try:
        return str(ret.hydra_cfg.hydra.runtime.output_dir) if ret.hydra_cfg is not None else ret.working_dir
    except Exception:  # a JobReturn without a usable hydra config: its working dir will do
        return ret.working_dir
