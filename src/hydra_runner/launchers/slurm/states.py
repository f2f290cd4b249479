"""How Slurm jobs stand: from ``sacct`` where the cluster keeps accounting, else ``squeue``, and the job's outcome file.

A job's own outcome file (written by :class:`~.node.NodeJob` when the task returns or
raises) is the truth about how it ended; Slurm is asked only whether a job without one is
still pending or running, where, and what ended it otherwise (a crash, a time limit, a
cancel, a preemption). ``sacct`` is asked first and, once it fails (no accounting), never
again: nothing waits on it.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from hydra_runner.jobs.model import Status
from hydra_runner.launchers.slurm.submit import log_paths, outcome_path

__all__ = ["ACTIVE", "UNKNOWN", "ClusterState", "StateReader", "Verdict", "judge", "read_outcome"]

#: Slurm states of a job that has not ended (it may still run, or run again).
ACTIVE = frozenset({"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                    "RESIZING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "SPECIAL_EXIT",
                    "UNKNOWN"})
#: What submitit raises in a job at its time limit when it will not requeue it (no retries left).
_NOT_REQUEUED = "UncompletedJobError: Job not requeued because"
#: How a job that ended without writing its outcome is recorded, by Slurm's state.
_ENDED_AS = {"TIMEOUT": Status.TIMEOUT, "DEADLINE": Status.TIMEOUT, "CANCELLED": Status.INTERRUPTED}


@dataclass(frozen=True)
class ClusterState:
    state: str
    node: Optional[str] = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


#: A job Slurm was not asked about (or did not answer for): not known to have ended.
UNKNOWN = ClusterState("UNKNOWN")


@dataclass(frozen=True)
class Verdict:
    """How a job ended, for the journal."""

    status: Status
    error: Optional[str]
    value: Any = None
    directory: Optional[str] = None
    node: Optional[str] = None
    #: When the task ran, as the job reported it (None for a job that died without saying).
    started: Optional[float] = None
    ended: Optional[float] = None
    #: How often Slurm requeued the job before the run that ended it (time limit, preemption).
    restarts: int = 0


class StateReader:
    """Asks Slurm about jobs; remembers whether ``sacct`` works here."""

    def __init__(self) -> None:
        self.accounting: Optional[bool] = None

    @property
    def source(self) -> str:
        return "sacct" if self.accounting else "squeue"

    def states(self, slurm_ids: Iterable[str]) -> Optional[dict[str, ClusterState]]:
        """The state of each of ``slurm_ids`` that Slurm still knows; None when Slurm did not answer."""
        ids = sorted(set(slurm_ids))
        if not ids:
            return {}
        arrays = sorted({slurm_id.split("_")[0] for slurm_id in ids})
        if self.accounting is not False:
            found = _ask(["sacct", "-n", "-P", "-X", "-o", "JobID,State,NodeList", "-j", ",".join(arrays)])
            self.accounting = found is not None
            if found is not None:
                return {key: state for key, state in found.items() if key in ids}
        found = _ask(["squeue", "-h", "-r", "-t", "all", "--me", "-o", "%i|%T|%N"])
        return None if found is None else {key: state for key, state in found.items() if key in ids}


def _ask(argv: list[str]) -> Optional[dict[str, ClusterState]]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    states: dict[str, ClusterState] = {}
    for line in done.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 2:
            continue
        # "CANCELLED by 0" -> CANCELLED; a node list of "None assigned" or "(null)" -> no node
        state = parts[1].split()[0] if parts[1].strip() else "UNKNOWN"
        node = parts[2].strip() if len(parts) > 2 and parts[2].strip() not in ("", "None assigned", "(null)") else None
        for slurm_id in _expand(parts[0].strip()):
            states[slurm_id] = ClusterState(state, node)
    return states


def _expand(slurm_id: str) -> list[str]:
    """``123_[0-3,7%2]`` (array tasks not started yet, as one line) -> 123_0 ... 123_3, 123_7."""
    match = re.fullmatch(r"(\d+)_\[([0-9,\-]+)(?:%\d+)?\]", slurm_id)
    if match is None:
        return [slurm_id]
    ids = []
    for part in match.group(2).split(","):
        first, _, last = part.partition("-")
        ids += [f"{match.group(1)}_{i}" for i in range(int(first), int(last or first) + 1)]
    return ids


def read_outcome(sweep_dir: Path, num: int) -> Optional[dict[str, Any]]:
    """What job ``num`` wrote about how it ended, or None when it has not (yet)."""
    try:
        return json.loads(outcome_path(sweep_dir, num).read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def judge(sweep_dir: Path, num: int, slurm_id: str, state: Optional[ClusterState]) -> Optional[Verdict]:
    """How job ``num`` ended, or None while it has not; ``state`` None: Slurm no longer knows it."""
    outcome = read_outcome(sweep_dir, num)
    if outcome is not None:
        completed = bool(outcome.get("completed"))
        error = None if completed else str(outcome.get("error") or "")
        status = Status.SUCCEEDED if completed else Status.FAILED
        if error is not None and _NOT_REQUEUED in error:  # submitit's word for a time limit it gave up on
            status = Status.TIMEOUT
        return Verdict(status, error, outcome.get("value") if completed else None, outcome.get("output_dir"),
                       outcome.get("node"), outcome.get("started"), outcome.get("ended"),
                       int(outcome.get("restarts") or 0))
    if state is not None and state.active:
        return None
    if state is None:
        what = f"Slurm job {slurm_id} is gone (not in squeue or sacct) and left no outcome"
        status = Status.CRASHED
    else:
        where = f" on {state.node}" if state.node else ""
        what = f"Slurm job {slurm_id} ended {state.state}{where} before the task returned"
        status = _ENDED_AS.get(state.state, Status.CRASHED)
    return Verdict(status, _with_log_tail(what, sweep_dir, slurm_id), node=state.node if state else None)


def _with_log_tail(message: str, sweep_dir: Path, slurm_id: str) -> str:
    lines: list[str] = []
    for path in log_paths(sweep_dir, slurm_id):
        try:
            lines += path.read_text(errors="replace").strip().splitlines()[-15:]
        except OSError:
            continue
    return "\n".join([message, *lines]) if lines else message
