"""How a pool's worker processes start: spawned as ``python -c``, or forked, ahead or on demand.

A spawned worker is a fresh interpreter that imports Hydra itself. The CLI instead calls
:func:`start_ahead` as soon as it has read ``-j``, before it imports the task: on Linux, while
it still has one thread, it forks the workers from there, so they begin with Hydra already
imported. Either way a worker has its own session, its slot's devices in its environment,
a ``__main__`` of its own, and only its own two pipe ends; the task is imported later, by
the worker, after the bootstrap. :class:`~._pool.WorkerPool` adopts workers started ahead
for its slots and spawns the rest (and every replacement).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Sequence, Union

from hydra_runner._forked import ForkedChild, can_fork, fork_child, open_pipes
from hydra_runner.launchers.pool._slots import Slot

__all__ = ["WorkerProcess", "start_ahead"]

_WORKER_CODE = "from hydra_runner.launchers.pool._worker import main; main()"


Handle = Union["subprocess.Popen[bytes]", ForkedChild]


@dataclass
class WorkerProcess:
    """A worker process that has not been given its task yet."""

    slot: Slot
    cwd: str
    proc: Handle
    inbox: Connection  # the parent reads
    outbox: Connection  # the parent writes

    @classmethod
    def spawn(cls, slot: Slot, cwd: str) -> WorkerProcess:
        def launch(inbox: int, outbox: int, parent_ends: tuple[int, int]) -> Handle:
            return subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(inbox), str(outbox)],
                pass_fds=(inbox, outbox),
                env=dict(os.environ, **slot.environment()),
                cwd=cwd,
                # Its own session: Ctrl-C in the terminal reaches the parent only, and a job's
                # timeout kills the worker's whole process group (the job's children too).
                start_new_session=True,
            )

        proc, inbox, outbox = open_pipes(launch)
        return cls(slot, cwd, proc, inbox, outbox)

    @classmethod
    def fork(cls, slot: Slot, cwd: str) -> WorkerProcess:
        """A worker forked from this process: what :meth:`spawn` starts, without a new interpreter.

        Only while this process has run no user code and has no other thread (see
        :func:`start_ahead`): the child then holds nothing but imported modules, and imports the
        task itself after its devices are set, as a spawned worker does.
        """
        from hydra_runner.launchers.pool._worker import serve

        proc, inbox, outbox = fork_child(serve, cwd, slot.environment())
        return cls(slot, cwd, proc, inbox, outbox)

    def discard(self) -> None:
        """End a worker never given a task: it holds no job, nothing is lost."""
        self.proc.kill()
        self.proc.wait()
        self.outbox.close()
        self.inbox.close()


def start_ahead(slots: Sequence[Slot]) -> list[WorkerProcess]:
    """Worker processes for ``slots``, started now for a pool that will adopt them (:class:`~hydra_runner.run_context.HeadStart`).

    A spawned worker spends most of its start-up importing Hydra. Called when the command
    line is read, before the task is imported, this process can instead import what workers
    need once and fork them (on Linux, and only while it has a single thread): they begin
    warm, and their start-up no longer competes for the cores with the parent's composition.
    """
    cwd = os.getcwd()
    start = WorkerProcess.spawn
    if can_fork():
        from hydra_runner import _compat
        from hydra_runner.jobs.runner import warm_up_parsers

        # Once here, for this process and every worker forked from it: the cores are then
        # not shared with every worker scanning Hydra's plugins while this one composes.
        warm_up_parsers()
        _compat.plugins()
        if can_fork():  # a plugin module may have started a thread
            start = WorkerProcess.fork
    return [start(slot, cwd) for slot in slots]
