"""How a pool's worker processes start: spawned as ``python -c``, or forked, ahead or on demand.

A spawned worker is a fresh interpreter that imports Hydra itself. The CLI instead calls
:func:`prestart` as soon as it has read ``-j``, before it imports the task: on Linux, while
it still has one thread, it forks the workers from there, so they begin with Hydra already
imported. Either way a worker has its own session, its slot's devices in its environment,
a ``__main__`` of its own, and only its own two pipe ends; the task is imported later, by
the worker, after the bootstrap. :class:`~._pool.WorkerPool` adopts workers started ahead
for its slots and spawns the rest (and every replacement).
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Callable, Optional, Sequence, Union

from hydra_runner.launchers.pool._slots import Slot

__all__ = ["WorkerProcess", "prestart", "start_worker"]

_WORKER_CODE = "from hydra_runner.launchers.pool._worker import main; main()"


class _ForkedChild:
    """A worker forked from this process, seen through the part of ``Popen`` the pool uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        if timeout is None:
            while self.returncode is None:
                self._reap(0)
            return self.returncode
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(0.005)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _reap(self, flags: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # reaped elsewhere: its code is lost
            self.returncode = -signal.SIGKILL
            return
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)


Handle = Union["subprocess.Popen[bytes]", _ForkedChild]


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

        return cls._start(slot, cwd, launch)

    @classmethod
    def fork(cls, slot: Slot, cwd: str) -> WorkerProcess:
        """A worker forked from this process: what :meth:`spawn` starts, without a new interpreter.

        Only while this process has run no user code and has no other thread (see
        :func:`prestart`): the child then holds nothing but imported modules, and imports the
        task itself after its devices are set, as a spawned worker does.
        """
        def launch(inbox: int, outbox: int, parent_ends: tuple[int, int]) -> Handle:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _become_worker(slot, cwd, keep=(inbox, outbox), drop=parent_ends)
            return _ForkedChild(pid)

        return cls._start(slot, cwd, launch)

    @classmethod
    def _start(cls, slot: Slot, cwd: str, launch: Callable[[int, int, tuple[int, int]], Handle]) -> WorkerProcess:
        """Two pipes, the worker started with its ends (``launch``), and this process's ends kept."""
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        proc = launch(to_worker_r, from_worker_w, (to_worker_w, from_worker_r))
        os.close(to_worker_r)
        os.close(from_worker_w)
        return cls(slot, cwd, proc, Connection(from_worker_r, writable=False), Connection(to_worker_w, readable=False))


def _become_worker(slot: Slot, cwd: str, keep: tuple[int, int], drop: tuple[int, int]) -> None:
    """The forked child's whole life: set up as ``python -c`` would be, serve, and never return."""
    code = 1
    try:
        os.setsid()
        for fd in drop:
            os.close(fd)
        for sibling in _prestarted:  # the parent's ends of the pipes of workers forked before this one
            sibling.inbox.close()
            sibling.outbox.close()
        _prestarted.clear()
        os.environ.update(slot.environment())
        os.chdir(cwd)
        # A spawned worker's __main__ is its `-c` code; the CLI's script must not stand in for it.
        sys.modules["__main__"] = types.ModuleType("__main__")
        from hydra_runner.launchers.pool._worker import serve

        serve(*keep)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


# Workers started before their pool exists (see prestart), by slot.
_prestarted: list[WorkerProcess] = []


def prestart(slots: Sequence[Slot]) -> None:
    """Start worker processes for ``slots`` now; a pool started later in this process adopts them.

    A spawned worker spends most of its start-up importing Hydra. Called when the command
    line is read, before the task is imported, this process can instead import what workers
    need once and fork them (on Linux, and only while it has a single thread): they begin
    warm, and their start-up no longer competes for the cores with the parent's composition.
    """
    cwd = os.getcwd()
    start = WorkerProcess.spawn
    if sys.platform == "linux" and threading.active_count() == 1:
        from hydra_runner.launchers.pool._worker import warm_up_parsers

        warm_up_parsers()  # once here, for this process and every worker forked from it
        start = WorkerProcess.fork
    _prestarted.extend(start(slot, cwd) for slot in slots)
    atexit.register(_discard_prestarted)


def _take_prestarted(slot: Slot, cwd: str) -> Optional[WorkerProcess]:
    for process in _prestarted:
        if process.slot == slot and process.cwd == cwd and process.proc.poll() is None:
            _prestarted.remove(process)
            return process
    return None


def _discard_prestarted() -> None:
    while _prestarted:
        process = _prestarted.pop()
        process.proc.kill()  # it holds no job: nothing to lose
        process.proc.wait()
        process.outbox.close()
        process.inbox.close()


def start_worker(slot: Slot, cwd: str) -> WorkerProcess:
    """A worker for ``slot``: one started ahead for it if there is one, else a new one."""
    return _take_prestarted(slot, cwd) or WorkerProcess.spawn(slot, cwd)
