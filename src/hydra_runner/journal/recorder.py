"""Keeping a sweep's journal, for whatever launches its jobs.

hydra-runner's launchers record each job as it starts and ends; a launcher of another
plugin (joblib, submitit) is recorded around its ``launch``. Either way one
:class:`SweepRecorder` opens the journal in the sweep dir (created and listed in the
project on first use, reset when a new sweep reuses the dir, continued when it is resumed)
and writes every change of a job's state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence

from omegaconf import DictConfig

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec, Status
from hydra_runner.jobs.result import JobResult
from hydra_runner.journal import resume
from hydra_runner.journal.index import register_sweep
from hydra_runner.journal.meta import describe_sweep
from hydra_runner.journal.sqlite import JOURNAL_FILE, SweepBusy, SweepJournal
from hydra_runner.run_context import RunContext

__all__ = ["SweepRecorder"]


class SweepRecorder:
    """One launcher's journal keeping: the sweep dir comes from the config each time it opens."""

    def __init__(self, run: RunContext, launcher_name: str) -> None:
        self.run = run
        self.launcher_name = launcher_name
        self.journal: Optional[SweepJournal] = None
        #: Whether the open sweep continues one recorded before (``resume``).
        self.resuming = False
        # Sweep dirs this recorder already opened (a reopened one is neither reset nor described again).
        self._opened: set[Path] = set()

    def open(self, config: DictConfig) -> Optional[SweepJournal]:
        """The journal in ``config``'s sweep dir.

        None for a sweep started from inside a job of a sweep using the same dir: that
        journal is the outer sweep's, and the inner sweep is not recorded.
        """
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        if self.journal is not None and self.journal.sweep_dir == sweep_dir:
            return self.journal
        existed = (sweep_dir / JOURNAL_FILE).exists()
        first_open = sweep_dir not in self._opened
        meta = self._describe(config) if first_open else {}
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
        if first_open:
            self.resuming = existed and resume.is_requested(journal)
        if not existed:
            register_sweep(Path.cwd(), sweep_dir)
        elif first_open and not self.resuming:
            journal.reset(meta)
        self._opened.add(sweep_dir)
        self.journal = journal
        self.run.sweep_dir = sweep_dir
        return journal

    def _describe(self, config: DictConfig) -> dict[str, Any]:
        sweeper = config.hydra.sweeper.get("_target_", "") if config.hydra.sweeper else ""
        cwd = str(Path.cwd())
        meta = describe_sweep(sweeper=str(sweeper), launcher=self.launcher_name,
                              command=self.run.recorded_command(), code=self.run.head_start.code_state(cwd))
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        if sweep_dir.is_relative_to(cwd):
            # Where the command ran, seen from the sweep: still true when the project moves.
            meta[resume.CWD_FROM_SWEEP] = os.path.relpath(cwd, sweep_dir)
        return meta

    def enter(self, jobs: Sequence[JobSpec]) -> dict[int, JobResult]:
        """Enter ``jobs`` as pending; those a resumed sweep already ran well, answered from the journal."""
        if self.journal is None:
            return {}
        self.journal.add_jobs(jobs)
        return self.answered(jobs)

    def answered(self, jobs: Sequence[JobSpec]) -> dict[int, JobResult]:
        """Those of ``jobs`` (entered already) that a resumed sweep ran well, answered from the journal."""
        return resume.already_succeeded(self.journal, jobs) if self.journal is not None and self.resuming else {}

    def started(self, job: JobSpec, *, worker: Optional[str] = None, slot: Optional[str] = None) -> None:
        if self.journal is not None:
            self.journal.job_started(job[0], job[1], worker=worker, slot=slot)

    def ended(self, num: int, status: Status, *, directory: Optional[str], value: Any = None,
              error: Optional[str] = None) -> None:
        if self.journal is not None:
            self.journal.job_finished(num, status, directory=directory, value=value, error=error)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
