"""What a sweep's journal says about the sweep itself: command, versions, code state."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any, Optional, Sequence

__all__ = ["describe_sweep", "prefetch_code_state", "set_command"]

_command: Optional[list[str]] = None


def set_command(argv: Sequence[str]) -> None:
    """Record the command that runs hydra-runner (``resume`` runs it again)."""
    global _command
    _command = list(argv)


def current_command() -> list[str]:
    """The command to run this sweep again: the CLI's when it set one, else this interpreter's."""
    if _command is not None:
        return list(_command)
    return [sys.executable, *sys.argv]


def _git(cwd: str, *args: str) -> Optional[str]:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


class _CodeState:
    """The git commit of a directory and whether its tracked files differ from it, asked once."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.commit: Optional[str] = None
        self.dirty: Optional[bool] = None
        self._asked: Optional[threading.Thread] = None

    def ask(self) -> _CodeState:
        self.commit = _git(self.cwd, "rev-parse", "HEAD")
        if self.commit:
            # In a large repository this takes a while: worth asking ahead (prefetch_code_state).
            self.dirty = bool(_git(self.cwd, "status", "--porcelain", "--untracked-files=no"))
        return self

    def ask_in_background(self) -> None:
        self._asked = threading.Thread(target=self.ask, name="hydra-runner-git", daemon=True)
        self._asked.start()

    def answer(self) -> _CodeState:
        assert self._asked is not None
        self._asked.join()
        return self


_prefetched: Optional[_CodeState] = None


def prefetch_code_state(cwd: str) -> None:
    """Start asking git about ``cwd`` now, for a sweep that will describe itself soon (describe_sweep)."""
    global _prefetched
    _prefetched = _CodeState(cwd)
    _prefetched.ask_in_background()


def _code_state(cwd: str) -> _CodeState:
    global _prefetched
    prefetched, _prefetched = _prefetched, None
    if prefetched is not None and prefetched.cwd == cwd:
        return prefetched.answer()
    return _CodeState(cwd).ask()


def describe_sweep(*, sweeper: str, launcher: str) -> dict[str, Any]:
    import hydra

    from hydra_runner import __version__

    cwd = os.getcwd()
    code = _code_state(cwd)
    return {
        "command": current_command(),
        "cwd": cwd,
        "created": time.time(),
        "hydra_runner_version": __version__,
        "hydra_version": hydra.__version__,
        "python": sys.version.split()[0],
        "git_commit": code.commit,
        "git_dirty": code.dirty,
        "sweeper": sweeper,
        "launcher": launcher,
    }
