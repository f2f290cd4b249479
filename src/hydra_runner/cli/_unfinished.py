"""After an interrupted sweep: which jobs did not run to their end, and the command that finishes them."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Sequence

from hydra_runner.jobs.model import Status

__all__ = ["describe_unfinished", "format_nums", "report_unfinished"]


def format_nums(nums: Sequence[int], limit: int = 12) -> str:
    """``#0, #3-#9, #12``: runs of consecutive numbers as ranges, at most ``limit`` pieces."""
    pieces: list[str] = []
    start = prev = None
    for num in [*nums, None]:
        if num is not None and prev is not None and num == prev + 1:
            prev = num
            continue
        if start is not None:
            pieces.append(f"#{start}" if start == prev else f"#{start}-#{prev}")
        start = prev = num
    if len(pieces) > limit:
        pieces = [*pieces[:limit], f"and {len(pieces) - limit} more ranges"]
    return ", ".join(pieces)


def describe_unfinished(sweep_dir: Path) -> str:
    """What an interrupted sweep left undone, and the ``hydra-runner resume`` command; "" when nothing."""
    from hydra_runner.journal.sqlite import SweepJournal

    try:
        with SweepJournal.open(sweep_dir) as journal:
            interrupted = journal.nums_with([Status.INTERRUPTED, Status.RUNNING])
            entered_pending = journal.nums_with([Status.PENDING])
            counts = journal.counts()
    except Exception:  # the journal cannot be read: the interrupt is reported anyway
        return ""
    total = sum(counts.values())
    # Jobs of a planned grid not entered yet come after every entered one.
    entered = total - (counts.get(Status.PENDING, 0) - len(entered_pending))
    pending = [*entered_pending, *range(entered, total)]
    if not interrupted and not pending:
        return ""
    parts = []
    if interrupted:
        parts.append(f"{len(interrupted)} interrupted ({format_nums(interrupted)})")
    if pending:
        parts.append(f"{len(pending)} not started ({format_nums(pending)})")
    shown = os.path.relpath(sweep_dir) if sweep_dir.is_relative_to(Path.cwd()) else str(sweep_dir)
    return (f"{len(interrupted) + len(pending)} of {total} jobs did not finish: {'; '.join(parts)}.\n"
            f"Finish them with: hydra-runner resume {shlex.quote(shown)}")


def report_unfinished(sweep_dir: Path) -> None:
    message = describe_unfinished(sweep_dir)
    if message:
        print(message, file=sys.stderr, flush=True)
