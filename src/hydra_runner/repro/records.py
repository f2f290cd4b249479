"""What a job or a sweep recorded, found from how the user names it.

A job is named by its output dir (``outputs/DATE/TIME``, ``multirun/DATE/TIME/N``) or as
``SWEEP_DIR#N``; a sweep by its dir. A job's record is its ``.hydra`` dir (composed config,
overrides), its sweep's journal entry when it ran in one (status, returned value) and the
code it ran: the sweep's commit and ``code.patch``, or a single run's ``.hydra/run.json`` and
``.hydra/code.patch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.journal.meta import PATCH_FILE, read_run_record
from hydra_runner.journal.sqlite import JOURNAL_FILE, JobRecord, SweepJournal

__all__ = ["CodeRecord", "RecordedJob", "RecordedSweep", "flatten", "locate", "locate_job"]

_NAMES = "a job dir (outputs/DATE/TIME, multirun/DATE/TIME/N), SWEEP_DIR#N, or a sweep dir"


@dataclass(frozen=True)
class CodeRecord:
    """The code a job or sweep ran: git commit, whether the tree was dirty, the uncommitted diff."""

    commit: Optional[str] = None
    dirty: Optional[bool] = None
    patch: Optional[str] = None

    @classmethod
    def read(cls, facts: Optional[dict[str, Any]], directory: Path) -> CodeRecord:
        facts = facts or {}
        patch_file = directory / PATCH_FILE
        patch = patch_file.read_text(encoding="utf-8", errors="surrogateescape") if patch_file.is_file() else None
        return cls(facts.get("git_commit"), facts.get("git_dirty"), patch)

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "dirty": self.dirty, "has_patch": self.patch is not None}


@dataclass(frozen=True)
class RecordedJob:
    """One job as its ``.hydra`` dir and its sweep's journal recorded it."""

    name: str
    directory: Path
    overrides: list[str]
    code: CodeRecord
    sweep_dir: Optional[Path] = None
    num: Optional[int] = None
    status: Optional[str] = None
    value: Any = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def patch_path(self) -> Path:
        """Where its ``code.patch`` is (or would be): in its sweep dir, or a single run's ``.hydra`` dir."""
        return self.sweep_dir / PATCH_FILE if self.sweep_dir else self.directory / ".hydra" / PATCH_FILE

    def config(self) -> dict[str, Any]:
        """The composed config (``.hydra/config.yaml``), flattened to dotted keys."""
        from omegaconf import OmegaConf

        loaded = OmegaConf.to_container(OmegaConf.load(self.directory / ".hydra" / "config.yaml"), resolve=False)
        return flatten(loaded)

    def hydra_config(self) -> Any:
        """The job's ``.hydra/hydra.yaml``: how Hydra ran it (config name and path, run dir)."""
        from omegaconf import OmegaConf

        return OmegaConf.load(self.directory / ".hydra" / "hydra.yaml").hydra


@dataclass(frozen=True)
class RecordedSweep:
    """A sweep as its journal recorded it."""

    sweep_dir: Path
    meta: dict[str, Any]
    records: list[JobRecord]
    code: CodeRecord

    @property
    def overrides(self) -> list[str]:
        """The sweep's own overrides (``multirun.yaml``), as its command line gave them."""
        from omegaconf import OmegaConf

        path = self.sweep_dir / "multirun.yaml"
        if not path.is_file():
            return []
        task = OmegaConf.select(OmegaConf.load(path), "hydra.overrides.task", default=[])
        return [str(item) for item in task]

    def job(self, num: int) -> RecordedJob:
        record = next((r for r in self.records if r.num == num), None)
        if record is None:
            nums = [r.num for r in self.records]
            span = f"jobs {min(nums)} to {max(nums)}" if nums else "no jobs"
            raise UsageError(f"{self.sweep_dir} has no job {num} (it has {span})",
                             fix=f"give a job number it has: {self.sweep_dir}#{nums[0] if nums else 0}")
        directory = self.sweep_dir / str(num)
        if record.directory:
            # Relative to where the sweep ran, which need not be here.
            directory = Path(self.meta.get("cwd") or ".") / record.directory
        if not (directory / ".hydra" / "config.yaml").is_file():
            raise UsageError(f"job {num} of {self.sweep_dir} has no .hydra record in {directory} "
                             f"(status {record.status.value})",
                             fix="give a job that ran; `hydra-runner results` lists them")
        return RecordedJob(
            name=f"{self.sweep_dir}#{num}", directory=directory, overrides=list(record.overrides),
            code=self.code, sweep_dir=self.sweep_dir, num=num, status=record.status.value,
            value=record.value, metrics=record.metrics(),
        )


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"a.b.c": leaf}``; lists stay whole values, as overrides write them."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict) and item:
            flat.update(flatten(item, name))
        else:
            flat[name] = item
    return flat


def _sweep(sweep_dir: Path) -> RecordedSweep:
    with SweepJournal.open(sweep_dir) as journal:
        meta, records = journal.meta, journal.jobs()
    return RecordedSweep(sweep_dir, meta, records, CodeRecord.read(meta, sweep_dir))


def locate(name: Union[str, Path]) -> Union[RecordedJob, RecordedSweep]:
    """The job or sweep ``name`` names (see the module's docstring), or a UsageError saying what it is not."""
    text = str(name)
    if "#" in text:
        where, _, num = text.rpartition("#")
        if not num.isdigit():
            raise UsageError(f"'{text}': the job number after # must be a whole number, not '{num}'",
                             fix="write SWEEP_DIR#N, for example multirun/2024-05-01/10-00-00#3")
        if not (Path(where) / JOURNAL_FILE).is_file():
            raise UsageError(f"{where} is not a sweep dir (no {JOURNAL_FILE})", fix=f"give {_NAMES}")
        return _sweep(Path(where)).job(int(num))
    path = Path(text)
    if not path.is_dir():
        raise UsageError(f"no directory {path}", fix=f"give {_NAMES}")
    if (path / ".hydra" / "config.yaml").is_file():
        return _job_dir(path)
    if (path / JOURNAL_FILE).is_file():
        return _sweep(path)
    raise UsageError(f"{path} is neither a job dir (no .hydra/config.yaml) nor a sweep dir (no {JOURNAL_FILE})",
                     fix=f"give {_NAMES}")


def locate_job(name: Union[str, Path]) -> RecordedJob:
    """Like :func:`locate`, refusing a sweep."""
    found = locate(name)
    if isinstance(found, RecordedSweep):
        raise UsageError(f"{name} is a sweep, not one job", fix=f"name one of its jobs: {name}#0")
    return found


def _job_dir(path: Path) -> RecordedJob:
    from omegaconf import OmegaConf

    parent = path.absolute().parent
    if (parent / JOURNAL_FILE).is_file():
        sweep = _sweep(parent)
        here = path.resolve()
        for record in sweep.records:
            if record.directory and Path(record.directory).resolve() == here:
                return sweep.job(record.num)
        if path.name.isdigit() and any(r.num == int(path.name) for r in sweep.records):
            return sweep.job(int(path.name))
    overrides = OmegaConf.load(path / ".hydra" / "overrides.yaml")
    return RecordedJob(name=str(path), directory=path, overrides=[str(o) for o in overrides],
                       code=CodeRecord.read(read_run_record(str(path / ".hydra")), path / ".hydra"))
