"""The process-pool launcher: warm worker processes, one per CPU/GPU slot.

Jobs are composed (and validated) in the parent as by the in-process launcher; each worker
composes its own copy of the job from the overrides with its own caching loader, so only
job numbers and overrides cross the pipe, not configs. The parent owns the journal, the
schedule (retries, fail-fast, Ctrl-C) and the progress display; :mod:`._pool` owns the
processes; :mod:`._worker` runs inside them.
"""

from __future__ import annotations

import math
import os
import weakref
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.outcome import Ended, ended_job
from hydra_runner.jobs.result import JobResult
from hydra_runner.jobs.runner import CONSOLE_LOG, worker_setup
from hydra_runner.launchers._base import RunnerLauncher
from hydra_runner.launchers._schedule import launch_scheduled
from hydra_runner.launchers.pool._pool import Finished, WorkerPool
from hydra_runner.launchers.pool._slots import Slot, describe_machine, machine_slots
from hydra_runner.options.launchers import PoolOptions, parse_n_jobs

__all__ = ["ProcessPoolLauncher"]


class ProcessPoolLauncher(RunnerLauncher):
    """Runs a sweep's jobs in parallel worker processes (``hydra/launcher=runner_pool``)."""

    isolates_failures = True
    runs_tasks_elsewhere = True
    counts_interrupts = True

    def __init__(self, options: Optional[PoolOptions] = None) -> None:
        super().__init__()
        self.options = options = options or PoolOptions()
        self.n_jobs = options.n_jobs
        self.gpus = options.gpus
        # None: as the config's task_env asks (resources.gpu / resources.cpu), else 0 and 1.
        self.gpus_per_job = options.gpus_per_job
        self.cpus_per_job = options.cpus_per_job
        self.timeout = options.timeout
        self.retries = options.retries
        self.fail_fast = options.fail_fast
        self.stream = options.stream
        self._pool: Optional[WorkerPool] = None
        self._slots: Optional[list[Slot]] = None
        self._tails = _Tails() if self.stream else None
        self._warned_bound = False

    @classmethod
    def from_config(cls, node: Any) -> ProcessPoolLauncher:
        """From ``hydra.launcher`` of ``hydra/launcher=runner_pool``."""
        return cls(PoolOptions.from_config(node))

    # -- set-up --------------------------------------------------------------------------------

    def slots(self) -> list[Slot]:
        if self._slots is None:
            self._slots = machine_slots(self.n_jobs, gpus=self.gpus, gpus_per_job=int(self.gpus_per_job or 0),
                                        cpus_per_job=int(self.cpus_per_job or 1))
        return self._slots

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        if self.gpus_per_job is None or self.cpus_per_job is None:
            from hydra_runner.launchers.task_env import TaskEnv

            # Slots are whole cores and GPUs: a fraction takes a whole one here (Ray shares it).
            env = TaskEnv.of(config, str(config.hydra.job.name))
            self.gpus_per_job = math.ceil(env.gpu) if self.gpus_per_job is None else self.gpus_per_job
            self.cpus_per_job = max(1, math.ceil(env.cpu)) if self.cpus_per_job is None else self.cpus_per_job
        # Workers boot (Python, Hydra, the task's imports) while the sweeper validates jobs.
        self._pool = self._start_pool()

    def reserve(self, n_jobs: int) -> None:
        slots = self.slots()
        asked = parse_n_jobs(self.n_jobs)
        if asked != "auto" and min(asked, n_jobs) > len(slots) and not self._warned_bound:
            self._warned_bound = True
            self.job_log.warning(f"-j {asked} is more than this machine runs at once ({describe_machine()}): "
                                 f"using {len(slots)} worker processes")
        self._workers().reserve(n_jobs)

    def where(self, n_jobs: int) -> str:
        workers = min(len(self.slots()), max(n_jobs, 1))
        return f"on {workers} worker process{'' if workers == 1 else 'es'}"

    def _start_pool(self) -> WorkerPool:
        bootstrap, setup = worker_setup(self.config, self.task_function, self.loader)
        pool = WorkerPool(self.slots(), bootstrap, setup, timeout=self.timeout, on_event=self.job_event,
                          head_start=self.run.head_start)
        pool.start(self.run.expected_jobs)
        # Workers started for a sweep that never launches (invalid jobs) end with the launcher.
        weakref.finalize(self, pool.close, kill=True)
        return pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        super().close()

    # -- slots -----------------------------------------------------------------------------------

    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        return launch_scheduled(self, jobs)

    def slot_count(self) -> int:
        return len(self.slots())

    def _workers(self) -> WorkerPool:
        if self._pool is None:
            self._pool = self._start_pool()
        return self._pool

    def can_submit(self) -> bool:
        return bool(self._workers().idle())

    def submit(self, job: JobSpec) -> None:
        assert self.loader is not None and self.config is not None
        num, overrides = job[0], list(job[1])
        worker = self._workers().idle()[0]
        self.record_start(job, worker=worker.name, slot=worker.slot.label)
        # The worker composes the job itself: the parent's validated copy can go, once its
        # template is sent along (the worker then need not compose that again).
        validated = self.loader.take_validated(self.config, overrides)
        self._workers().submit(worker, num, overrides, None if validated is None else validated.template,
                               parsed=self.loader.known_parsed(overrides))

    def expect(self, overrides: Sequence[str]) -> None:
        assert self.loader is not None and self.config is not None
        # Composed here, where Hydra's configs are loaded already, rather than once in every worker.
        try:
            template = self.loader.compose_job(self.config, list(overrides)).template
        except Exception:  # each job will report it
            return
        self._workers().expect(template)

    def poll(self, timeout: float) -> list[Ended]:
        pool = self._workers()
        if self._tails is not None:
            timeout = min(timeout, 0.2)
        finished = pool.poll(timeout=timeout)
        if self._tails is not None:
            self._tails.pump([*pool.running(), *finished])
        return [self._ended(done) for done in finished]

    def kill_running(self) -> list[Ended]:
        return [self._ended(done) for done in self._workers().kill_running()]

    def _ended(self, done: Finished) -> Ended:
        ended = ended_job(done.num, done.overrides, done.status, done.duration, done.output_dir, done.outcome,
                          done.message)
        assert isinstance(ended.ret, JobResult)
        self._attach_configs(ended.ret, done)
        return ended

    def _attach_configs(self, ret: JobResult, done: Finished) -> None:
        """``cfg`` and ``hydra_cfg`` of the job, composed again in the parent only if read."""
        loader, config = self.loader, self.config
        assert loader is not None and config is not None
        overrides, num, output_dir = list(ret.overrides or []), done.num, done.output_dir

        def composed() -> Any:
            job = loader.compose_job(config, overrides, job_num=num)
            job.set_output_dir(output_dir)
            return job

        ret.set_cfg_factory(lambda: composed().task_config())
        ret.set_hydra_cfg_factory(lambda: _snapshot(composed()))


def _snapshot(job: Any) -> Any:
    return job.template.snapshot_hydra_root(job.fields, job.full)


class _Tails:
    """``--stream``: what running jobs write to their console.log, prefixed with the job number."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}

    def pump(self, jobs: Sequence[Any]) -> None:
        for job in jobs:
            if job.output_dir is None:
                continue
            path = os.path.join(job.output_dir, CONSOLE_LOG)
            try:
                with open(path, "rb") as file:
                    file.seek(self.offsets.get(path, 0))
                    data = file.read()
            except OSError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            if complete:
                self.offsets[path] = self.offsets.get(path, 0) + len(complete)
                for line in complete.decode(errors="replace").splitlines():
                    print(f"[#{job.num}] {line}", flush=True)
