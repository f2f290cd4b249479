"""What the ``hydra-runner`` process does about its surroundings: a reader that went away, SIGTERM.

A sweep's jobs and journal matter more than its terminal output. When stdout or stderr is
a pipe whose reader has gone (``multirun ... | head -2``), further output is dropped and the
sweep goes on. SIGTERM (how Slurm asks a job to stop, or preempts it) stops the sweep as a
second Ctrl-C does: running jobs are stopped and recorded as interrupted, so ``resume``
finishes them; the process then exits with 143, as one ended by SIGTERM does.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, TextIO

from hydra_runner.cli._exit import ExitPlan

__all__ = ["DroppingStream", "EXIT_TERMINATED", "Surroundings"]

EXIT_TERMINATED = 128 + signal.SIGTERM


class DroppingStream:
    """A text stream that drops what it cannot write once its pipe's reader is gone, instead of raising."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        #: Whether the reader went away (everything written since was dropped).
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.reader_gone = True
        # What the stream still buffers is flushed again later (at exit at the latest): into
        # /dev/null, where that succeeds, rather than into the broken pipe.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Surroundings:
    """Installed by the command in a process that is its own: streams that survive a closed pipe, and SIGTERM."""

    def __init__(self, plan: ExitPlan) -> None:
        self.plan = plan

    def install(self) -> None:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not None and not isinstance(stream, DroppingStream):
                setattr(sys, name, DroppingStream(stream))
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def exit_code(self, code: int) -> int:
        """The command's exit code, as a process ended by SIGTERM reports it when that is why it ended."""
        from hydra_runner.cli._errors import EXIT_INTERRUPTED

        return EXIT_TERMINATED if self.plan.terminated and code == EXIT_INTERRUPTED else code

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        # A sweep's slot loop counts it as a second Ctrl-C while it runs; anywhere else the
        # run stops as Ctrl-C stops it (a job running in this process is recorded as interrupted).
        self.plan.terminated = True
        raise KeyboardInterrupt
