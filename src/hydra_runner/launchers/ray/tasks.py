"""The Ray launcher: each job a Ray task, on an embedded local Ray or a running cluster.

Jobs are submitted as slots (Ray's resources) allow and collected with ``ray.wait`` as
they end, through the same schedule as the process pool (retries, fail-fast, Ctrl-C,
journal). A job asks for resources in its config's ``task_env`` node; a job no node of
the cluster could ever run fails at once with the reason instead of waiting forever.
Each Ray worker process sets the task up once (:class:`JobRunner`, as a pool worker does)
and keeps it warm for the next job of the sweep.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.outcome import Ended, JobOutcome, ended_job
from hydra_runner.jobs.result import JobResult
from hydra_runner.jobs.runner import Bootstrap, JobRunner, apply_bootstrap
from hydra_runner.journal import Status
from hydra_runner.launchers._base import RunnerLauncher
from hydra_runner.launchers._schedule import launch_scheduled
from hydra_runner.launchers.ray.resources import (
    PROJECT_EXCLUDES,
    check_reachable,
    describe,
    infeasible,
    task_options,
)
from hydra_runner.options.launchers import RayOptions

__all__ = ["RayLauncher"]

@dataclass
class _Running:
    num: int
    overrides: list[str]
    submitted: float
    directory: Optional[str]
    started: Optional[float] = None  # when a worker took it: queueing does not count for --timeout
    cancelled: Optional[Status] = None


class RayLauncher(RunnerLauncher):
    """``hydra/launcher=runner_ray`` (``--launcher ray``)."""

    isolates_failures = True
    runs_tasks_elsewhere = True
    counts_interrupts = True

    def __init__(self, options: Optional[RayOptions] = None) -> None:
        super().__init__()
        self.options = options = options or RayOptions()
        self.wait = options.wait
        self.forward_env = list(options.forward_env)
        self.ship_project = options.ship_project
        self.address = options.address or None
        self.timeout = options.timeout
        self.retries = options.retries
        self.fail_fast = options.fail_fast
        self.task_env_key = options.task_env_key
        self.max_running = options.max_running
        self._started_ray = False
        self._setup_ref: Any = None
        # Jobs' events (hydra_runner.report, log_metrics) come through an actor; the parent
        # waits on its next request together with the jobs, so answers go back at once.
        self._hub: Any = None
        self._next_event: Any = None
        self._boot: Optional[Bootstrap] = None
        self._running: dict[Any, _Running] = {}
        self._ended: list[Ended] = []
        self._node_names: dict[str, str] = {}

    @classmethod
    def from_config(cls, node: Any) -> RayLauncher:
        """From ``hydra.launcher`` of ``hydra/launcher=runner_ray``."""
        return cls(RayOptions.from_config(node))

    # -- Ray itself -------------------------------------------------------------------------------

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        if self.address:
            # Before the sweep writes anything: ray.init waits for an address that never answers.
            check_reachable(self.address)

    def _ray(self) -> Any:
        import ray

        if not ray.is_initialized():
            # "local" always starts a Ray of our own: without an address ray.init would join
            # whatever cluster this machine last started (or hang on one that has died).
            runtime_env = self.runtime_env() if self.address else None
            if not self.address:
                import logging

                # An embedded Ray lives and dies with this sweep: its token set-up is not news.
                logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
            ray.init(address=self.address or "local", runtime_env=runtime_env, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
            self._started_ray = True
        if self._setup_ref is None:
            from hydra_runner.jobs.runner import worker_setup
            from hydra_runner.tasks.ref import dumps_by_value

            boot, setup = worker_setup(self.config, self.task_function, self.loader)
            self._boot = replace(boot, environ={})  # the shell's variables stay here; --forward-env names what goes
            # Put once; every task gets a reference, and each worker process unpacks it once.
            setup_bytes = dumps_by_value(setup, script_in_workers=self._boot.main_file is not None)
            self._setup_ref = ray.put((uuid.uuid4().hex, setup_bytes))
            # On this process's own node: an actor Ray placed elsewhere would die with that node
            # and take the sweep's events (and the sweep) with it.
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
            self._hub = _event_hub_class().options(scheduling_strategy=here).remote()
            self._next_event = self._hub.next_request.remote()
        return ray

    def runtime_env(self) -> dict[str, Any]:
        """What every job of the sweep gets on a cluster: the project's code and the named variables."""

        missing = [name for name in self.forward_env if name not in os.environ]
        if missing:
            raise UsageError(f"{', '.join(missing)}: asked to be passed to the jobs but not set here",
                             fix="set them in this shell, or drop them from --forward-env")
        env: dict[str, Any] = {}
        if self.ship_project:
            env.update(working_dir=os.getcwd(), excludes=list(PROJECT_EXCLUDES))
        if self.forward_env:
            env["env_vars"] = {name: os.environ[name] for name in self.forward_env}
        return env

    def close(self) -> None:
        self._hub = self._next_event = None
        if self._started_ray:
            import ray

            ray.shutdown()  # an embedded Ray goes away with its sweep
            self._started_ray = False
        self._setup_ref = None
        super().close()

    def where(self, n_jobs: int) -> str:
        if not self.wait:
            return f"as Ray jobs ({self.address})"
        return f"on Ray ({self.address or 'embedded'})"

    # -- slots -------------------------------------------------------------------------------------

    def _launch(self, jobs: list[JobSpec]) -> Sequence[JobReturn]:
        if not self.wait:
            from hydra_runner.launchers.ray.jobs import submit_jobs

            return submit_jobs(self, jobs)
        return launch_scheduled(self, jobs)

    def run_feed(self, feed: Any, *, max_running: Optional[int] = None) -> dict[int, JobReturn]:
        self._refuse_unless_waiting()
        return super().run_feed(feed, max_running=max_running)

    def _refuse_unless_waiting(self) -> None:
        # Only searching sweepers ask for slots and feeds: they need the values of the jobs.
        if not self.wait:
            raise UsageError(
                "this sweeper decides each next trial from the values of the last ones; --no-wait returns "
                "before any job has a value",
                fix="drop --no-wait (the sweep then waits for its trials), or sweep a grid",
            )

    def runs_feeds(self) -> bool:
        return self.wait

    def slot_count(self) -> int:
        self._refuse_unless_waiting()
        return max(1, int(self._ray().cluster_resources().get("CPU", 1)))

    def reserve(self, n_jobs: int) -> None:
        # Ray starts before the schedule takes over Ctrl-C and SIGTERM: Ray's own handlers,
        # installed as it starts, would otherwise replace the schedule's.
        self._ray()

    def can_submit(self) -> bool:
        return self.max_running is None or len(self._running) < self.max_running

    def submit(self, job: JobSpec) -> None:
        assert self.config is not None
        ray = self._ray()
        num, overrides = job
        composed = self.compose(job)
        options = task_options(composed.task_config(), str(self.config.hydra.job.name), self.task_env_key,
                               self.options.default_resources)
        self.record_start(job, composed=composed, worker="ray", slot=describe(options))
        nodes = ray.nodes()
        self._node_names.update((n["NodeID"], n.get("NodeName") or n["NodeID"][:8]) for n in nodes)
        missing = infeasible(options, nodes)
        if missing is not None:
            error = UsageError(f"job #{num} asks for {missing}, which no node of the Ray cluster has",
                               fix=f"lower the job's {self.task_env_key} resources, or add a node that has them")
            ret = JobResult(overrides=list(overrides), status=JobStatus.FAILED, _return_value=error)
            self._ended.append(Ended(num, Status.FAILED, ret, 0.0, composed.output_dir, str(error)))
            return
        ref = _run_job.options(**options).remote(self._setup_ref, self._boot, num, list(overrides), self._hub)
        self._running[ref] = _Running(num, list(overrides), time.monotonic(), composed.output_dir)

    def poll(self, timeout: float) -> list[Ended]:
        ended, self._ended = self._ended, []
        if ended or not self._running:
            return ended
        ray = self._ray()
        deadline = time.monotonic() + min(timeout, self._time_to_deadline())
        while True:
            ready, _ = ray.wait([self._next_event, *self._running], num_returns=1,
                                timeout=max(0.0, deadline - time.monotonic()))
            if self._next_event in ready:
                self._answer_event(ray)
                continue  # a job's event is not a job's end: keep waiting
            break
        if ready:  # and whatever else has ended by now
            ready, _ = ray.wait(list(self._running), num_returns=len(self._running), timeout=0)
        for ref in ready:
            ended.append(self._collect(ref, self._running.pop(ref)))
        self._cancel_late()
        return ended

    def _answer_event(self, ray: Any) -> None:
        key, num, kind, payload = ray.get(self._next_event)
        self._next_event = self._hub.next_request.remote()
        if key is None:  # told, not asked: a job has started on a worker
            self._job_placed(num, *payload)
            return
        try:
            answer, error = self.job_event(num, kind, payload), None
        except Exception as e:  # the job waits for an answer: it gets the error instead
            answer, error = None, f"{type(e).__name__}: {e}"
        self._hub.answer.remote(key, answer, error)

    def _job_placed(self, num: int, node_id: str, pid: int) -> None:
        # The news travels through the hub and may come after the job's own end: then it
        # still says where the job ran, but its times are already known.
        running = [job for job in self._running.values() if job.num == num and job.started is None]
        if running:
            running[0].started = time.monotonic()
        if self.journal is not None:
            worker = f"{self._node_names.get(node_id, node_id[:8])}/{pid}"
            self.journal.job_placed(num, worker, starts_now=bool(running))

    def kill_running(self) -> list[Ended]:
        ray = self._ray()
        for ref, job in self._running.items():
            job.cancelled = Status.INTERRUPTED
            ray.cancel(ref, force=True)
        return [self._collect(ref, self._running.pop(ref)) for ref in list(self._running)]

    # -- internals -----------------------------------------------------------------------------------

    def _time_to_deadline(self) -> float:
        started = [job.started for job in self._running.values() if job.started is not None]
        if self.timeout is None or not started:
            return 3600.0
        return max(0.0, min(started) + self.timeout - time.monotonic())

    def _cancel_late(self) -> None:
        if self.timeout is None:
            return
        now = time.monotonic()
        for ref, job in self._running.items():
            if job.cancelled is None and job.started is not None and now - job.started >= self.timeout:
                job.cancelled = Status.TIMEOUT
                self._ray().cancel(ref, force=True)

    def _collect(self, ref: Any, job: _Running) -> Ended:
        import ray

        try:
            outcome, ran_for, (node_id, pid) = ray.get(ref)
        except Exception as e:  # the task's process died, its node went away, or it was cancelled
            status = job.cancelled or Status.CRASHED
            if status is Status.TIMEOUT:
                message = f"timed out after {self.timeout:g} s"
            elif status is Status.INTERRUPTED:
                message = "interrupted"
            else:
                message = f"{type(e).__name__}: {e}"
            ran_for = time.monotonic() - (job.started or job.submitted)
            return ended_job(job.num, job.overrides, status, ran_for, job.directory, message=message)
        if job.started is None:  # the news of its start has not come yet: where it ran comes with its end
            self._job_placed(job.num, node_id, pid)
        # The time it ran, not since it was submitted (it may have queued for a worker).
        status = Status.SUCCEEDED if outcome.completed else Status.FAILED
        return ended_job(job.num, job.overrides, status, ran_for, outcome.output_dir or job.directory, outcome)

