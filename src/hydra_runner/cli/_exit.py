"""Ending the ``hydra-runner`` process: skipping the interpreter's teardown where it does nothing.

Tearing the interpreter down (freeing every module and object one by one) takes 0.05 to
0.2 s once Hydra, OmegaConf and Optuna are loaded. Its only effect anyone could see is
finalizers doing work, such as a file a task left open flushing its buffer. A sweep whose
tasks ran in other processes, with only hydra-runner's sweepers and callbacks here, leaves
none (:attr:`hydra_runner.run_context.RunContext.only_own_code_ran`): the command then ends
the process as soon as its atexit handlers have run.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn, Optional

__all__ = ["ExitPlan"]


class ExitPlan:
    """How this process ends; the click context carries it (``ctx.obj``) to the command that knows."""

    def __init__(self) -> None:
        self.code: Optional[int] = None
        #: Set by a command after a run in which only hydra-runner's own code ran here.
        self.skip_teardown = False
        #: Set when SIGTERM stopped the command (it then exits with 143, as a process SIGTERM ends).
        self.terminated = False

    def install(self) -> None:
        """Be the first atexit handler, so that every other one has run when this one ends the process.

        A handler registered earlier (a ``.pth`` hook such as coverage's) would run after this
        one, that is never: then the teardown is left alone.
        """
        registered = getattr(atexit, "_ncallbacks", None)
        if registered is not None and registered() == 0:
            atexit.register(self._end_now)

    def exit(self, code: int) -> NoReturn:
        """``sys.exit(code)``: atexit handlers run, and the teardown after them is skipped if allowed."""
        self.code = code
        sys.exit(code)

    def _end_now(self) -> None:
        # A thread still alive (a daemon one: others were joined before atexit) may be writing.
        if self.code is None or not self.skip_teardown or threading.active_count() > 1:
            return
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe or stream: nothing more reaches it anyway
                pass
        os._exit(self.code)
