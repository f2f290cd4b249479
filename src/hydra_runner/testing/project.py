"""A throw-away project directory, the hydra-runner CLI run inside it, and its sweep journal read back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hydra_runner.journal import Status, SweepJournal, latest_sweep

__all__ = ["Project", "Result", "count", "journal_of", "start_sweep", "statuses", "wait_for"]


@dataclass
class Result:
    code: int
    out: str
    err: str


# Hydra 1.4 warns, where @hydra.main is applied, that version_base is deprecated; the test apps keep
# version_base="1.3" for Hydra 1.3, and the tests read what hydra-runner prints.
VERSION_BASE_DEPRECATION = "ignore:The version_base parameter is deprecated"


class Project:
    """A throw-away project directory with files, and the hydra-runner CLI run inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str]) -> "Project":
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return self

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "hydra_runner", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": "", "PYTHONWARNINGS": VERSION_BASE_DEPRECATION, **(env or {})},
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def python(self, *args: str, timeout: float = 120) -> Result:
        proc = subprocess.run([sys.executable, *args], cwd=self.root, capture_output=True, text=True, timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)


def journal_of(project: Project) -> SweepJournal:
    sweep = latest_sweep(project.root)
    assert sweep is not None, "no sweep was recorded"
    return SweepJournal.open(sweep)


def statuses(project: Project) -> dict[int, Status]:
    with journal_of(project) as journal:
        return {job.num: job.status for job in journal.jobs()}


def count(project: Project, status: Status) -> int:
    if latest_sweep(project.root) is None:
        return 0
    return sum(1 for s in statuses(project).values() if s is status)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def start_sweep(project: Project, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``hydra-runner multirun ARGS`` in its own session (so the test can signal its group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "hydra_runner", "multirun", *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": "", "PYTHONWARNINGS": VERSION_BASE_DEPRECATION, **(env or {})},
        start_new_session=True,
    )
