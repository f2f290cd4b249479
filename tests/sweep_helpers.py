"""Reading a test project's sweep journal, and starting a sweep to kill or interrupt it."""

from __future__ import annotations

from hydra_runner.testing.project import (
    count,
    journal_of,
    start_sweep,
    statuses,
    wait_for,
)

__all__ = ["count", "journal_of", "start_sweep", "statuses", "wait_for"]
