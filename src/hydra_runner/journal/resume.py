"""``resume``: run a sweep's command again, in its own sweep dir, skipping what succeeded.

The re-run is the original command with ``hydra.sweep.dir`` pinned to the sweep's
directory and ``HYDRA_RUNNER_RESUME`` naming it; launchers seeing that variable answer jobs
that already succeeded from the journal, so each job succeeds exactly once.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

from hydra_runner.errors import UsageError
from hydra_runner.journal.index import resolve_sweep_dir
from hydra_runner.journal.sqlite import SweepJournal

__all__ = ["RESUME_ENV", "resume_command", "resume_sweep", "resuming"]

RESUME_ENV = "HYDRA_RUNNER_RESUME"


def resuming(sweep_dir: Path) -> bool:
    marker = os.environ.get(RESUME_ENV)
    return marker is not None and Path(marker).absolute() == Path(sweep_dir).absolute()


def resume_command(journal: SweepJournal) -> list[str]:
    command = [arg for arg in journal.meta["command"] if not arg.startswith("hydra.sweep.dir=")]
    quoted = str(journal.sweep_dir).replace("\\", "\\\\").replace("'", "\\'")
    return [*command, f"hydra.sweep.dir='{quoted}'"]


def resume_sweep(sweep_dir: Optional[str] = None) -> int:
    """Run the unfinished jobs of a sweep (default: the latest); returns the command's exit code."""
    path = resolve_sweep_dir(sweep_dir).absolute()
    _refuse_while_on_cluster(path)
    with SweepJournal.open(path) as journal:
        if journal.is_running_elsewhere():
            raise UsageError(f"the sweep in {path} is still running in another process", fix="wait for it to end")
        journal.mark_interrupted()
        command = resume_command(journal)
        cwd = journal.meta["cwd"]
    env = dict(os.environ, **{RESUME_ENV: str(path)})
    return subprocess.call(command, cwd=cwd, env=env)


def _refuse_while_on_cluster(path: Path) -> None:
    """A sweep handed to a cluster (--no-wait) resumes only once none of its jobs is still there."""
    from hydra_runner.journal.sqlite import Status
    from hydra_runner.launchers.ray.jobs import collect

    waiting = [state.num for state in collect(path) or () if state.status is Status.SUBMITTED]
    if waiting:
        jobs = ", ".join(f"#{num}" for num in waiting)
        raise UsageError(f"jobs {jobs} of this sweep are still on the Ray cluster (or it cannot say how they ended)",
                         fix=f"follow them with hydra-runner status {path}; resume once they have ended")
