"""What a sweep's journal says about the sweep itself: command, versions, code state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any, Optional, Sequence

__all__ = ["describe_sweep", "set_command"]

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


def describe_sweep(*, sweeper: str, launcher: str) -> dict[str, Any]:
    import hydra

    from hydra_runner import __version__

    cwd = os.getcwd()
    commit = _git(cwd, "rev-parse", "HEAD")
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {
        "command": current_command(),
        "cwd": cwd,
        "created": time.time(),
        "hydra_runner_version": __version__,
        "hydra_version": hydra.__version__,
        "python": sys.version.split()[0],
        "git_commit": commit,
        "git_dirty": bool(status) if commit else None,
        "sweeper": sweeper,
        "launcher": launcher,
    }
