"""What a sweep's journal says about the sweep itself: command, versions, code state."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any, Optional, Sequence

__all__ = ["PATCH_FILE", "RUN_RECORD", "CodeState", "describe_sweep", "diff_stat", "read_run_record", "record_run"]

#: The uncommitted diff of the code a sweep or run ran, in its dir (only when the tree was dirty).
PATCH_FILE = "code.patch"
#: A single run's command, commit and dirtiness, in its ``.hydra`` dir (a sweep keeps them in its journal).
RUN_RECORD = "run.json"

def _git(cwd: str, *args: str, strip: bool = True) -> Optional[str]:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10,
                             encoding="utf-8", errors="surrogateescape")
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() if strip else out.stdout


class CodeState:
    """The git commit of a directory and whether its tracked files differ from it, asked once."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.commit: Optional[str] = None
        self.dirty: Optional[bool] = None
        #: ``git diff HEAD``: the tracked files' changes, set only when the tree is dirty.
        self.patch: Optional[str] = None
        self._asked: Optional[threading.Thread] = None

    def ask(self) -> CodeState:
        self.commit = _git(self.cwd, "rev-parse", "HEAD")
        if self.commit:
            # In a large repository this takes a while: worth asking ahead (HeadStart.ask_git).
            self.dirty = bool(_git(self.cwd, "status", "--porcelain", "--untracked-files=no"))
            if self.dirty:
                self.patch = _git(self.cwd, "diff", "HEAD", "--binary", strip=False)
        return self

    def ask_in_background(self) -> None:
        self._asked = threading.Thread(target=self.ask, name="hydra-runner-git", daemon=True)
        self._asked.start()

    def answer(self) -> CodeState:
        """The answer, once the question asked in the background (if any) has one."""
        if self._asked is not None:
            self._asked.join()
        return self

    def write_patch(self, directory: os.PathLike[str] | str) -> None:
        """Write the uncommitted diff to ``directory``/code.patch; remove a stale one when the tree was clean."""
        path = os.path.join(directory, PATCH_FILE)
        if self.patch:
            os.makedirs(directory, exist_ok=True)
            with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as file:
                file.write(self.patch)
        elif os.path.exists(path):
            os.remove(path)  # from an earlier sweep in the same dir: not this code's

    def facts(self) -> dict[str, Any]:
        """What the journal and a run's record keep: the commit and whether the tree was dirty."""
        return {"git_commit": self.commit, "git_dirty": self.dirty}


def diff_stat(cwd: str, commit: str) -> Optional[str]:
    """``git diff --stat COMMIT``: which files of the work tree differ from ``commit``, and by how much."""
    return _git(cwd, "diff", "--stat", commit)


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
        **code.facts(),
        "sweeper": sweeper,
        "launcher": launcher,
    }


def record_run(record_dir: str, code: CodeState, command: Sequence[str]) -> None:
    """Record how a single run ran beside Hydra's record of it (``record_dir``: its ``.hydra`` dir):
    ``run.json`` (the command that started it, the commit, a dirty tree) and ``code.patch``."""
    import json

    os.makedirs(record_dir, exist_ok=True)
    with open(os.path.join(record_dir, RUN_RECORD), "w", encoding="utf-8") as file:
        json.dump({"command": list(command), "cwd": code.cwd, **code.facts()}, file)
    code.write_patch(record_dir)


def read_run_record(record_dir: str) -> Optional[dict[str, Any]]:
    """What :func:`record_run` wrote in ``record_dir``; None if nothing (or nothing readable)."""
    import json

    try:
        with open(os.path.join(record_dir, RUN_RECORD), encoding="utf-8") as file:
            facts = json.load(file)
    except (OSError, ValueError):
        return None
    return facts if isinstance(facts, dict) else None
