"""What runs inside a Slurm job: one or more jobs of the sweep, each leaving its outcome file.

Light to unpickle (submitit loads :class:`NodeJob` before anything else): the job runner and
the sweep's setup are imported and read only when it runs.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from hydra_runner.jobs.checkpoint import RESTARTS_VARIABLE

__all__ = ["NodeJob", "NodeTask"]


class NodeTask(NamedTuple):
    """One job of the sweep, as an allocation runs it."""

    num: int
    overrides: list[str]
    outcome_file: str
    #: Earlier submissions of this job (their runs were stopped or lost).
    earlier_runs: int = 0


class NodeJob:
    """What submitit runs in each Slurm job: the jobs given, one after the other, in one warm process.

    The task is imported and the sweep's setup read once, however many jobs the allocation
    runs (``--jobs-per-allocation``). On Slurm's warning (time limit, preemption) submitit calls
    :meth:`checkpoint`: the running job's own saves run (:func:`hydra_runner.on_requeue`). A
    preempted job is then requeued by submitit (the same Slurm job runs again, skipping the jobs
    that have their outcome); one at its time limit ends as timed out, and the schedule submits
    it again up to ``--retries`` times. Either way the next run is in the same output dir, and
    :func:`hydra_runner.restarts` counts the runs before it.
    """

    def __init__(self, setup_file: str) -> None:
        self.setup_file = setup_file

    def __call__(self, tasks: list[NodeTask]) -> list[dict[str, Any]]:
        from hydra_runner.jobs.runner import JobRunner, apply_bootstrap

        boot, setup = pickle.loads(Path(self.setup_file).read_bytes())
        apply_bootstrap(boot.relocated(os.getcwd(), sys.path), environ=False)
        requeues = int(os.environ.get("SLURM_RESTART_COUNT") or 0)
        runner = None
        reports = []
        for task in tasks:
            if requeues and Path(task.outcome_file).exists():
                continue  # ran before this allocation was requeued
            # The job's runs before this one: earlier submissions, and Slurm's requeues of this one.
            os.environ[RESTARTS_VARIABLE] = str(task.earlier_runs + requeues)
            if runner is None:
                runner = JobRunner(setup, on_started=lambda n, d: None, ask_parent=lambda kind, payload: None)
            reports.append(_run(runner, task, requeues))
        return reports

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        from submitit.helpers import DelayedSubmission

        from hydra_runner.jobs.checkpoint import run_requeue_hooks

        run_requeue_hooks()
        return DelayedSubmission(self, *args, **kwargs)


def _run(runner: Any, task: NodeTask, requeues: int) -> dict[str, Any]:
    """Run one job and write its outcome file (only a job's first task does, in a job of several tasks)."""
    from hydra_runner.jobs.outcome import outcome_report

    started = time.time()
    try:
        report = outcome_report(runner.run(task.num, list(task.overrides)))
    finally:
        runner.reset()
    report.update(node=os.environ.get("SLURMD_NODENAME"), started=started, ended=time.time(), restarts=requeues)
    if int(os.environ.get("SLURM_PROCID", "0")) == 0:
        # Written whole or not at all: the sweep may read it the moment it appears.
        partial = Path(f"{task.outcome_file}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(report))
        partial.replace(task.outcome_file)
    return report