# -- inside a Ray worker process --------------------------------------------------------------------

_runners: dict[str, Any] = {}


def _job_in_worker(setup: tuple[str, bytes], boot: Bootstrap, num: int, overrides: list[str],
                   hub: Any) -> tuple[JobOutcome, float, tuple[str, int]]:

    import ray


    key, blob = setup
    runner = _runners.get(key)
    if runner is None:
        # Ray's worker keeps its own environment (its devices, its own settings): only
        # paths, argv, cwd and the main script come from the parent, moved to where the
        # project is on this node.
        apply_bootstrap(boot.relocated(os.getcwd(), sys.path), environ=False)
        runner = _runners[key] = JobRunner(pickle.loads(blob), on_started=lambda n, d: None,
                                           ask_parent=lambda kind, payload: None)

    def ask_parent(kind: str, payload: Any) -> Any:
        answer, error = ray.get(hub.ask.remote(num, kind, payload))
        if error is not None:
            raise RuntimeError(f"the sweep could not handle the job's {kind!r}: {error}")
        return answer

    runner.ask_parent = ask_parent
    where = (ray.get_runtime_context().get_node_id(), os.getpid())
    hub.tell.remote(num, "started", where)
    started = time.monotonic()
    try:
        outcome = runner.run(num, overrides)
        try:
            pickle.dumps(outcome)
        except Exception as e:
            outcome = outcome.value_not_sendable(e)
        return outcome, time.monotonic() - started, where
    finally:
        runner.reset()


