"""What a sweep's journal says about the sweep itself: command, versions, code state."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any, Optional, Sequence

__all__ = ["CodeState", "describe_sweep"]

def _git(cwd: str, *args: str) -> Optional[str]:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


class CodeState:
    """The git commit of a directory and whether its tracked files differ from it, asked once."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.commit: Optional[str] = None
        self.dirty: Optional[bool] = None
        self._asked: Optional[threading.Thread] = None

    def ask(self) -> CodeState:
        self.commit = _git(self.cwd, "rev-parse", "HEAD")
        if self.commit:
            # In a large repository this takes a while: worth asking ahead (HeadStart.ask_git).
            self.dirty = bool(_git(self.cwd, "status", "--porcelain", "--untracked-files=no"))
        return self

    def ask_in_background(self) -> None:
        self._asked = threading.Thread(target=self.ask, name="hydra-runner-git", daemon=True)
        self._asked.start()

    def answer(self) -> CodeState:
        """The answer, once the question asked in the background (if any) has one."""
        if self._asked is not None:
            self._asked.join()
        return self


def describe_sweep(*, sweeper: str, launcher: str, command: Sequence[str],
                   code: Optional[CodeState] = None) -> dict[str, Any]:
    """The journal's record of a sweep: ``command`` runs it again; ``code``: git's answer if asked ahead."""
    import hydra

    from hydra_runner import __version__

    cwd = os.getcwd()
    code = code or CodeState(cwd).ask()
    return {
        "command": list(command),
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
