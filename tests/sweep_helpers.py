"""Reading a test project's sweep journal, and starting a sweep to kill or interrupt it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Callable

from hydra_runner.journal import Status, SweepJournal, latest_sweep

from .conftest import Project


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
        env={**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": "", **(env or {})},
        start_new_session=True,
    )
