"""One sweep's journal in SQLite.

Only the process that schedules jobs writes (pool workers never touch the database), every
state change is its own transaction, and the database runs in WAL mode: a runner killed at
any moment leaves a journal that opens and is right about every job that finished.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import Status

__all__ = ["JOURNAL_FILE", "JobRecord", "Status", "SweepBusy", "SweepJournal", "encode_value"]

JOURNAL_FILE = "journal.sqlite"
_LOCK_FILE = JOURNAL_FILE + ".lock"
# The sweep's key holding how many jobs a streamed grid will enter in all.
_PLANNED = "planned_jobs"


# Sweep dirs whose lock this process holds: flock would also refuse a second lock taken here.
_HELD_HERE: set[Path] = set()


class SweepBusy(RuntimeError):
    """The sweep is being run by another process (or, ``here``, by this one)."""

    def __init__(self, sweep_dir: Path, *, here: bool = False) -> None:
        where = "this process" if here else "another process"
        super().__init__(f"the sweep in {sweep_dir} is running in {where}")
        self.sweep_dir = sweep_dir
        self.here = here

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweep (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    num INTEGER PRIMARY KEY,
    overrides TEXT NOT NULL,
    status TEXT NOT NULL,
    directory TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    ended REAL,
    worker TEXT,
    slot TEXT,
    value_json TEXT,
    value_repr TEXT,
    error TEXT
);
"""


