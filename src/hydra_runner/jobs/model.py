"""A job of a sweep, and the states it goes through.

Plain data, no Hydra import: the journal, the CLI's ``results`` and every launcher share
these types, and the light paths (``results``, ``status``) import them too.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Sequence

__all__ = ["JobSpec", "Status"]


class JobSpec(NamedTuple):
    """A job to launch: its number in the sweep and its overrides."""

    num: int
    overrides: Sequence[str]


class Status(str, enum.Enum):
    PENDING = "pending"
    #: Handed to a cluster that runs it on its own (``--no-wait``); collected later.
    SUBMITTED = "submitted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CRASHED = "crashed"
    TIMEOUT = "timeout"
    PRUNED = "pruned"
    INTERRUPTED = "interrupted"

    @property
    def finished_well(self) -> bool:
        """Whether a job in this state is done for good (``resume`` leaves it alone)."""
        return self in (Status.SUCCEEDED, Status.PRUNED)
