"""The Slurm launcher: a sweep's jobs as Slurm job arrays, submitted through submitit.

A slot backend of the same schedule as the pool and Ray (journal, retries, fail-fast,
Ctrl-C, progress): :meth:`SlurmLauncher.submit` only queues a job, and the next
:meth:`~SlurmLauncher.poll` submits everything queued as one array per resource request
(:mod:`.submit`), so a grid of a thousand jobs is a few ``sbatch`` calls; ``-j N`` is the
arrays' ``%N`` throttle, applied by Slurm. Jobs end when their outcome file appears, or when
Slurm says they died without one (:mod:`.states`). With ``--no-wait`` the jobs are
submitted, recorded as ``submitted``, and left to Slurm; :mod:`.collect` brings their
outcomes into the journal later (``hydra-runner status`` / ``results``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus

from hydra_runner.jobs.model import JobSpec, Status
from hydra_runner.jobs.outcome import Ended, JobOutcome, RemoteError, ended_job
from hydra_runner.jobs.result import JobResult
from hydra_runner.launchers._base import RunnerLauncher
from hydra_runner.launchers._schedule import launch_scheduled
from hydra_runner.launchers.slurm.collect import SLURM_META
from hydra_runner.launchers.slurm.states import UNKNOWN, StateReader, Verdict, judge
from hydra_runner.launchers.slurm.submit import (
    SLURM_PREFIX,
    Submitted,
    outcome_path,
    submit_arrays,
)
from hydra_runner.options.launchers import SlurmOptions

__all__ = ["SlurmLauncher"]

#: A job Slurm has not shown yet is not taken for lost before this many seconds.
_GRACE = 60.0


@dataclass
class _Running:
    job: Submitted
    submitted: float
    started: Optional[float] = None
    seen: bool = False
    cancelled: Optional[Status] = None
    #: Whether the journal has it as started (it is pending there while Slurm queues it).
    recorded: bool = False


class SlurmLauncher(RunnerLauncher):
    """``hydra/launcher=runner_slurm`` (``--launcher slurm``)."""

    isolates_failures = True
    runs_tasks_elsewhere = True
    counts_interrupts = True

    def __init__(self, options: Optional[SlurmOptions] = None) -> None:
        super().__init__()
        self.options = options = options or SlurmOptions()
        self.wait = options.wait
        self.array_parallelism = options.array_parallelism
        self.timeout = options.timeout
        self.retries = options.retries
        self.fail_fast = options.fail_fast
        self.task_env_key = options.task_env_key
        self.setup_lines = list(options.setup)
        self.python = options.python
        self.poll_interval = options.poll_interval
        self.signal_delay = options.signal_delay
        self.jobs_per_allocation = options.jobs_per_allocation
        #: How often each job was submitted (a job's later runs may resume from what it saved).
        self.submissions: Counter[int] = Counter()
        self._queued: list[JobSpec] = []
        self._running: dict[int, _Running] = {}
        self._ended: list[Ended] = []
        self._setup_file: Optional[Path] = None
        self._reader = StateReader()
        self._asked = 0.0

    @classmethod
    def from_config(cls, node: Any) -> SlurmLauncher:
        """From ``hydra.launcher`` of ``hydra/launcher=runner_slurm``."""
        return cls(SlurmOptions.from_config(node))

    def where(self, n_jobs: int) -> str:
        return "as Slurm jobs, not waiting for them" if not self.wait else "on Slurm"

    def sweep_dir(self) -> Path:
        if self.journal is not None:
            return self.journal.sweep_dir
        assert self.config is not None
        return Path(str(self.config.hydra.sweep.dir))

    # -- Hydra's batch API ----------------------------------------------------------------------------

    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        if not self.wait:
            return self._submit_detached(jobs)
        return launch_scheduled(self, jobs)

    def _submit_detached(self, jobs: list[JobSpec]) -> list[JobReturn]:
        submitted, self._setup_file = submit_arrays(self, jobs, self.sweep_dir(), self._setup_file)
        if self.journal is not None:
            self.journal.set_meta(SLURM_META, True)
            for job in submitted:
                self.journal.job_submitted(job.num, job.overrides, f"{SLURM_PREFIX}{job.slurm_id}")
        for job in submitted:
            self.job_log.info(f"\t#{job.num} : {' '.join(job.overrides)} -> Slurm job {job.slurm_id}")
        arrays = sorted({job.slurm_id.split("_")[0] for job in submitted})
        self.job_log.info(f"{len(submitted)} jobs submitted to Slurm (job {', '.join(arrays)}); not waiting for them.")
        self.job_log.info(f"Follow them: hydra-runner status {self.sweep_dir()}  (results: hydra-runner results)")
        return [JobResult(overrides=list(overrides), status=JobStatus.UNKNOWN) for _, overrides in jobs]

    def run_feed(self, feed: Any, *, max_running: Optional[int] = None) -> dict[int, JobReturn]:
        if not self.wait:
            from hydra_runner.errors import UsageError

            raise UsageError("this sweeper decides each next trial from the values of the last ones; --no-wait "
                             "returns before any job has a value",
                             fix="drop --no-wait (the sweep then waits for its trials), or sweep a grid")
        return super().run_feed(feed, max_running=max_running)

    # -- slots ------------------------------------------------------------------------------------------

    def runs_feeds(self) -> bool:
        return self.wait

    def slot_count(self) -> int:
        if self.array_parallelism:
            return self.array_parallelism
        from hydra_runner.launchers.slurm.resources import partitions

        return max(1, sum(p.cpus for p in partitions() or ()))

    def can_submit(self) -> bool:
        return True  # Slurm queues; the arrays' %N throttle says how many run

    def submit(self, job: JobSpec) -> None:
        self._queued.append(job)

    def poll(self, timeout: float) -> list[Ended]:
        self._flush()
        ended, self._ended = self._ended, []
        if ended or not self._running:
            return ended
        deadline = time.monotonic() + timeout
        while True:
            ended = self._check(ask=time.monotonic() - self._asked >= self.poll_interval)
            remaining = deadline - time.monotonic()
            if ended or remaining <= 0:
                return ended
            time.sleep(min(0.2, remaining))

    def withdraw_queued(self) -> list[int]:
        from hydra_runner.launchers.slurm.states import read_outcome

        queued = [num for num, _ in self._queued]
        self._queued.clear()
        waiting = [running for running in self._running.values()
                   if not running.recorded and read_outcome(self.sweep_dir(), running.job.num) is None]
        self._cancel([running.job.slurm_id for running in waiting])
        for running in waiting:
            del self._running[running.job.num]
        if waiting:
            self.job_log.info(f"Cancelled {len(waiting)} Slurm job{'' if len(waiting) == 1 else 's'} that had "
                              "not started: pending (hydra-runner resume runs them)")
        return queued + [running.job.num for running in waiting]

    def kill_running(self) -> list[Ended]:
        for running in self._running.values():
            running.cancelled = Status.INTERRUPTED
            self._start(running)
        self._cancel([running.job.slurm_id for running in self._running.values()])
        ended = [self._ended_as(running, Verdict(Status.INTERRUPTED, "interrupted")) for running in
                 self._running.values()]
        self._running.clear()
        return ended

    # -- internals ---------------------------------------------------------------------------------------

    def _flush(self) -> None:
        if not self._queued:
            return
        jobs, self._queued = self._queued, []
        submitted, self._setup_file = submit_arrays(self, jobs, self.sweep_dir(), self._setup_file)
        now = time.monotonic()
        for job in submitted:
            # Pending in the journal until Slurm runs it; it names its Slurm job from now on.
            if self.journal is not None:
                self.journal.job_placed(job.num, f"{SLURM_PREFIX}{job.slurm_id}", starts_now=False)
            self._running[job.num] = _Running(job, now)
        arrays = sorted({job.slurm_id.split("_")[0] for job in submitted})
        self.job_log.info(f"Submitted {len(submitted)} job{'' if len(submitted) == 1 else 's'} to Slurm "
                          f"(job {', '.join(arrays)})")

    def _check(self, *, ask: bool) -> list[Ended]:
        sweep_dir = self.sweep_dir()
        states = None
        if ask:
            self._asked = time.monotonic()
            states = self._reader.states(running.job.slurm_id for running in self._running.values())
        ended = []
        now = time.monotonic()
        # One listing of the outcome files per round, not a look per job (a sweep may have thousands).
        written = set(os.listdir(outcome_path(sweep_dir, 0).parent)) if states is None else None
        for num, running in list(self._running.items()):
            if written is not None and f"{num}.json" not in written:
                continue
            slurm_id = running.job.slurm_id
            state = states.get(slurm_id) if states is not None else None
            if state is not None:
                running.seen = True
                if state.state == "RUNNING" and running.started is None:
                    running.started = now
                    self._start(running, state.node)
            if states is None or (state is None and not running.seen and now - running.submitted < _GRACE):
                # Slurm not asked (or silent) this round: only an outcome file can end the job.
                verdict = judge(sweep_dir, num, slurm_id, UNKNOWN)
            else:
                verdict = judge(sweep_dir, num, slurm_id, state)
            if verdict is not None:
                ended.append(self._ended_as(self._running.pop(num), verdict))
        self._cancel_late(now)
        return ended

    def _cancel_late(self, now: float) -> None:
        if self.timeout is None:
            return
        late = [running for running in self._running.values()
                if running.cancelled is None and running.started is not None and now - running.started >= self.timeout]
        for running in late:
            running.cancelled = Status.TIMEOUT
        self._cancel([running.job.slurm_id for running in late])

    @staticmethod
    def _cancel(slurm_ids: list[str]) -> None:
        if slurm_ids:  # jobs of one allocation share its id
            subprocess.run(["scancel", *dict.fromkeys(slurm_ids)], capture_output=True, timeout=60)

    def _start(self, running: _Running, node: Optional[str] = None, at: Optional[float] = None) -> None:
        """Record that Slurm runs the job (when first seen running, or when it had ended by then)."""
        job = running.job
        worker = f"{SLURM_PREFIX}{job.slurm_id}" + (f"@{node}" if node else "")
        if not running.recorded:
            running.recorded = True
            self.record_start(JobSpec(job.num, job.overrides), worker=worker, slot=job.request)
        if self.journal is not None and (node or at):
            self.journal.job_placed(job.num, worker, starts_now=False, at=at)

    def _ended_as(self, running: _Running, verdict: Verdict) -> Ended:
        job = running.job
        for _ in range(verdict.restarts):  # each run Slurm requeued (time limit, preemption) was an attempt
            self._start(running)
            self.recorder.started(JobSpec(job.num, job.overrides), worker=f"{SLURM_PREFIX}{job.slurm_id}",
                                  slot=job.request)
        self._start(running, verdict.node, verdict.started)
        status = verdict.status
        message = verdict.error or ""
        if running.cancelled is not None and status is Status.INTERRUPTED:
            status = running.cancelled
            if status is Status.TIMEOUT:
                message = f"timed out after {self.timeout:g} s (Slurm job {job.slurm_id} cancelled)"
        if verdict.started is not None and verdict.ended is not None:
            duration = verdict.ended - verdict.started
        else:
            duration = time.monotonic() - (running.started or running.submitted)
        directory = verdict.directory or job.directory
        if status in (Status.SUCCEEDED, Status.FAILED):
            last = (verdict.error or "").strip().splitlines()[-1:] or [""]
            name, _, text = last[0].partition(": ")
            outcome = JobOutcome(num=job.num, completed=status is Status.SUCCEEDED, return_value=verdict.value,
                                 exception=None if status is Status.SUCCEEDED else RemoteError(name, text),
                                 traceback=verdict.error, output_dir=directory)
            return ended_job(job.num, job.overrides, status, duration, directory, outcome)
        return ended_job(job.num, job.overrides, status, duration, directory, message=message)