_hub_class: Any = None


def _event_hub_class() -> Any:
    """An actor passing jobs' events to the parent and its answers back (made on first use)."""
    global _hub_class
    if _hub_class is None:
        import asyncio

        import ray

        @ray.remote(num_cpus=0)
        class EventHub:
            def __init__(self) -> None:
                self.queue: asyncio.Queue[Any] = asyncio.Queue()
                self.waiting: dict[str, asyncio.Future[Any]] = {}

            async def ask(self, num: int, kind: str, payload: Any) -> Any:
                key = uuid.uuid4().hex
                self.waiting[key] = asyncio.get_running_loop().create_future()
                await self.queue.put((key, num, kind, payload))
                return await self.waiting[key]

            async def tell(self, num: int, kind: str, payload: Any) -> None:
                await self.queue.put((None, num, kind, payload))

            async def next_request(self) -> Any:
                return await self.queue.get()

            async def answer(self, key: str, answer: Any, error: Optional[str]) -> None:
                self.waiting.pop(key).set_result((answer, error))

        _hub_class = EventHub
    return _hub_class


def _make_remote() -> Any:
    import ray

    return ray.remote(_job_in_worker)


class _LazyRemote:
    """``ray.remote`` applied on first use: importing this module does not import Ray."""

    _remote: Any = None

    def options(self, **options: Any) -> Any:
        if _LazyRemote._remote is None:
            _LazyRemote._remote = _make_remote()
        return _LazyRemote._remote.options(**options)


_run_job = _LazyRemote()
