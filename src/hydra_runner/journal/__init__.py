"""The sweep journal: one SQLite database per sweep, the record ``resume`` and ``results`` read.

:class:`SweepJournal` writes and reads one sweep's journal; :mod:`.index` finds the
sweeps of a project.
"""

from __future__ import annotations

from hydra_runner.journal.index import latest_sweep, list_sweeps, register_sweep
from hydra_runner.journal.meta import describe_sweep
from hydra_runner.journal.sqlite import (
    JOURNAL_FILE,
    JobRecord,
    Status,
    SweepBusy,
    SweepJournal,
)

__all__ = [
    "JOURNAL_FILE",
    "JobRecord",
    "Status",
    "SweepBusy",
    "SweepJournal",
    "describe_sweep",
    "latest_sweep",
    "list_sweeps",
    "register_sweep",
]
