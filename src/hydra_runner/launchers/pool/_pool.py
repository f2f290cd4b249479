"""The parent's side of the pool: worker processes, one per slot, and what happens to them.

:class:`WorkerPool` starts the workers, hands a job to an idle one, and turns what it
sees into :class:`Finished` events: a job's outcome, a worker that died under its job
(crashed), or a job that ran past its deadline (its worker's process group is killed).
A worker that is lost is replaced at once by a fresh one in the same slot.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import subprocess
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Optional, Sequence

from hydra_runner.composition.job import JobTemplate
from hydra_runner.errors import UsageError
from hydra_runner.jobs.outcome import JobOutcome
from hydra_runner.jobs.runner import Bootstrap, WorkerSetup
from hydra_runner.journal import Status
from hydra_runner.launchers.pool._messages import (
    Answer,
    Done,
    Event,
    Ready,
    RunJob,
    SetupFailed,
    Started,
    Stop,
    Template,
)
from hydra_runner.launchers.pool._processes import Handle, WorkerProcess
from hydra_runner.launchers.pool._slots import Slot
from hydra_runner.run_context import HeadStart
from hydra_runner.tasks.ref import dumps_by_value

__all__ = ["Finished", "PoolError", "WorkerPool"]


class PoolError(RuntimeError):
    """The pool cannot run jobs at all (a worker failed to start)."""


@dataclass
class Running:
    num: int
    overrides: list[str]
    started: float
    output_dir: Optional[str] = None


@dataclass
class Finished:
    num: int
    overrides: list[str]
    status: Status
    outcome: Optional[JobOutcome]
    output_dir: Optional[str]
    duration: float
    message: str = ""


@dataclass
class _Worker:
    slot: Slot
    proc: Handle
    inbox: Connection  # the parent reads
    outbox: Connection  # the parent writes
    ready: bool = False
    job: Optional[Running] = None
    name: str = field(default="")
    templates: set[Any] = field(default_factory=set)  # keys of the templates sent to it



class WorkerPool:
    def __init__(self, slots: Sequence[Slot], bootstrap: Bootstrap, setup: WorkerSetup,
                 *, timeout: Optional[float] = None,
                 on_event: Optional[Callable[[int, str, Any], Any]] = None,
                 head_start: Optional[HeadStart] = None) -> None:
        self.slots = list(slots)
        #: Workers the run started ahead, adopted by slot before new ones are spawned.
        self.head_start = head_start
        self.bootstrap = bootstrap
        # By value where plain pickle fails: the ConfigStore may hold dataclasses made at run time,
        # or defined in a __main__ that the workers do not import.
        self.setup_bytes = dumps_by_value(setup, script_in_workers=bootstrap.main_file is not None)
        self.task_name = getattr(setup.task_ref, "qualname", "") or setup.task_name
        self.timeout = timeout
        #: Answers a running job's event (job number, kind, payload); the answer goes back to it.
        self.on_event = on_event
        self.workers: list[_Worker] = []

    # -- life cycle -------------------------------------------------------------------------

    def start(self, count: Optional[int] = None) -> None:
        """Start workers for the first ``count`` slots (default: all): no more than the jobs expected."""
        # A sweep that fails before it launches (a bad override) must not leave workers behind.
        atexit.register(self.close, kill=True)
        self.reserve(len(self.slots) if count is None else count)

    def reserve(self, count: int) -> None:
        """Have workers for the first ``count`` slots (at least one): start the missing, end idle extras.

        Called when the number of jobs to run is known, so a pool never holds more workers
        than it has jobs for.
        """
        wanted = self.slots[: max(1, min(count, len(self.slots)))]
        for worker in [w for w in self.workers if w.slot not in wanted and w.job is None]:
            self.workers.remove(worker)
            self._end(worker)
        have = {worker.slot for worker in self.workers}
        # Start every process before feeding any: they boot in parallel.
        fresh = [self._spawn(slot) for slot in wanted if slot not in have]
        self.workers.extend(fresh)
        for worker in fresh:
            self._feed(worker)

    def _spawn(self, slot: Slot) -> _Worker:
        cwd = self.bootstrap.cwd
        process = (self.head_start.take_worker(slot, cwd) if self.head_start is not None else None) \
            or WorkerProcess.spawn(slot, cwd)
        return _Worker(
            slot=slot,
            proc=process.proc,
            inbox=process.inbox,
            outbox=process.outbox,
            name=f"worker {slot.index} (pid {process.proc.pid})",
        )

    def _feed(self, worker: _Worker) -> None:
        worker.outbox.send(self.bootstrap)
        worker.outbox.send_bytes(self.setup_bytes)

    def close(self, *, kill: bool = False) -> None:
        for worker in self.workers:
            if not kill and worker.job is None:
                try:
                    worker.outbox.send(Stop())
                except OSError:
                    pass
            else:
                self._kill(worker)
        deadline = time.monotonic() + 5
        for worker in self.workers:
            try:
                worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(worker)
                worker.proc.wait()
            worker.inbox.close()
            worker.outbox.close()
        self.workers = []
        atexit.unregister(self.close)

    # -- jobs ---------------------------------------------------------------------------------

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if w.ready and w.job is None]

    def running(self) -> list[Running]:
        return [w.job for w in self.workers if w.job is not None]

    def submit(self, worker: _Worker, num: int, overrides: list[str], template: Optional[JobTemplate] = None,
               parsed: Sequence[Any] = ()) -> None:
        """Start a job on ``worker``.

        What the parent already has spares the worker work: ``template``, its composition of
        the job's config, and ``parsed``, Hydra's parse of some of the job's overrides.
        """
        assert worker.ready and worker.job is None
        worker.job = Running(num=num, overrides=list(overrides), started=time.monotonic())
        shipped = self._shipped(worker, template)
        try:
            parsed_bytes = pickle.dumps(list(parsed)) if parsed else None
        except Exception:  # a value that does not pickle: the worker parses the line itself
            parsed_bytes = None
        worker.outbox.send(RunJob(num, list(overrides), shipped, parsed_bytes))

    def expect(self, template: JobTemplate) -> None:
        """Give the workers, while they have nothing to run, the template of the jobs to come."""
        lacking = [w for w in self.workers if template.key not in w.templates]
        shipped = self._pickled(template) if lacking else None
        for worker in lacking:
            worker.templates.add(template.key)
            if shipped is not None:
                with contextlib.suppress(OSError):  # a worker that died is found out by poll
                    worker.outbox.send(Template(shipped))

    def _shipped(self, worker: _Worker, template: Optional[JobTemplate]) -> Optional[bytes]:
        """``template`` pickled for ``worker``, unless it has it already."""
        if template is None or template.key in worker.templates:
            return None
        worker.templates.add(template.key)
        return self._pickled(template)

    def _pickled(self, template: JobTemplate) -> Optional[bytes]:
        try:
            return dumps_by_value(template, script_in_workers=self.bootstrap.main_file is not None)
        except Exception:  # what it holds does not pickle: the worker composes it
            return None

    def poll(self, timeout: float) -> list[Finished]:
        """Wait up to ``timeout`` seconds for something to happen; return the jobs that ended."""
        finished: list[Finished] = []
        busy_or_booting = [w for w in self.workers if w.job is not None or not w.ready]
        if not busy_or_booting:
            return finished
        timeout = min(timeout, self._time_to_next_deadline())
        for conn in wait([w.inbox for w in busy_or_booting], timeout=max(0.0, timeout)):
            worker = next(w for w in busy_or_booting if w.inbox is conn)
            self._handle_message(worker, finished)
        self._enforce_deadlines(finished)
        return finished

    def kill_running(self) -> list[Finished]:
        """Stop every running job now (second Ctrl-C); their workers are replaced."""
        finished: list[Finished] = []
        for worker in list(self.workers):
            if worker.job is not None:
                job = worker.job
                self._replace(worker)
                finished.append(self._ended(job, Status.INTERRUPTED, None, "interrupted"))
        return finished

    # -- internals -----------------------------------------------------------------------------

    def _handle_message(self, worker: _Worker, finished: list[Finished]) -> None:
        try:
            message: Any = worker.inbox.recv()
        except (EOFError, OSError):
            self._lost(worker, finished)
            return
        if isinstance(message, Ready):
            worker.ready = True
        elif isinstance(message, Started) and worker.job is not None:
            worker.job.output_dir = message.output_dir
        elif isinstance(message, Event) and worker.job is not None:
            self._answer(worker, message.kind, message.payload)
        elif isinstance(message, Done) and worker.job is not None:
            job, worker.job = worker.job, None
            status = Status.SUCCEEDED if message.outcome.completed else Status.FAILED
            finished.append(self._ended(job, status, message.outcome, ""))
        elif isinstance(message, SetupFailed):
            self.close(kill=True)
            if message.missing_from_main is not None:
                raise _defined_in_main(message.missing_from_main, self.task_name)
            raise PoolError(f"a worker could not set up the task:\n{message.traceback}")

    def _answer(self, worker: _Worker, kind: str, payload: Any) -> None:
        assert worker.job is not None
        try:
            answer = self.on_event(worker.job.num, kind, payload) if self.on_event is not None else None
        except Exception as e:  # the job waits for an answer: it gets the error instead
            worker.outbox.send(Answer(None, f"{type(e).__name__}: {e}"))
            return
        worker.outbox.send(Answer(answer))

    def _lost(self, worker: _Worker, finished: list[Finished]) -> None:
        code = worker.proc.wait()
        job = worker.job
        if job is None and not worker.ready:
            self.close(kill=True)
            raise PoolError(f"a worker exited with code {code} while starting")
        self._replace(worker)
        if job is not None:
            # SIGTERM asks a process to stop (Slurm sends it to every process of a job it
            # preempts): the job was interrupted, not broken; resume runs it, retries do not.
            status = Status.INTERRUPTED if code == -signal.SIGTERM else Status.CRASHED
            finished.append(self._ended(job, status, None, _describe_exit(code)))

    def _time_to_next_deadline(self) -> float:
        if self.timeout is None:
            return float("inf")
        starts = [w.job.started for w in self.workers if w.job is not None]
        if not starts:
            return float("inf")
        return min(starts) + self.timeout - time.monotonic()

    def _enforce_deadlines(self, finished: list[Finished]) -> None:
        if self.timeout is None:
            return
        now = time.monotonic()
        for worker in list(self.workers):
            job = worker.job
            if job is not None and now - job.started >= self.timeout:
                self._replace(worker)
                finished.append(self._ended(job, Status.TIMEOUT, None, f"timed out after {self.timeout:g} s"))

    def _end(self, worker: _Worker) -> None:
        self._kill(worker)
        worker.proc.wait()
        worker.inbox.close()
        worker.outbox.close()

    def _replace(self, worker: _Worker) -> None:
        self._end(worker)
        fresh = self._spawn(worker.slot)
        self._feed(fresh)
        self.workers[self.workers.index(worker)] = fresh

    @staticmethod
    def _kill(worker: _Worker) -> None:
        try:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            # No such group yet: a forked worker that has not reached its setsid, alone so far.
            worker.proc.kill()
        except PermissionError:
            pass

    @staticmethod
    def _ended(job: Running, status: Status, outcome: Optional[JobOutcome], message: str) -> Finished:
        output_dir = outcome.output_dir if outcome is not None and outcome.output_dir else job.output_dir
        return Finished(
            num=job.num,
            overrides=job.overrides,
            status=status,
            outcome=outcome,
            output_dir=output_dir,
            duration=time.monotonic() - job.started,
            message=message,
        )


def _defined_in_main(name: str, task: str) -> UsageError:
    what = f"the task {task}" if name == task.split(".")[0] else f"'{name}'"
    return UsageError(
        f"{what} is defined in __main__ (a notebook or a script run directly) and worker processes cannot import it",
        fix="move it into a .py module and import it, or run without n_jobs",
    )


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the job's process was killed by {name}"
    return f"the job's process exited with code {code}"
