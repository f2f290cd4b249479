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
from hydra_runner.journal.index import latest_sweep
from hydra_runner.journal.sqlite import JOURNAL_FILE, SweepJournal

__all__ = ["RESUME_ENV", "find_sweep", "resume_command", "resume_sweep", "resuming"]

RESUME_ENV = "HYDRA_RUNNER_RESUME"


def resuming(sweep_dir: Path) -> bool:
    marker = os.environ.get(RESUME_ENV)
    return marker is not None and Path(marker).absolute() == Path(sweep_dir).absolute()


def find_sweep(sweep_dir: Optional[str], project_root: Optional[Path] = None) -> Path:
    """``sweep_dir`` if given, else the project's latest sweep; a clear error if there is none."""
    root = project_root or Path.cwd()
    if sweep_dir is None:
        latest = latest_sweep(root)
        if latest is None:
            raise UsageError(
                f"no sweep has been run in {root} yet", fix="run `hydra-runner multirun ...` first, or give a SWEEP_DIR"
            )
        return latest
    path = Path(sweep_dir).absolute()
    if not (path / JOURNAL_FILE).exists():
        raise UsageError(
            f"{sweep_dir} is not a sweep directory (it has no {JOURNAL_FILE})",
            fix="give a multirun's sweep dir, e.g. multirun/2024-01-31/12-00-00; `hydra-runner sweeps` lists them",
        )
    return path


def resume_command(journal: SweepJournal) -> list[str]:
    command = [arg for arg in journal.meta["command"] if not arg.startswith("hydra.sweep.dir=")]
    quoted = str(journal.sweep_dir).replace("\\", "\\\\").replace("'", "\\'")
    return [*command, f"hydra.sweep.dir='{quoted}'"]


def resume_sweep(sweep_dir: Optional[str] = None) -> int:
    """Run the unfinished jobs of a sweep (default: the latest); returns the command's exit code."""
    path = find_sweep(sweep_dir)
    with SweepJournal.open(path) as journal:
        if journal.is_running_elsewhere():
            raise UsageError(f"the sweep in {path} is still running in another process", fix="wait for it to end")
        journal.mark_interrupted()
        command = resume_command(journal)
        cwd = journal.meta["cwd"]
    env = dict(os.environ, **{RESUME_ENV: str(path)})
    return subprocess.call(command, cwd=cwd, env=env)
