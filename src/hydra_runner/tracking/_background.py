"""Calls to a tracking store made one after another on a thread of their own.

A sweep's tracker makes several requests per job; made where the sweep is scheduled, each
would hold up the next job. Queued here, they run in the order they were made while the
sweep goes on, and the sweep waits for them only at its end.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable, Optional

__all__ = ["InOrder"]


class InOrder:
    """Runs the callables given to :meth:`call` in order, on one daemon thread."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Optional[Callable[[], None]]] = queue.SimpleQueue()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` after every call made before it (a callable that never raises)."""
        if os.getpid() != self._pid:  # a process forked from the sweep's: the thread is not here
            fn()
            return
        self._calls.put(fn)

    def wait(self) -> None:
        """Return once every call made so far has run."""
        if os.getpid() != self._pid:
            return
        done = threading.Event()
        self._calls.put(done.set)
        while not done.wait(0.5):
            if not self._thread.is_alive():  # the interpreter is shutting down
                return

    def close(self) -> None:
        """Run every call made so far, then end the thread (a notebook may run many sweeps)."""
        if os.getpid() != self._pid:
            return
        self._calls.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while (fn := self._calls.get()) is not None:
            fn()
