"""What ``rerun`` runs again: a job's command, overrides and Hydra settings from its record, and
whether the code changed since it ran.

The command comes from the sweep's journal or the single run's ``.hydra/run.json``; the
overrides from the job's record, with each new override replacing a recorded one of the
same key. Settings of where and how the job ran (its run or sweep dir, mode, launcher and
sweeper) are left out: the job runs again once, in a new output dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from hydra_runner.errors import UsageError
from hydra_runner.journal.meta import CodeState, read_run_record
from hydra_runner.repro.diff import CodeDiff, compare_code
from hydra_runner.repro.records import CodeRecord, RecordedJob, locate_job

__all__ = ["Rerun", "plan_rerun"]

# Hydra overrides about where and how the job ran, not what it ran.
_PLACEMENT = ("hydra.run.", "hydra.sweep.", "hydra.mode", "hydra/launcher", "hydra.launcher",
              "hydra/sweeper", "hydra.sweeper", "hydra.job.num", "hydra.job.id")


@dataclass(frozen=True)
class Rerun:
    job: RecordedJob
    #: The interpreter that ran the job's command.
    python: str
    #: The hydra-runner command the job came from, without the interpreter (``run``/``multirun``, TARGET, ...).
    command: list[str]
    cwd: Path
    overrides: list[str]
    #: How the code now differs from the code the job ran; None when it is the same.
    code_changed: Optional[CodeDiff]


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def merge_overrides(recorded: Sequence[str], new: Sequence[str]) -> list[str]:
    """``recorded`` then ``new``, each new override replacing a recorded one of the same key."""
    replaced = {_key(override) for override in new}
    return [o for o in recorded if _key(o) not in replaced] + list(new)


def _hydra_overrides(job: RecordedJob) -> list[str]:
    recorded = job.hydra_config().overrides.hydra
    return [str(o) for o in recorded if not str(o).lstrip("+~").startswith(_PLACEMENT)]


def _recorded(job: RecordedJob) -> tuple[str, list[str], Path]:
    if job.sweep_dir is not None:
        from hydra_runner.journal.sqlite import SweepJournal

        with SweepJournal.open(job.sweep_dir) as journal:
            meta = journal.meta
    else:
        meta = read_run_record(str(job.directory / ".hydra")) or {}
    command = [str(arg) for arg in meta.get("command") or []]
    if len(command) < 4 or command[1:3] != ["-m", "hydra_runner"] or command[3] not in ("run", "multirun"):
        raise UsageError(f"{job.name} records no hydra-runner run or multirun command to run it again",
                         fix="rerun jobs that hydra-runner run or multirun started (it records their command)")
    return command[0], command[3:], Path(meta.get("cwd") or Path.cwd())


def plan_rerun(name: Union[str, Path], overrides: Sequence[str] = ()) -> Rerun:
    """How to run the job ``name`` names again with ``overrides`` added (see the module's docstring)."""
    job = locate_job(name)
    python, command, cwd = _recorded(job)
    if not cwd.is_dir():
        raise UsageError(f"{job.name} ran in {cwd}, which is gone", fix="rerun it from a copy of that project")
    now = CodeState(str(cwd)).ask()
    code = compare_code(job.code, CodeRecord(now.commit, now.dirty, now.patch))
    return Rerun(job, python, command, cwd, merge_overrides([*job.overrides, *_hydra_overrides(job)], overrides),
                 None if code.same else code)
