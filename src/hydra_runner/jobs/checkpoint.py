"""A job's own checkpoint, for schedulers that stop a job and run it again (Slurm's time limits, preemption).

::

    import hydra_runner

    def train(cfg):
        state = load("state.pt") if hydra_runner.restarts() else fresh()   # in the job's output dir
        hydra_runner.on_requeue(lambda: save(state, "state.pt"))
        ...

Slurm warns a job before its time limit or a preemption; the launcher then calls every
function given to :func:`on_requeue`; a preempted job is requeued, one past its time limit
ends as timed out and is run again up to ``--retries`` times. The job runs again in the same output dir, so what it saved is there; a job
with no such function simply starts again.
"""

from __future__ import annotations

import os
from typing import Callable

__all__ = ["RESTARTS_VARIABLE", "on_requeue", "restarts", "run_requeue_hooks"]

#: Set by the launcher in a job's process: how many runs of the job came before this one.
RESTARTS_VARIABLE = "HYDRA_RUNNER_RESTARTS"

_hooks: list[Callable[[], None]] = []


def on_requeue(save: Callable[[], None]) -> None:
    """Call ``save()`` when this job is about to be stopped and requeued (it runs again later, in the same dir)."""
    _hooks.append(save)


def restarts() -> int:
    """How many times this job ran before this run and was stopped (0 on its first run)."""
    return int(os.environ.get(RESTARTS_VARIABLE) or 0)


def run_requeue_hooks() -> None:
    """Run the saves registered for this job (the launcher calls it on the scheduler's warning)."""
    hooks, _hooks[:] = list(_hooks), []
    for save in hooks:
        save()
