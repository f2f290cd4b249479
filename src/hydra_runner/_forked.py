"""Helper processes forked from the CLI before it runs any user code: pool workers, the study process.

A child forked here starts with what the parent imported (Hydra, hydra-runner) and
nothing else: it gets its own session, closes the parent's ends of every pipe to the
children forked before it, and talks to the parent over two pipes of its own. Forking is
only safe while the parent has a single thread; callers check :func:`can_fork`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import threading
import time
import types
from multiprocessing.connection import Connection
from typing import Callable, Mapping, Optional, TypeVar

__all__ = ["ForkedChild", "can_fork", "fork_child", "helper_ends", "open_pipes"]

# The parent's ends of the pipes to every child forked so far: a later child must not hold them.
_parent_ends: list[Connection] = []

ChildHandle = TypeVar("ChildHandle")


class ForkedChild:
    """A forked child, seen through the part of ``Popen`` hydra-runner uses."""

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
        if self.poll() is None:
            _wait_for_exit(self.pid, timeout)
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"process {self.pid}", timeout)
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


def _wait_for_exit(pid: int, timeout: float) -> None:
    """Return when ``pid`` exits or after ``timeout`` seconds; at once where Linux has no pidfd.

    A sweep stops its helpers as it ends: polling them would add milliseconds to every exit.
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return
    try:
        select.select([fd], [], [], timeout)
    finally:
        os.close(fd)


def can_fork() -> bool:
    """Whether this process may fork a helper now (Linux, and no thread but this one)."""
    return sys.platform == "linux" and threading.active_count() == 1


def open_pipes(
    launch: Callable[[int, int, tuple[int, int]], ChildHandle],
) -> tuple[ChildHandle, Connection, Connection]:
    """Two pipes, a child started with its ends by ``launch``; the child, and this process's ends.

    ``launch(child_reads, child_writes, parent_ends)`` starts the child and returns its handle.
    """
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    child = launch(to_child_r, from_child_w, (to_child_w, from_child_r))
    os.close(to_child_r)
    os.close(from_child_w)
    return child, Connection(from_child_r, writable=False), Connection(to_child_w, readable=False)


def fork_child(serve: Callable[[int, int], None], cwd: str,
               environment: Optional[Mapping[str, str]] = None) -> tuple[ForkedChild, Connection, Connection]:
    """Fork a child that runs ``serve(reads, writes)`` in ``cwd`` and never returns; see the module."""

    def launch(reads: int, writes: int, parent_ends: tuple[int, int]) -> ForkedChild:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _become_child(serve, cwd, environment or {}, keep=(reads, writes), drop=parent_ends)
        return ForkedChild(pid)

    child, inbox, outbox = open_pipes(launch)
    _parent_ends.extend((inbox, outbox))
    return child, inbox, outbox


def _become_child(serve: Callable[[int, int], None], cwd: str, environment: Mapping[str, str],
                  keep: tuple[int, int], drop: tuple[int, int]) -> None:
    """The forked child's whole life: set up as ``python -c`` would be, serve, and never return."""
    code = 1
    try:
        # Its own session: Ctrl-C in the terminal reaches the parent only.
        os.setsid()
        # SIGTERM ends it, as it ends a spawned child: the parent's handler stops a sweep, not a job.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in drop:
            os.close(fd)
        for end in _parent_ends:
            end.close()
        _parent_ends.clear()
        os.environ.update(environment)
        os.chdir(cwd)
        # A spawned child's __main__ is its `-c` code; the CLI's script must not stand in for it.
        sys.modules["__main__"] = types.ModuleType("__main__")
        serve(*keep)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def helper_ends(reads: int, writes: int) -> tuple[Connection, Connection]:
    """What a helper does first: die with its parent, leave Ctrl-C to it, and open its two pipe ends.

    The parent decides what a Ctrl-C stops (a running job finishes, a study is still told).
    """
    with contextlib.suppress(Exception):  # Linux: the kernel kills this process when the parent dies
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return Connection(reads, writable=False), Connection(writes, readable=False)
