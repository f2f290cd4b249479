"""Ending the ``hydra-runner`` process: skipping the interpreter's teardown where it does nothing."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn, Optional

from hydra_runner import _teardown

__all__ = ["exit_with", "install"]

_code: Optional[int] = None


def install() -> None:
    """Be the first atexit handler, so that every other one has run when this one ends the process.

    A handler registered earlier (a ``.pth`` hook such as coverage's) would run after this
    one, that is never: then the teardown is left alone.
    """
    registered = getattr(atexit, "_ncallbacks", None)
    if registered is not None and registered() == 0:
        atexit.register(_end_now)


def exit_with(code: int) -> NoReturn:
    """``sys.exit(code)``: atexit handlers run, and the teardown after them is skipped if allowed."""
    global _code
    _code = code
    sys.exit(code)


def _end_now() -> None:
    # A thread still alive (a daemon one: others were joined before atexit) may be writing.
    if _code is None or not _teardown.may_skip() or threading.active_count() > 1:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more reaches it anyway
            pass
    os._exit(_code)
