"""``resume``: finish a sweep in its own dir, running only what did not succeed.

Resuming is recorded in the journal itself: :func:`resume_sweep` marks the journal
(``resume_requested``), then runs the sweep's recorded command again with its sweep dir
pinned. The sweep that opens a journal so marked continues it (:class:`~.recorder.SweepRecorder`)
instead of starting afresh, and answers the jobs that already succeeded from it
(:func:`already_succeeded`), so each job succeeds exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.utils import JobStatus

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.result import JobResult
from hydra_runner.journal.index import resolve_sweep_dir
from hydra_runner.journal.sqlite import SweepJournal

__all__ = ["CWD_FROM_SWEEP", "RESUME_REQUESTED", "already_succeeded", "command_cwd", "is_requested", "resume_command",
           "resume_sweep"]

#: The journal's meta key saying that the next sweep to open it continues it.
RESUME_REQUESTED = "resume_requested"
#: The meta key holding the directory the sweep's command ran in, relative to the sweep dir
#: (when the sweep dir is inside it): a copied or moved project resumes in its own place.
CWD_FROM_SWEEP = "cwd_from_sweep"


def command_cwd(journal: SweepJournal) -> Path:
    """Where the sweep's command runs again: where it ran, as seen from where the sweep is now."""
    relative = journal.meta.get(CWD_FROM_SWEEP)
    if relative is not None:
        moved = Path(os.path.normpath(journal.sweep_dir.absolute() / relative))
        if moved.is_dir():
            return moved
    return Path(journal.meta["cwd"])


def resume_command(journal: SweepJournal, extra: Sequence[str] = ()) -> list[str]:
    """The sweep's command again, with its sweep dir pinned (and ``extra`` arguments, e.g. ``-j 4``).

    An interpreter inside the project (its ``.venv``) is the moved project's own, when that exists.
    """
    command = [arg for arg in journal.meta["command"] if not arg.startswith("hydra.sweep.dir=")]
    was, now = Path(journal.meta["cwd"]), command_cwd(journal)
    if command and now != was and Path(command[0]).is_relative_to(was):
        moved = now / Path(command[0]).relative_to(was)
        if moved.exists():
            command[0] = str(moved)
    if extra and command[1:3] != ["-m", "hydra_runner"]:
        raise UsageError(f"{' '.join(extra)} apply to sweeps started by the hydra-runner command; "
                         f"this one was started by {' '.join(command[:2])}",
                         fix="resume it without launcher flags (set them in its config instead)")
    quoted = str(journal.sweep_dir).replace("\\", "\\\\").replace("'", "\\'")
    return [*command, *extra, f"hydra.sweep.dir='{quoted}'"]


def resume_sweep(sweep_dir: Optional[str] = None, extra: Sequence[str] = ()) -> int:
    """Run the unfinished jobs of a sweep (default: the latest); returns the command's exit code.

    Jobs still on a cluster (``--no-wait``) are the caller's to collect first
    (:func:`hydra_runner.api.resume`).
    """
    path = resolve_sweep_dir(sweep_dir).absolute()
    with SweepJournal.open(path) as journal:
        if journal.is_running_elsewhere():
            raise UsageError(f"the sweep in {path} is still running in another process", fix="wait for it to end")
        command = resume_command(journal, extra)
        cwd = command_cwd(journal)
        journal.mark_interrupted()
        journal.set_meta(RESUME_REQUESTED, True)
    try:
        return _run_passing_sigterm(command, cwd)
    finally:
        # A command that failed before it opened the journal leaves no request behind.
        with SweepJournal.open(path) as journal:
            journal.set_meta(RESUME_REQUESTED, False)


def _run_passing_sigterm(command: list[str], cwd: Path) -> int:
    """Run the sweep's command to its end; SIGTERM and Ctrl-C for this process go on to the sweep.

    The sweep then stops as it stops for them (the first Ctrl-C lets running jobs finish,
    SIGTERM records them as interrupted) instead of being killed with this process. A
    terminal sends Ctrl-C to both processes already: then it is not passed on a second time.
    """
    proc = subprocess.Popen(command, cwd=cwd)
    if threading.current_thread() is not threading.main_thread():
        return proc.wait()
    terminal_reaches_it = _in_terminal_foreground()

    def pass_on(signum: int, frame: Any) -> None:
        if signum != signal.SIGINT or not terminal_reaches_it:
            proc.send_signal(signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _in_terminal_foreground() -> bool:
    """Whether this process's group is a terminal's foreground group (which Ctrl-C reaches whole)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, AttributeError, ValueError):
        return False


def is_requested(journal: SweepJournal) -> bool:
    return bool(journal.meta.get(RESUME_REQUESTED))


def already_succeeded(journal: SweepJournal, jobs: Sequence[JobSpec]) -> dict[int, JobResult]:
    """Results of ``jobs`` that succeeded before this resume, read back from the journal.

    A job whose overrides differ from the recorded ones means the command or the config
    files changed since: resuming would mix two sweeps, so it is refused.
    """
    nums = [num for num, _ in jobs]
    records = {record.num: record for record in journal.jobs_between(min(nums), max(nums) + 1)} if nums else {}
    done: dict[int, JobResult] = {}
    for num, overrides in jobs:
        record = records.get(num)
        if record is None or not record.status.finished_well:
            continue
        if list(record.overrides) != list(overrides):
            raise UsageError(
                f"job #{num} of the resumed sweep has overrides {list(overrides)}, "
                f"but the journal recorded {record.overrides}",
                fix="resume with the original command and config files, or start a new sweep",
            )
        done[num] = JobResult(overrides=list(overrides), working_dir=record.directory, status=JobStatus.COMPLETED,
                              _return_value=record.value)
    return done