@dataclass(frozen=True)
class JobRecord:
    num: int
    overrides: list[str]
    status: Status
    directory: Optional[str]
    attempts: int
    started: Optional[float]
    ended: Optional[float]
    worker: Optional[str]
    slot: Optional[str]
    value: Any
    value_repr: Optional[str]
    error: Optional[str]

    @property
    def duration(self) -> Optional[float]:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    def metrics(self) -> dict[str, float]:
        """The job's numeric results: a number as ``value``, a mapping's numeric entries by key."""
        value = self.value
        if isinstance(value, bool):
            return {}
        if isinstance(value, (int, float)):
            return {"value": float(value)}
        if isinstance(value, Mapping):
            return {
                str(k): float(v) for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        return {}


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data, or raise ``TypeError``; numpy scalars and OmegaConf containers included."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value if not isinstance(value, float) or math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)  # numpy / torch scalars and 0-d arrays
    if callable(item) and getattr(value, "ndim", None) == 0:
        return _plain(item())
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(value, (DictConfig, ListConfig)):
        return _plain(OmegaConf.to_container(value, resolve=True))
    raise TypeError(f"{type(value).__name__} is not JSON data")


def encode_value(value: Any) -> tuple[Optional[str], str]:
    """A return value as (JSON or None when it is not JSON data, readable text)."""
    text = repr(value)
    if len(text) > 2000:
        text = text[:2000] + "…"
    try:
        return json.dumps(_plain(value)), text
    except (TypeError, ValueError, RecursionError):
        return None, text


_JOB_COLUMNS = "num, overrides, status, directory, attempts, started, ended, worker, slot, value_json, value_repr, error"


def _record(row: tuple[Any, ...]) -> JobRecord:
    num, overrides, status, directory, attempts, started, ended, worker, slot, value_json, value_repr, error = row
    return JobRecord(
        num=num,
        overrides=json.loads(overrides),
        status=Status(status),
        directory=directory,
        attempts=attempts,
        started=started,
        ended=ended,
        worker=worker,
        slot=slot,
        value=None if value_json is None else json.loads(value_json),
        value_repr=value_repr,
        error=error,
    )


def damaged_journal(path: Path, error: sqlite3.DatabaseError) -> UsageError:
    """The error for a journal that SQLite cannot read (corrupt, empty, cut short)."""
    return UsageError(f"the sweep journal {path} cannot be read: {error}",
                      fix=f"the jobs' outputs in {path.parent} are untouched; move the damaged journal aside "
                          f"(mv {path} {path}.damaged) and run the sweep again, or restore the file from a backup")


class SweepJournal:
    """The journal of the sweep whose output directory is ``sweep_dir``."""

    def __init__(self, sweep_dir: os.PathLike[str] | str, *, create: bool = False) -> None:
        self.sweep_dir = Path(sweep_dir).absolute()
        self.path = self.sweep_dir / JOURNAL_FILE
        if not create and not self.path.exists():
            raise FileNotFoundError(f"no sweep journal at {self.path}")
        if create:
            self.sweep_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd: Optional[int] = None
        new = create and not self.path.exists()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        except sqlite3.DatabaseError as e:  # a dir where the file should be, or no permission
            raise damaged_journal(self.path, e) from e
        if new:
            # A journal being made holds nothing to lose yet: no waiting for the disk (a dozen
            # syncs, 20 ms while a sweep's workers start) on the way to the first job.
            self._db.execute("PRAGMA synchronous=OFF")
        if create:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        # From here on, a record survives this process being killed, as SQLite's WAL mode keeps it.
        try:
            self._db.execute("PRAGMA synchronous=NORMAL")
            if not create:
                # Reads every page of the jobs table: a journal cut short fails here, not halfway through a command.
                self._db.execute("SELECT (SELECT count(*) FROM sweep), (SELECT count(*) FROM jobs)").fetchone()
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise damaged_journal(self.path, e) from e

    @classmethod
    def open(cls, sweep_dir: os.PathLike[str] | str) -> SweepJournal:
        return cls(sweep_dir)

    @classmethod
    def create(cls, sweep_dir: os.PathLike[str] | str, meta: Mapping[str, Any]) -> SweepJournal:
        """Open the journal of ``sweep_dir``, creating it; ``meta`` fills keys not yet set."""
        journal = cls(sweep_dir, create=True)
        with journal._db:
            journal._db.executemany(
                "INSERT OR IGNORE INTO sweep (key, value) VALUES (?, ?)",
                [(key, json.dumps(value)) for key, value in meta.items()],
            )
        return journal

    def close(self) -> None:
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
            _HELD_HERE.discard(self.sweep_dir)

    # -- who runs the sweep ------------------------------------------------------------------

    def acquire(self) -> None:
        """Mark this process as the one running the sweep, until it closes the journal or dies.

        An OS file lock: the kernel releases it when the process ends, even by SIGKILL.
        """
        import fcntl

        if self._lock_fd is not None:
            return
        if self.sweep_dir in _HELD_HERE:
            # A sweep started from inside a job of this sweep (same dir, same second).
            raise SweepBusy(self.sweep_dir, here=True)
        fd = os.open(self.sweep_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SweepBusy(self.sweep_dir) from None
        self._lock_fd = fd
        _HELD_HERE.add(self.sweep_dir)

    def is_running_elsewhere(self) -> bool:
        """Whether another process holds the sweep (it is running now)."""
        import fcntl

        path = self.sweep_dir / _LOCK_FILE
        if self._lock_fd is not None or not path.exists():
            return False
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def __enter__(self) -> SweepJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sweep facts ----------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self._db.execute("SELECT key, value FROM sweep")}

    def set_meta(self, key: str, value: Any) -> None:
        """Record a fact about the sweep (a search's seed) that ``resume`` needs back."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO sweep (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def reset(self, meta: Mapping[str, Any]) -> None:
        """Forget a previous sweep that ran in the same dir (Hydra reuses a dir within one second)."""
        with self._db:
            self._db.execute("DELETE FROM jobs")
            self._db.execute("DELETE FROM sweep")
            self._db.executemany(
                "INSERT INTO sweep (key, value) VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
            )

    # -- jobs -----------------------------------------------------------------------------

    def plan_jobs(self, total: int) -> None:
        """The sweep will have ``total`` jobs, entered as they are scheduled (:meth:`counts` counts the rest pending)."""
        self.set_meta(_PLANNED, total)

    def add_jobs(self, jobs: Iterable[tuple[int, Sequence[str]]]) -> None:
        """Record jobs as pending, in one transaction; jobs already recorded keep their state."""
        rows = [(num, json.dumps(list(overrides)), Status.PENDING.value) for num, overrides in jobs]
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO jobs (num, overrides, status) VALUES (?, ?, ?)", rows)

    def job_started(
        self, num: int, overrides: Sequence[str], *, worker: Optional[str] = None, slot: Optional[str] = None
    ) -> None:
        self._db.execute(
            "INSERT INTO jobs (num, overrides, status, attempts, started, worker, slot) VALUES (?, ?, ?, 1, ?, ?, ?)"
            " ON CONFLICT(num) DO UPDATE SET status=excluded.status, attempts=jobs.attempts + 1,"
            " started=excluded.started, ended=NULL, worker=excluded.worker, slot=excluded.slot, error=NULL,"
            " overrides=excluded.overrides",
            (num, json.dumps(list(overrides)), Status.RUNNING.value, time.time(), worker, slot),
        )

    def job_submitted(self, num: int, overrides: Sequence[str], worker: str) -> None:
        """A job handed to a cluster: ``worker`` says where to ask about it."""
        self._db.execute(
            "INSERT INTO jobs (num, overrides, status, attempts, worker) VALUES (?, ?, ?, 1, ?)"
            " ON CONFLICT(num) DO UPDATE SET status=excluded.status, attempts=jobs.attempts + 1, started=NULL,"
            " ended=NULL, worker=excluded.worker, error=NULL, overrides=excluded.overrides",
            (num, json.dumps(list(overrides)), Status.SUBMITTED.value, worker),
        )

    def job_placed(self, num: int, worker: str, *, starts_now: bool = True, at: Optional[float] = None) -> None:
        """A submitted job got its worker (it may have waited for one): it runs from now (or from ``at``)."""
        if starts_now or at is not None:
            self._db.execute("UPDATE jobs SET started=?, worker=? WHERE num=?", (at or time.time(), worker, num))
        else:
            self._db.execute("UPDATE jobs SET worker=? WHERE num=?", (worker, num))

    def job_finished(
        self,
        num: int,
        status: Status,
        *,
        directory: Optional[str] = None,
        value: Any = None,
        error: Optional[str] = None,
        started: Optional[float] = None,
        ended: Optional[float] = None,
    ) -> None:
        """A job ended (``started``/``ended``: when another machine ran it, as it reported)."""
        value_json, value_repr = encode_value(value) if status is Status.SUCCEEDED else (None, None)
        self._db.execute(
            "UPDATE jobs SET status=?, started=COALESCE(?, started), ended=?, directory=COALESCE(?, directory),"
            " value_json=?, value_repr=?, error=? WHERE num=?",
            (status.value, started, ended or time.time(), directory, value_json, value_repr, error, num),
        )

    def mark_interrupted(self) -> None:
        """Jobs recorded as running that no process runs any more."""
        self._db.execute(
            "UPDATE jobs SET status=?, ended=COALESCE(ended, ?) WHERE status=?",
            (Status.INTERRUPTED.value, time.time(), Status.RUNNING.value),
        )

    def jobs(self) -> list[JobRecord]:
        return [_record(row) for row in self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY num")]

    def jobs_between(self, start: int, stop: int) -> list[JobRecord]:
        """The recorded jobs numbered ``start`` to ``stop - 1``."""
        rows = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE num >= ? AND num < ? ORDER BY num",
                                (start, stop))
        return [_record(row) for row in rows]

    def count_finished_well(self, start: int, stop: int) -> int:
        """How many of the jobs numbered ``start`` to ``stop - 1`` are done for good (``resume`` skips them)."""
        well = [status.value for status in Status if status.finished_well]
        row = self._db.execute(
            f"SELECT COUNT(*) FROM jobs WHERE num >= ? AND num < ? AND status IN ({', '.join('?' * len(well))})",
            (start, stop, *well),
        ).fetchone()
        return int(row[0])

    def nums_with(self, statuses: Iterable[Status]) -> list[int]:
        """The numbers of the entered jobs in one of ``statuses``, in order."""
        values = [status.value for status in statuses]
        rows = self._db.execute(f"SELECT num FROM jobs WHERE status IN ({', '.join('?' * len(values))}) ORDER BY num",
                                values)
        return [int(row[0]) for row in rows]

    def job(self, num: int) -> Optional[JobRecord]:
        row = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE num = ?", (num,)).fetchone()
        return None if row is None else _record(row)

    def counts(self) -> dict[Status, int]:
        """Jobs by state; jobs of the plan not entered yet count as pending."""
        rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        counts = {Status(status): count for status, count in rows}
        planned = self._db.execute("SELECT value FROM sweep WHERE key = ?", (_PLANNED,)).fetchone()
        missing = (json.loads(planned[0]) if planned else 0) - sum(counts.values())
        if missing > 0:
            counts[Status.PENDING] = counts.get(Status.PENDING, 0) + missing
        return counts
